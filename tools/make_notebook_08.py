"""Writes notebooks/08_learning_rate.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# The learning rate\n\n"
       "One step of gradient descent is `W ← W − lr · dL/dW`. The gradient gives the "
       "direction; the learning rate says how far to go. This lesson:\n\n"
       "1. One step of the seed's net at three learning rates: too small, good, too large.\n"
       "2. A sweep: the same net trained 500 steps at each of nine learning rates.\n"
       "3. Divergence: the loss overflows, training stops and says why, and the way back.\n\n"
       "Each part ends with exercises. Work them out first, then click **Answer**."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "np.set_printoptions(precision=3, suppress=True, floatmode=\"fixed\")\n"
         "X, Y = bpv.datasets.xor()"),

    md("## 1. One step, three learning rates\n\n"
       "Start from the seed's weights each time, take one step, and compare the loss before "
       "and after."),
    code("for lr in (0.001, 0.3, 0.75):\n"
         "    net = bpv.examples.seed_net()\n"
         "    t = net.trace(X, Y, loss=\"mse\", lr=lr)\n"
         "    net.sgd_step(t)\n"
         "    after = net.trace(X, Y, loss=\"mse\").loss\n"
         "    print(f\"lr {lr:<5}: loss {t.loss:.6f} -> {after:.6f} ({after - t.loss:+.6f})\")"),
    md("- At lr 0.001 the step goes the right way, but it is tiny: the loss falls by "
       "0.000062.\n"
       "- At lr 0.3 the loss falls from 0.263141 to 0.253059.\n"
       "- At the seed's lr 0.75 the loss **rises**, to 0.269553. The gradient is the slope "
       "where the weights are now. Going too far along it carries the weights past the "
       "bottom of the valley and up the other side.\n\n"
       "**Exercise 1.** Try every learning rate from 0.01 to 1.5 in steps of 0.01. Which "
       "one gives the lowest loss after one step? From which learning rate on does the "
       "step make the loss worse?\n\n" + answer(
           "The lowest loss after one step is 0.252995, at lr 0.33. From lr 0.66 on, the step "
           "raises the loss above 0.263141. The best rate for one step is not the best for "
           "a thousand: part 2 shows rates up to 1.0 working well over many steps on "
           "another net.")),

    md("## 2. A sweep\n\n"
       "The net from notebook 06 that can solve XOR: the seed's weights, tanh hidden units, "
       "a LeakyReLU(0.5) output. The cell trains it 500 steps at each learning rate and "
       "prints the loss at steps 10, 100 and 500. *Solved* means every output within 0.1 "
       "of 0 1 1 0. Training stops early if the loss overflows."),
    code("print(\"    lr   loss at step 10        100        500   result\")\n"
         "for lr in (0.001, 0.01, 0.1, 0.3, 0.75, 1.0, 1.25, 2.0, 3.0):\n"
         "    net = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "    net.load_state_dict(bpv.examples.seed_state_dict())\n"
         "    trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=lr)\n"
         "    trainer.run(500)\n"
         "    loss = trainer.curve.train_loss\n"
         "    if trainer.diverged:\n"
         "        result = f\"overflowed at step {trainer.steps}\"\n"
         "    elif np.all(np.abs(net.forward(X) - Y) < 0.1):\n"
         "        result = \"solved\"\n"
         "    else:\n"
         "        result = \"not solved\"\n"
         "    print(f\"{lr:6g} {loss[10]:16.4g} {loss[100]:10.4g} {loss[-1]:10.4g}   {result}\")"),
    md("Three regimes:\n\n"
       "- **Too small** (0.001 to 0.1): the loss falls, but slowly; after 500 steps XOR is "
       "not solved. At 0.001 the loss has gone from 0.2395 to 0.2382.\n"
       "- **Good** (0.3 to 1.0): solved within 500 steps.\n"
       "- **Too large** (1.25 and up): the loss grows from the first steps, 1.929 after 10 "
       "steps at lr 1.25, and in the end overflows to inf: at step 421 for lr 1.25, sooner "
       "for larger rates.\n\n"
       "**Exercise 2.** How many steps do lr 0.1 and lr 0.03 need to solve it (every output "
       "within 0.1 from then on)?\n\n" + answer(
           "lr 0.1 needs 1091 steps and lr 0.03 needs 3630: a third of the learning rate, "
           "about three times as many steps. (lr 0.75 needs 77.)")),
    md("**Exercise 3.** The edge between *good* and *too large* is not sharp. Train at lr "
       "1.1 and at lr 1.2 for 500 steps. What happens?\n\n" + answer(
           "lr 1.1 still solves it, more slowly: after 500 steps the loss is 0.00036 and the "
           "outputs are -0.008, 1.016, 0.968, -0.011. lr 1.2 neither solves it nor "
           "overflows: after 500 steps all four outputs are 0.507, the same answer for every "
           "row, at loss 0.2500, and the loss keeps bouncing (0.3245 after 2000 steps).")),

    md("## 3. Divergence, and the way back\n\n"
       "Back to the seed's own net, now at lr 1.0, trained through the state that the "
       "Explorer uses. Training stops by itself when the loss overflows."),
    code("state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss=\"mse\", lr=1.0)\n"
         "taken = state.train(1000)\n"
         "print(f\"stopped after {taken} steps\")\n"
         "print(\"loss at steps 100 to 114:\")\n"
         "print(\" \".join(f\"{v:.3g}\" for v in state.trainer.curve.train_loss[100:]))\n"
         "print()\n"
         "print(state.message)"),
    md("For about a hundred steps the loss went up and down (it was 0.102 at step 103). Then "
       "it jumped, and from step 108 each step overshot further than the last, until at step "
       "114 the loss overflowed to inf. The "
       "message says so in words, offers a smaller learning rate that it has tried on a "
       "copy of the net, and names the step that **Back to before it blew up** returns to: "
       "the last step whose loss was not above the loss at the start, 0.263141. Here that is "
       "step 104, loss 0.1776. `state.recover()` does the same from code.\n\n"
       "Then train on from there at lr 0.1:"),
    code("state.recover()\n"
         "print(f\"back to step {state.trainer.steps}, loss {state.trace.loss:.4f}\")\n"
         "print(\"Z1 there:\")\n"
         "print(state.trace[\"Z1\"])\n"
         "state.configure(lr=0.1)\n"
         "state.train(2000)\n"
         "print(f\"after 2000 more steps at lr 0.1: loss {state.trace.loss:.2e}\")\n"
         "print(\"outputs:\", np.round(state.net.forward(X)[:, 0], 3) + 0.0)  # + 0.0 prints -0.000 as 0.000"),
    md("The seed's own LeakyReLU net solves XOR this time. The wild steps did something "
       "useful: at step 104 the signs of `Z1` differ between rows (unit 0 is positive only "
       "on (1, 0), unit 1 only on (0, 1)), so the net is no longer linear on the data "
       "(notebook 06), and a calm learning rate takes it from there.\n\n"
       "Try it yourself in the Explorer below, on the seed's net:\n\n"
       "1. Set the learning rate to 0.001, then 0.3, then 0.75; press **Step** once each "
       "time and watch the loss, then **Undo**.\n"
       "2. Set it to 1.0 and press **Play** until training stops. Read the message, press "
       "**Back to before it blew up**, set 0.1 and **Play** again.\n"
       "3. Set it to 50 and press **Step** until something happens."),
    code("explorer = bpv.Explorer(bpv.examples.seed_net(), X, Y, loss=\"mse\", lr=0.75)\n"
         "explorer"),
    md("**Exercise 4.** At lr 50 the seed's net overflows in five steps. Which step does "
       "**Back to before it blew up** return to, and why not to step 4, the last step with a "
       "finite loss?\n\n" + answer(
           "It returns to step 0, the start. The losses after each step are 21.25, 3.5e+09, "
           "5.2e+35, 8.1e+113 and inf: already the first step made the loss worse than at the "
           "start, and a finite loss of 8.1e+113 is no place to continue from.")),
    md("**Exercise 5.** At lr 1.0, go back to step 104 but keep lr 1.0 and train again. What "
       "happens, and why?\n\n" + answer(
           "It overflows again at step 114, exactly as before. Full-batch training is "
           "deterministic: the same weights and the same learning rate give the same steps. "
           "Going back helps only together with a smaller learning rate.")),
]
write(cells, "notebooks/08_learning_rate.ipynb")
