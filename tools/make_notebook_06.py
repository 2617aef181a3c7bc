"""Writes notebooks/06_why_a_nonlinearity.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# Why a nonlinearity\n\n"
       "The seed's net, trained at lr 0.1, settles at loss 0.25 with every output 0.5: it "
       "gives up on XOR. This lesson shows why, and what fixes it.\n\n"
       "1. A net without a nonlinearity is one linear map, and no linear map can do XOR. "
       "The best it can do is 0.5 on every row, loss 0.25.\n"
       "2. The seed's LeakyReLU(0.5) net is linear too *on these four rows*, as long as no "
       "hidden unit's `Z1` changes sign. At lr 0.1 none ever does.\n"
       "3. tanh hidden units bend everywhere. From the seed's weights at lr 0.75 they solve "
       "XOR in 77 steps.\n\n"
       "Each part ends with exercises. Work them out first, then click **Answer**."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "np.set_printoptions(precision=3, suppress=True, floatmode=\"fixed\")\n"
         "X, Y = bpv.datasets.xor()"),

    md("## 1. Without a nonlinearity\n\n"
       "Give every layer the identity activation, f(z) = z, and keep the seed's weights. "
       "Then `H1 = Z1 = X @ W1.T + B1` and the output is `H1 @ W2.T + B2`. Multiply it out:\n\n"
       "`output = X @ (W2 @ W1).T + (W2 @ B1 + B2)`\n\n"
       "Two layers are one layer, with weight `W = W2 @ W1` and bias `b = W2 @ B1 + B2`. "
       "The cell checks this on the four rows."),
    code("linear = bpv.MLP([2, 2, 1], \"identity\")\n"
         "linear.load_state_dict(bpv.examples.seed_state_dict())\n"
         "p = linear.state_dict()\n"
         "W = p[\"layer2.weight\"] @ p[\"layer1.weight\"]\n"
         "b = p[\"layer2.weight\"] @ p[\"layer1.bias\"] + p[\"layer2.bias\"]\n"
         "print(\"W =\", W[0], \"  b =\", b)\n"
         "print(\"the 2-2-1 net: \", linear.forward(X)[:, 0])\n"
         "print(\"X @ W.T + b:   \", (X @ W.T + b)[:, 0])"),
    md("Now train the linear net: 2000 steps at lr 0.1."),
    code("trainer = bpv.Trainer(linear, X, Y, loss=\"mse\", lr=0.1)\n"
         "trainer.run(2000)\n"
         "print(f\"after 2000 steps: loss {trainer.curve.train_loss[-1]:.6f}\")\n"
         "print(\"outputs:\", np.round(linear.forward(X)[:, 0], 3) + 0.0)  # + 0.0 prints -0.000 as 0.000"),
    md("Loss 0.25 and 0.5 on every row. No linear map does better: the best straight fit "
       "`a·x1 + b·x2 + c` by least squares gives exactly this."),
    code("A = np.column_stack([X, np.ones(4)])  # columns x1, x2, 1\n"
         "best = np.linalg.lstsq(A, Y, rcond=None)[0][:, 0]\n"
         "print(\"best a, b, c:\", np.round(best, 3) + 0.0)\n"
         "print(f\"its loss: {np.mean((A @ best - Y[:, 0]) ** 2):.6f}\")"),
    md("**Exercise 1.** A linear map gives the outputs p, q, r, s on the rows (0, 0), (0, 1), "
       "(1, 0), (1, 1). Show that p + s = q + r, whatever its weights. Why does that rule out "
       "XOR?\n\n" + answer(
           "Write the map as f(x1, x2) = a·x1 + b·x2 + c. Then p = c, q = b + c, r = a + c and "
           "s = a + b + c, so p + s = a + b + 2c = q + r.\n\n"
           "XOR asks for p + s = 0 + 0 and q + r = 1 + 1. A linear map must make the two sums "
           "equal, so the best it can do is split the difference: every output 0.5, each "
           "error 0.5, and the loss 0.5² = 0.25. That is where the linear net ended, and what "
           "least squares found.")),
    md("**Exercise 2.** Would more linear layers help? Train "
       "`bpv.MLP([2, 8, 8, 1], \"identity\", seed=0)` for 3000 steps at lr 0.05.\n\n" + answer(
           "No. Three linear layers are still one linear map (`W = W3 @ W2 @ W1`). Measured: "
           "after 3000 steps the loss is 0.250000 and every output is 0.500.")),

    md("## 2. The seed's net, linear on the data\n\n"
       "LeakyReLU(0.5) is two straight pieces: slope 0.5 where Z < 0, slope 1 where Z > 0. "
       "If a hidden unit stays on one side for all four rows, it just multiplies by one "
       "slope, which is linear. If both units do, the whole net is one linear map on these "
       "rows, and part 1 says where that ends: loss 0.25.\n\n"
       "At the seed's start, unit 0 has `Z1 < 0` on all four rows and unit 1 has `Z1 > 0`. "
       "The cell trains the seed's net for 2000 steps at lr 0.1, keeps the trace of every "
       "step, and compares the signs of `Z1` with those at the start."),
    code("net = bpv.examples.seed_net()\n"
         "trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=0.1)\n"
         "traces = [net.trace(X, Y, loss=\"mse\")]\n"
         "for _ in range(2000):\n"
         "    trainer.step()\n"
         "    traces.append(net.trace(X, Y, loss=\"mse\"))\n"
         "start, end = traces[0], traces[-1]\n"
         "print(\"row      Z1 at step 0      Z1 at step 2000\")\n"
         "for i in range(4):\n"
         "    print(f\"({X[i, 0]:.0f}, {X[i, 1]:.0f})  {start['Z1'][i]}   {end['Z1'][i]}\")\n"
         "signs = np.array([np.sign(t[\"Z1\"]) for t in traces])\n"
         "changed = np.any(signs != signs[0], axis=(1, 2))  # one True or False per step\n"
         "print(\"steps where a sign of Z1 differs from step 0:\", np.sum(changed))\n"
         "print(f\"smallest Z2 over the run: {min(t['Z2'].min() for t in traces):.3f}\")\n"
         "print(f\"after 2000 steps: loss {end.loss:.6f}, outputs {np.round(end['H2'][:, 0], 3) + 0.0}\")"),
    md("No sign ever changes. Unit 0 always uses slope 0.5, unit 1 always slope 1, and the "
       "output unit (its `Z2` stays above 0.43) always slope 1. On these four rows the net is "
       "one linear map for the whole run, so gradient descent does what it did for the "
       "identity net: it converges to the best linear fit, 0.5 on every row, loss 0.25.\n\n"
       "**Exercise 3.** At step 2000, write `H1` in terms of `Z1` without LeakyReLU. Check "
       "your formula against `end[\"H1\"]` and `end[\"Z1\"]`.\n\n" + answer(
           "`H1 = Z1 * [0.5, 1]`: unit 0's `Z1` is negative on every row, so its `H1` is "
           "0.5·`Z1`; unit 1's is positive, so its `H1` is `Z1` itself. "
           "`np.allclose(end[\"H1\"], end[\"Z1\"] * [0.5, 1])` is `True`.")),
    md("**Exercise 4.** Plain ReLU has slope 0 below its kink. Put ReLU in the hidden layer "
       "(`bpv.MLP([2, 2, 1], [\"relu\", bpv.LeakyReLU(0.5)])`), load the seed's weights and "
       "train 2000 steps at lr 0.75. What happens to hidden unit 0?\n\n" + answer(
           "Unit 0's `Z1` is negative on all four rows, so ReLU gives `H1 = 0` and "
           "`f'(Z1) = 0` there. Every gradient of its weights is exactly 0 (`dL/dW1` row 0 is "
           "[0, 0] and `dL/dB1[0]` is 0), so its weights never move: after 2000 steps they "
           "are still the seed's 0.2985, -0.5792 and -0.4939. A unit like this is *dead*. "
           "The net is left with one hidden unit, linear on the data, and ends at loss 0.25 "
           "with every output 0.500.")),

    md("## 3. A unit that bends everywhere\n\n"
       "tanh has no straight piece: its slope changes with every Z. Keep the seed's weights "
       "and its LeakyReLU(0.5) output unit, put tanh in the hidden layer, and train at the "
       "seed's lr 0.75."),
    code("net = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "net.load_state_dict(bpv.examples.seed_state_dict())\n"
         "trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=0.75)\n"
         "for steps in (76, 1, 223):\n"
         "    trainer.run(steps)\n"
         "    print(f\"step {trainer.steps:3d}: loss {trainer.curve.train_loss[-1]:.6f}, \"\n"
         "          f\"outputs: {np.round(net.forward(X)[:, 0], 3) + 0.0}\")\n"
         "print(\"Z1 at step 300:\")\n"
         "print(net.trace(X, Y, loss=\"mse\")[\"Z1\"])"),
    md("At step 76 the output for (1, 1) is still -0.141, more than 0.1 from its target. "
       "From step 77 on, every output stays within 0.1 of 0 1 1 0, and by step 300 the loss "
       "is below 1e-20.\n\n"
       "Look at the signs of `Z1` now. Unit 0 is positive only on row (1, 0), unit 1 only on "
       "row (0, 1): each hidden unit has learned to spot one of the two rows whose target "
       "is 1, and the output adds them up (both output weights are positive). That needs each "
       "unit to treat rows differently, which a unit that stays on one straight piece cannot "
       "do.\n\n"
       "Try it in the Explorer: the same net, the same start, lr 0.75. Press **Play** and "
       "watch the two hidden units' maps under the decision boundary. Then open "
       "**Architecture**, choose `leaky_relu` for the hidden layer and play again."),
    code("fresh = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "fresh.load_state_dict(bpv.examples.seed_state_dict())\n"
         "explorer = bpv.Explorer(fresh, X, Y, loss=\"mse\", lr=0.75)\n"
         "explorer"),
    md("**Exercise 5.** Was the seed's start just lucky? Train the tanh net from the starts "
       "`bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)], seed=s)` for s = 0 to 9, at lr "
       "0.75. Do they all solve XOR, and how fast?\n\n" + answer(
           "All ten do, but most take about ten times longer than from the seed's weights. "
           "Every output stays within 0.1 of its target from step 92 (seed 4), 111 (seed 8), "
           "189 (seed 7), 778 to 798 (seeds 0, 2, 3, 5, 6 and 9) and 1491 (seed 1). A "
           "nonlinearity makes XOR possible; how fast training gets there still depends on "
           "where it starts (notebook 07).")),
]
write(cells, "notebooks/06_why_a_nonlinearity.ipynb")
