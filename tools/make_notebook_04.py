"""Writes notebooks/04_train_xor.ipynb (unexecuted).

The seed's net does not learn XOR: at its learning rate training is chaotic, and at a
small one it converges to 0.5 everywhere. The notebook shows why, then fixes it.
"""

from notebook_writer import code, md, write

cells = [
    md("# Train the XOR net\n\n"
       "Notebook 01 took one step of gradient descent by hand. Here we take thousands. The "
       "Explorer below starts from the seed's weights; the top row trains:\n\n"
       "- **Step** takes one SGD step. With the full batch (the default, as in the seed) a step "
       "uses all four rows, so one step is one epoch.\n"
       "- **Play** keeps stepping (*steps per frame* steps between two redraws); press again to "
       "pause. **Undo** rewinds one step exactly; **Reset** goes back to the seed's weights "
       "exactly.\n"
       "- The learning rate can change at any time without resetting the net.\n\n"
       "Watch the decision boundary (orange for class 0, blue for class 1, the black line where "
       "the output is 0.5) and the two hidden units' maps beneath it: the output is built from "
       "those two pictures."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "np.set_printoptions(precision=3, suppress=True)\n"
         "X, Y = bpv.datasets.xor()\n"
         "explorer = bpv.Explorer(bpv.examples.seed_net(), X, Y, loss=\"mse\", lr=0.75)\n"
         "explorer"),
    md("## Things to try\n\n"
       "1. Press **Play** at the seed's learning rate, 0.75, and watch the loss curve. Does the "
       "net learn XOR?\n"
       "2. **Reset**, set the learning rate to 0.1 and play again. Where does the loss stop? "
       "What does the net answer for each row?\n"
       "3. Press **Step** a few times with the stepper open at `new W1`: the update shown is "
       "the one applied.\n"
       "4. Set the learning rate to 50 and press **Step** until something happens. Read the "
       "message, then press **Back to before it blew up**.\n\n"
       "The rest of this notebook answers 1 and 2 from code, then fixes the net."),
    md("## At lr 0.75: chaos\n\n"
       "`state.train(5000)` takes 5000 steps at once; `curve.train_loss[k]` is the loss "
       "after k steps."),
    code("state = explorer.state\n"
         "state.train(5000)\n"
         "loss = state.trainer.curve.train_loss\n"
         "for k in (1000, 2000, 3000, 5000):\n"
         "    print(f\"after {k} steps: loss {loss[k]:.6f}\")\n"
         "print(f\"the loss went up on {np.sum(np.diff(loss) > 0)} of the 5000 steps\")\n"
         "print(\"outputs:\", state.net.forward(X)[:, 0])"),
    md("The loss jumps up and down: it went up on 2383 of the 5000 steps. Those steps "
       "overshoot, as the first one did in notebook 01. Around step 2000 every row is on the "
       "right side of 0.5, but only just (one output is 0.501), and it does not last. By "
       "step 5000 the net answers 0.5 for every row, with loss 0.25. A smaller learning "
       "rate shows why."),
    md("## At lr 0.1: stuck at 0.5\n\n"
       "We train a fresh copy of the seed's net with a `Trainer` (the training loop without "
       "the panels). `trainer.step()` returns the trace of the step it took, so we can "
       "watch `Z1`, each hidden unit's input, on the four rows at every step."),
    code("net = bpv.examples.seed_net()\n"
         "trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=0.1)\n"
         "low, high = np.full(2, np.inf), np.full(2, -np.inf)\n"
         "for _ in range(2000):\n"
         "    Z1 = trainer.step()[\"Z1\"]\n"
         "    low, high = np.minimum(low, Z1.min(axis=0)), np.maximum(high, Z1.max(axis=0))\n"
         "print(f\"after 2000 steps: loss {trainer.curve.train_loss[-1]:.6f}\")\n"
         "print(\"outputs:\", net.forward(X)[:, 0])\n"
         "for unit in (0, 1):\n"
         "    print(f\"hidden unit {unit}: Z1 from {low[unit]:.3f} to {high[unit]:.3f}\")"),
    md("The loss falls smoothly to 0.25 and every output is 0.5. Look at `Z1`: over all "
       "2000 steps and all four rows, hidden unit 0 stays below 0 and hidden unit 1 stays "
       "above 0. Neither unit ever crosses its kink at Z = 0. On these four inputs unit 0 is "
       "always the straight line 0.5·Z and unit 1 the straight line Z. The output unit stays "
       "above 0 too. So on the data the whole net is a *linear* function of x, "
       "y = a + b·x1 + c·x2.\n\n"
       "And the best a linear function can do on XOR is 0.5 everywhere (a = 0.5, b = c = 0). "
       "Gradient descent found exactly that:"),
    code("A = np.column_stack([np.ones(4), X])       # columns 1, x1, x2\n"
         "best, *_ = np.linalg.lstsq(A, Y, rcond=None)\n"
         "print(\"best linear fit to XOR:\", (A @ best)[:, 0])"),
    md("The lr 0.75 run fell into the same trap. Around step 2000 its hidden units did "
       "cross their kinks, but from step 4674 on each of them has one sign on all four rows "
       "again, and the net is linear on the data.\n\n"
       "## A fix: tanh hidden units\n\n"
       "LeakyReLU is two straight pieces joined at a kink, and a unit that stays on one piece "
       "is a straight line. tanh bends everywhere. Keep everything else (the seed's weights, "
       "the LeakyReLU(0.5) output, MSE, lr 0.75) and make the two hidden units tanh. Press "
       "**Play** in this second Explorer and watch the boundary split the plane."),
    code("tanh_net = bpv.MLP([2, 2, 1], activation=[\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "tanh_net.load_state_dict(bpv.examples.seed_state_dict())\n"
         "fixed = bpv.Explorer(tanh_net, X, Y, loss=\"mse\", lr=0.75)\n"
         "fixed"),
    code("fixed.state.train(100)\n"
         "print(f\"after 100 steps: loss {fixed.state.trace.loss:.2g}\")\n"
         "print(\"outputs:\", fixed.state.net.forward(X)[:, 0])\n"
         "fixed.state.reset()"),
    md("Solved: from step 77 on, every output stays within 0.1 of its target 0, 1, 1, 0.\n\n"
       "## Another fix: a sigmoid output and BCE\n\n"
       "Keep the LeakyReLU(0.5) hidden units and the seed's weights, but give the output a "
       "sigmoid and train with the binary cross-entropy (BCE) at lr 2.0. The large early "
       "steps push the hidden units across their kinks (the first crossing is at step 99), "
       "and from step 185 on every output is within 0.1 of its target. The learning rate "
       "matters: with BCE at lr 0.1 or 0.5 the net is stuck at 0.5 again."),
    code("bce_net = bpv.MLP([2, 2, 1], activation=[bpv.LeakyReLU(0.5), \"sigmoid\"])\n"
         "bce_net.load_state_dict(bpv.examples.seed_state_dict())\n"
         "bpv.Trainer(bce_net, X, Y, loss=\"bce\", lr=2.0).run(300)\n"
         "print(\"outputs:\", bce_net.forward(X)[:, 0])\n"
         "print(f\"Z1 on the four rows:\\n{bce_net.trace(X, Y, loss='bce')['Z1']}\")"),
    md("Each hidden unit is now positive on one row and negative on the others: unit 0 "
       "picks out (1, 0) and unit 1 picks out (0, 1). Those are the two rows where XOR is 1.\n\n"
       "## A learning rate that is too large\n\n"
       "At lr 1.0 the seed's net trains for a while, then the loss overflows. Training stops "
       "and the message says why. *Back to before it blew up* (`state.recover()`) returns "
       "to the last step whose loss was not above the starting loss."),
    code("state.reset()\n"
         "state.configure(lr=1.0)\n"
         "taken = state.train(1000)\n"
         "print(f\"stopped after {taken} steps\")\n"
         "print(state.message)\n"
         "state.recover()\n"
         "print(f\"back to step {state.trainer.steps}, loss {state.trace.loss:.6f}\")\n"
         "print(f\"Z1 on the four rows:\\n{state.trace['Z1']}\")"),
    md("Before it blew up, the big steps did something useful: at step 104 each hidden unit "
       "already has one row to itself, as in the BCE fix. Continue from there at the "
       "suggested learning rate, 0.1:"),
    code("state.configure(lr=0.1)\n"
         "state.train(200)\n"
         "print(f\"step {state.trainer.steps}: loss {state.trace.loss:.6f}\")\n"
         "print(\"outputs:\", state.net.forward(X)[:, 0])\n"
         "state.reset()\n"
         "state.configure(lr=0.75)\n"
         "print(f\"reset: loss {state.trace.loss:.6f}\")"),
    md("Every output is within 0.1 of its target. So the seed's 2-2-1 shape *can* do XOR. "
       "Whether gradient descent gets there from the seed's weights depends on the learning "
       "rate, the activation and the loss. At lr 0.1 with LeakyReLU and MSE it never does: "
       "the hidden units never cross their kinks, the net stays linear on the data, and the "
       "best a linear net can say is 0.5."),
]
write(cells, "notebooks/04_train_xor.ipynb")
