"""Writes notebooks/10_regularization.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# Regularization: L1 and L2\n\n"
       "In notebook 05 a 2-8-8-1 net learned the noise of its 40 training points: the test "
       "loss was lowest at step 209 (0.411) and then rose to 1.514. One way out is to stop "
       "early. Another is to make large weights cost something. *Regularization* adds a "
       "penalty on the weights to the loss:\n\n"
       "$$L = L_{\\text{data}} + \\lambda_1 \\sum |W| + \\lambda_2 \\sum W^2$$\n\n"
       "In code, `l1` is λ₁ and `l2` is λ₂. The sums run over every weight of every layer. "
       "The biases are not penalised. This lesson:\n\n"
       "1. The penalty in numbers, on the seed's 2-2-1 net: the loss and the gradients.\n"
       "2. L2 against overfitting, on notebook 05's net.\n"
       "3. L1 against L2: L1 drives most weights to (almost) zero, L2 shrinks them all.\n\n"
       "Each part ends with exercises. Work them out first, then click **Answer**."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "np.set_printoptions(precision=6, suppress=True, floatmode=\"fixed\")"),

    md("## 1. What the penalty adds\n\n"
       "The seed's net on XOR, traced with `l1=0.01` and `l2=0.1`. The trace keeps the two "
       "parts of the loss apart: `data loss` and `penalty`."),
    code("X, Y = bpv.datasets.xor()\n"
         "net = bpv.examples.seed_net()\n"
         "t = net.trace(X, Y, loss=\"mse\", l1=0.01, l2=0.1)\n"
         "print(f\"data loss {t['data loss']:.6f}\")\n"
         "print(f\"penalty   {t['penalty']:.6f}\")\n"
         "print(f\"loss      {t['loss']:.6f}\")"),
    md("The data loss is the seed's loss from notebook 01, 0.263141. The penalty is new. "
       "Here it is by hand, from the two weight matrices the trace used:"),
    code("W1, W2 = t[\"W1\"], t[\"W2\"]\n"
         "sum_abs = np.abs(W1).sum() + np.abs(W2).sum()\n"
         "sum_sq = (W1 ** 2).sum() + (W2 ** 2).sum()\n"
         "print(f\"Σ|W| = {sum_abs:.4f}   ΣW² = {sum_sq:.8f}\")\n"
         "print(f\"0.01 · {sum_abs:.4f} + 0.1 · {sum_sq:.8f} = {0.01 * sum_abs + 0.1 * sum_sq:.6f}\")"),
    md("`B1` and `B2` are not in it. A bias shifts where a unit switches on; it does not "
       "make the unit steeper.\n\n"
       "### The gradient\n\n"
       "Each weight's gradient gets one more term, the slope of the penalty:\n\n"
       "- from `l2·w²`: `2·l2·w`;\n"
       "- from `l1·|w|`: `l1·sign(w)`, that is `+l1` for a positive weight and `−l1` for a "
       "negative one. |w| has no slope at 0; the engine takes sign(0) = 0.\n\n"
       "The trace keeps both parts: `dL/dW2 (data)` from backprop, as before, and "
       "`dL/dW2 (penalty)`. `dL/dW2` is their sum."),
    code("for key in (\"dL/dW2 (data)\", \"dL/dW2 (penalty)\", \"dL/dW2\", \"dL/dB2\"):\n"
         "    print(f\"{key:17}\", t[key])\n"
         "print(\"0.01·sign(W2) + 2·0.1·W2 =\", 0.01 * np.sign(W2) + 2 * 0.1 * W2)"),
    md("- The penalty's part has the sign of the weight. A step goes against the gradient, "
       "so the penalty always pulls a weight towards 0.\n"
       "- For `layer2.weight[0, 0]` the data says *grow* (gradient −0.052125) and the "
       "penalty says *shrink* (+0.115320). The penalty wins: the gradient is +0.063195, and "
       "a step now makes this weight smaller.\n"
       "- `dL/dB2` is 0.201665, the same as without a penalty in notebook 01.\n\n"
       "Check the gradient against a finite difference: nudge the weight by ±ε and watch "
       "the whole loss, penalty included."),
    code("eps = 1e-6\n"
         "loss_at = {}\n"
         "for sign in (+1, -1):\n"
         "    nudged = bpv.examples.seed_state_dict()\n"
         "    nudged[\"layer2.weight\"][0, 0] += sign * eps\n"
         "    net.load_state_dict(nudged)\n"
         "    loss_at[sign] = net.trace(X, Y, loss=\"mse\", l1=0.01, l2=0.1).loss\n"
         "net.load_state_dict(bpv.examples.seed_state_dict())\n"
         "print(f\"finite difference: {(loss_at[+1] - loss_at[-1]) / (2 * eps):.6f}\")\n"
         "print(f\"backprop:          {t['dL/dW2'][0, 0]:.6f}\")"),
    md("The chain-rule stepper shows these as steps of their own. These are the steps the "
       "penalty adds or changes:"),
    code("for step in t.steps:\n"
         "    if step.name in (\"data loss\", \"penalty\", \"loss\") or \"W2\" in step.name:\n"
         "        print(f\"step {step.index + 1:2d} of {t.num_steps}: {step.text}\")"),
    md("**Exercise 1.** In the same trace, what is the penalty's part of the gradient for "
       "`layer1.weight[0, 1]` = −0.5792? Work it out by hand, then check it with "
       "`t[\"dL/dW1 (penalty)\"]`. Which way does one step move this weight?\n\n" + answer(
           "0.01 · sign(−0.5792) + 2 · 0.1 · (−0.5792) = −0.01 − 0.11584 = −0.12584. The "
           "data's part is 0.022960, so the whole gradient is −0.102880. It is negative, and "
           "a step goes against the gradient, so the weight moves up, towards 0.")),
    md("**Exercise 2.** Set `layer2.weight[0, 0]` to exactly 0 and trace again with the "
       "same penalty. What is the penalty's part of its gradient now? Does a central finite "
       "difference agree with `dL/dW2[0, 0]`?\n\n" + answer(
           "The penalty's part is 0: sign(0) = 0 and 2 · 0.1 · 0 = 0. So the gradient is the "
           "data's part alone, −0.185991. The finite difference gives −0.185991 too. A "
           "central difference compares the loss at +ε and −ε, and |+ε| = |−ε|, so the L1 "
           "term cancels there as well.")),

    md("## 2. L2 against overfitting\n\n"
       "Notebook 05's setup: 80 noisy moons points, half held out; a 2-8-8-1 net with tanh "
       "hidden layers and a sigmoid output; binary cross-entropy; lr 0.5; 2000 full-batch "
       "steps. `train` trains a fresh copy of that net with a penalty. The losses in the "
       "table are data losses, so the runs compare fairly."),
    code("X, Y = bpv.datasets.moons(80, noise=0.3, seed=0)\n"
         "X_train, Y_train, X_test, Y_test = bpv.datasets.train_test_split(X, Y, test_fraction=0.5, seed=0)\n\n\n"
         "def train(l1=0.0, l2=0.0, steps=2000):\n"
         "    net = bpv.MLP([2, 8, 8, 1], [\"tanh\", \"tanh\", \"sigmoid\"], seed=0)\n"
         "    trainer = bpv.Trainer(net, X_train, Y_train, loss=\"bce\", lr=0.5,\n"
         "                          X_test=X_test, Y_test=Y_test, l1=l1, l2=l2)\n"
         "    trainer.run(steps)\n"
         "    return trainer\n\n\n"
         "def weights(net):\n"
         "    \"\"\"Every weight of the net in one flat array (no biases).\"\"\"\n"
         "    return np.concatenate([w.ravel() for name, w in net.state_dict().items()\n"
         "                           if name.endswith(\"weight\")])"),
    code("plain, l2_run = train(), train(l2=0.01)\n"
         "print(\"            train loss  accuracy   test loss  accuracy   lowest test loss\")\n"
         "for name, run in ((\"no penalty\", plain), (\"l2 = 0.01\", l2_run)):\n"
         "    c = run.curve\n"
         "    best = int(np.argmin(c.test_loss))\n"
         "    print(f\"{name:10} {c.train_loss[-1]:11.3f} {c.train_acc[-1]:9.0%} {c.test_loss[-1]:11.3f} \"\n"
         "          f\"{c.test_acc[-1]:9.0%}   {c.test_loss[best]:.3f} at step {best}\")\n"
         "print()\n"
         "for name, run in ((\"no penalty\", plain), (\"l2 = 0.01\", l2_run)):\n"
         "    w = weights(run.net)\n"
         "    print(f\"{name:10}  ΣW² = {np.sum(w ** 2):6.2f}   largest |w| = {np.abs(w).max():.2f}\")"),
    md("- Without a penalty the training loss falls to 0.070, and the test loss ends at "
       "1.514, as in notebook 05.\n"
       "- With `l2 = 0.01` the training loss only reaches 0.359, with 80% of the training "
       "points right (98% without): the penalty keeps the net from fitting every noisy "
       "point. The test loss ends at 0.431, and its lowest point "
       "is the last step: it did not rise. 80% of the test points are right, against 75%.\n"
       "- The weights stay small: ΣW² is 6.67 instead of 220.00, and no weight is larger "
       "than 0.59 (without the penalty: 5.48).\n\n"
       "Stopping early at step 209 gave a test loss of 0.411, a little lower than 0.431. "
       "L2 gets close to that without having to pick a step.\n\n"
       "**Exercise 3.** Write one SGD step with L2 alone: "
       "`new W = W − lr · (dL/dW (data) + 2 · l2 · W)`. Rearrange it. At lr 0.5 and l2 "
       "0.01, what happens to every weight before the data's gradient is applied? Check "
       "it with a trace of notebook 05's net at its start: `bpv.MLP([2, 8, 8, 1], [\"tanh\", "
       "\"tanh\", \"sigmoid\"], seed=0).trace(X_train, Y_train, loss=\"bce\", lr=0.5, l2=0.01)`.\n\n" + answer(
           "`new W = (1 − 2 · lr · l2) · W − lr · dL/dW (data) = 0.99 · W − 0.5 · dL/dW (data)`. "
           "Every step first shrinks every weight by 1%, then takes the data's step. This "
           "is why L2 in gradient descent is also called *weight decay*. In the trace, "
           "`t[\"new W1\"]` and `0.99 * t[\"W1\"] - 0.5 * t[\"dL/dW1 (data)\"]` differ by less "
           "than 1e-15, a rounding error; the same holds for `W2` and `W3`.")),
    md("**Exercise 4.** How strong should the penalty be? Train with `l2` = 0.001, 0.003, "
       "0.01, 0.03 and 0.1 (`train(l2=...)`). Which gives the lowest test loss after 2000 "
       "steps? What goes wrong at each end?\n\n" + answer(
           "The test losses after 2000 steps are 0.927, 0.452, 0.431, 0.459 and 0.697: "
           "0.01 is the best of the five.\n\n"
           "- At 0.001 the net still overfits: its test loss is lowest at step 257 (0.406) "
           "and then rises to 0.927.\n"
           "- At 0.003 the test loss reaches the lowest value of all runs, 0.396 at step "
           "474, then rises to 0.452. A small penalty slows overfitting down but does not "
           "stop it.\n"
           "- At 0.1 the penalty wins over the data: all 88 weights end below 0.001. The net "
           "answers 0.475 for every point, which is the share of class 1 among the training "
           "points. Only the biases are left, since they are not penalised. Its test "
           "accuracy is 48%.")),

    md("## 3. L1 against L2\n\n"
       "Now `l1 = 0.01` instead. The table counts how many of the net's 88 weights are "
       "near zero after 2000 steps."),
    code("l1_run = train(l1=0.01)\n"
         "print(\"            |w| < 0.001   |w| < 0.01   largest |w|   test loss\")\n"
         "for name, run in ((\"no penalty\", plain), (\"l2 = 0.01\", l2_run), (\"l1 = 0.01\", l1_run)):\n"
         "    w = np.abs(weights(run.net))\n"
         "    print(f\"{name:10} {np.sum(w < 0.001):12d} {np.sum(w < 0.01):12d} {w.max():13.2f} \"\n"
         "          f\"{run.curve.test_loss[-1]:11.3f}\")\n"
         "print()\n"
         "print(\"the weights of the L1 net larger than 0.01:\")\n"
         "for name, w in l1_run.net.state_dict().items():\n"
         "    if name.endswith(\"weight\"):\n"
         "        for index in zip(*np.nonzero(np.abs(w) >= 0.01)):\n"
         "            print(f\"  {name}[{index[0]}, {index[1]}] = {w[index]:.3f}\")"),
    md("- L2 shrinks every weight, but none reaches zero: none is below 0.01.\n"
       "- L1 keeps only 6 of the 88 weights; 82 are below 0.01. The six form one path: "
       "unit 5 of layer 1 feeds units 1 and 6 of layer 2, which feed the output. The rest "
       "of the net hardly counts any more.\n"
       "- Both nets do about equally well on the test points: test loss 0.423 with L1 and "
       "0.431 with L2.\n\n"
       "Why the difference? L2's pull, `2·l2·w`, gets weaker as the weight gets smaller, so "
       "a small weight is left almost alone. L1's pull is `l1` whatever the size of the "
       "weight, so any weight that does not help the data loss by at least that much is "
       "pulled all the way down.\n\n"
       "Only 16 of L1's 82 small weights are below 0.001, though. In every step of plain "
       "gradient descent the penalty alone moves a weight by lr · l1 = 0.005 towards 0, "
       "and a weight smaller than that is carried across 0. The next step pulls it back. "
       "Look at the step the L1 net would take next:"),
    code("t = l1_run.trace()\n"
         "before = np.concatenate([t[f\"W{l}\"].ravel() for l in (1, 2, 3)])\n"
         "after = np.concatenate([t[f\"new W{l}\"].ravel() for l in (1, 2, 3)])\n"
         "flips = np.sign(before) != np.sign(after)\n"
         "print(f\"{flips.sum()} weights change sign in the next step\")\n"
         "print(f\"the largest of them: |w| = {np.abs(before[flips]).max():.4f}\")"),
    md("All 82 small weights jump across 0 in this one step, and none of them is larger than "
       "0.007: they hover around 0 without landing on it. Not one of the 88 weights is "
       "exactly 0.\n\n"
       "## Try it in the Explorer\n\n"
       "Notebook 05's net and data again, no penalty yet. The **L1** and **L2** boxes are "
       "in the training controls.\n\n"
       "1. Type 0.01 into **L2**. The stepper now has the steps `data loss`, `penalty` and "
       "`dL/dW1 (penalty)`. Set *steps per frame* to 1000, press **Play** and pause it "
       "anywhere between steps 2000 and 3000: the counter shows a test loss of 0.4313, the "
       "table's 0.431.\n"
       "2. **Reset**, set **L2** back to 0 and **L1** to 0.01, and **Play** again. Watch the "
       "edges of the diagram: by step 2000 all but six of them are thin.\n"
       "3. Try an **L2** of 0.1 and watch the boundary."),
    code("explorer = bpv.Explorer(bpv.MLP([2, 8, 8, 1], [\"tanh\", \"tanh\", \"sigmoid\"], seed=0),\n"
         "                        X_train, Y_train, loss=\"bce\", lr=0.5, X_test=X_test, Y_test=Y_test)\n"
         "explorer"),
    md("**Exercise 5.** Print `l2_run.net.state_dict()[\"layer1.weight\"]`, the first layer "
       "of the L2 net from part 2. What do you notice? Why would L2 do this, and L1 "
       "not?\n\n" + answer(
           "Every row is within 0.004 of (0.242, −0.401) or of its negative, and every bias "
           "of layer 1 is within 0.003 of 0. All eight units of layer 1 compute almost the "
           "same thing, up to sign.\n\n"
           "L2 likes to share a job. Say two weights a and b must add up to c. L2 charges "
           "a² + b², which is least when a = b = c/2: it costs c²/2, half of what one weight "
           "doing it all costs. L1 charges |a| + |b|, which is |c| however a and b share it "
           "(as long as both have the sign of c). So L1 gains nothing from sharing, and its "
           "net of part 3 keeps just one unit in layer 1.")),
]
write(cells, "notebooks/10_regularization.ipynb")
