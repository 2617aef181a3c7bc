"""Writes notebooks/07_initialization_and_vanishing_gradients.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# Initialization and vanishing gradients\n\n"
       "Where training starts decides a lot. This lesson shows three ways a start can go "
       "wrong, with the real numbers:\n\n"
       "1. Weights that start all zero, or all equal, stay symmetric: the hidden units stay "
       "identical, so the net can use only one of them.\n"
       "2. In a deep sigmoid net the first layers get almost no gradient: 2373 times less "
       "than the last layer on our data.\n"
       "3. A better starting scale for the weights fixes that.\n\n"
       "Each part ends with exercises. Work them out first, then click **Answer**."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "np.set_printoptions(precision=4, suppress=True)\n"
         "X, Y = bpv.datasets.xor()"),

    md("## 1. Symmetric starts stay symmetric\n\n"
       "The net is notebook 06's 2-2-1 net that solves XOR: tanh hidden units and a "
       "LeakyReLU(0.5) output. First, start it with every weight and bias at 0 and look at "
       "the gradients."),
    code("net = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "net.load_state_dict({name: np.zeros(shape) for name, shape in net.parameter_shapes().items()})\n"
         "t = net.trace(X, Y, loss=\"mse\")\n"
         "for name in (\"dL/dW1\", \"dL/dB1\", \"dL/dW2\", \"dL/dB2\"):\n"
         "    print(f\"{name}: {t[name].tolist()}\")\n"
         "trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=0.3)\n"
         "trainer.run(1000)\n"
         "print(f\"after 1000 steps at lr 0.3: loss {trainer.curve.train_loss[-1]:.6f}\")\n"
         "for name, value in net.state_dict().items():\n"
         "    print(f\"  {name}: {value.ravel()}\")"),
    md("Only the output bias has a gradient. With every weight 0, `H1 = tanh(0) = 0`, so "
       "`dL/dW2 = dL/dZ2.T @ H1` is 0; and `dL/dH1 = dL/dZ2 @ W2` is 0 because `W2` is, so "
       "`dL/dW1` is 0 too. After 1000 steps every weight is still exactly 0 and the output "
       "bias is 0.5, the mean of the targets: loss 0.25.\n\n"
       "Next, start the two hidden units with *equal* weights that are not 0: both get the "
       "seed's unit 0 weights (0.2985, -0.5792, bias -0.4939), and both output weights are "
       "0.5266. Train 2000 steps at lr 0.3 and compare the two units at every step."),
    code("equal = {\"layer1.weight\": np.array([[0.2985, -0.5792], [0.2985, -0.5792]]),\n"
         "         \"layer1.bias\": np.array([-0.4939, -0.4939]),\n"
         "         \"layer2.weight\": np.array([[0.5266, 0.5266]]),\n"
         "         \"layer2.bias\": np.array([0.6358])}\n"
         "net = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "net.load_state_dict(equal)\n"
         "trainer = bpv.Trainer(net, X, Y, loss=\"mse\", lr=0.3)\n"
         "twins = 0\n"
         "for _ in range(2000):\n"
         "    t = trainer.step()  # the trace this step used\n"
         "    same_H1 = np.array_equal(t[\"H1\"][:, 0], t[\"H1\"][:, 1])\n"
         "    same_gradient = np.array_equal(t[\"dL/dW1\"][0], t[\"dL/dW1\"][1])\n"
         "    twins += same_H1 and same_gradient\n"
         "print(f\"steps where the two units had the same H1 and the same gradient: {twins} of 2000\")\n"
         "print(\"layer1.weight after 2000 steps:\")\n"
         "print(net.state_dict()[\"layer1.weight\"])\n"
         "print(f\"loss {trainer.curve.train_loss[-1]:.6f}, outputs {net.forward(X)[:, 0]}\")"),
    md("The two hidden units are identical at every step, bit for bit. They compute the "
       "same `H1`, so they get the same gradient and make the same update, and the next step "
       "starts equal again. Two equal units are one unit, and one tanh unit cannot do XOR. "
       "The loss creeps down to 0.1694 after 2000 steps: the net gets (1, 0) right and "
       "answers about 0.34 on the other three rows, one of which should be 1.\n\n"
       "This is why nets start from *random* weights: the units must differ for gradient "
       "descent to make them do different jobs.\n\n"
       "In the Explorer below, the net starts from the equal weights. Press **Play** and "
       "watch the two hidden units' maps: they stay the same picture. Then press **Reset**, "
       "click the number beside `layer1.weight[1,0]`, type 0.2995 (0.001 more than before), "
       "press Enter and **Play** again."),
    code("start = bpv.MLP([2, 2, 1], [\"tanh\", bpv.LeakyReLU(0.5)])\n"
         "start.load_state_dict(equal)\n"
         "explorer = bpv.Explorer(start, X, Y, loss=\"mse\", lr=0.3)\n"
         "explorer"),
    md("**Exercise 1.** Start from all zeros again, but with sigmoid hidden units "
       "(`[\"sigmoid\", bpv.LeakyReLU(0.5)]`). Do the weights stay at 0? Do the units stay "
       "identical? Train 1000 steps at lr 0.3.\n\n" + answer(
           "The weights move, but the units stay identical. Now `H1 = sigmoid(0) = 0.5`, so "
           "`dL/dW2` is -0.25 for both units, `W2` moves, and then `W1` gets gradients too. "
           "But the two units always get the same ones: after 1000 steps both rows of "
           "`layer1.weight` are [0.0011, 0.0011]. The net is stuck at loss 0.250000, every "
           "output within 0.0001 of 0.5.")),
    md("**Exercise 2.** Break the tie: take the equal start, add 0.001 to "
       "`layer1.weight[1, 0]` (0.2985 becomes 0.2995) and train at lr 0.3. (Or do it in the "
       "Explorer, as above.)\n\n" + answer(
           "It solves XOR. From step 871 on, every output stays within 0.1 of 0 1 1 0; after "
           "2000 steps the loss is below 1e-30. A difference of 0.001 gives the two units "
           "slightly different gradients, training makes the difference grow, and the units "
           "end up doing different jobs: `layer1.weight` is [[1.444, -1.422], [2.654, -2.454]] "
           "and the output weights have opposite signs, -1.227 and 1.338.")),

    md("## 2. Vanishing gradients in a deep sigmoid net\n\n"
       "A deeper net: 2-8-8-8-8-1, a sigmoid output, binary cross-entropy, on 200 points of "
       "the moons data. The weights start as `MLP` draws them (as PyTorch's `nn.Linear` "
       "does): uniform in ±1/√fan_in, here ±0.35 between hidden layers. The cell builds the "
       "same net three times with different hidden units and prints the mean size of "
       "`dL/dW` in each layer, before any training."),
    code("X2, Y2 = bpv.datasets.moons(200, noise=0.1, seed=0)\n"
         "acts = (\"sigmoid\", \"tanh\", \"relu\")\n"
         "nets = {act: bpv.MLP([2, 8, 8, 8, 8, 1], [act] * 4 + [\"sigmoid\"], seed=0) for act in acts}\n"
         "traces = {act: nets[act].trace(X2, Y2, loss=\"bce\") for act in acts}\n"
         "grads = {act: [np.abs(traces[act][f\"dL/dW{l}\"]).mean() for l in range(1, 6)] for act in acts}\n"
         "print(\"mean |dL/dW|    sigmoid      tanh      relu\")\n"
         "for l in range(5):\n"
         "    print(f\"layer {l + 1}      \" + \"\".join(f\"{grads[act][l]:10.2e}\" for act in acts))\n"
         "print(\"layer 5 / 1  \" + \"\".join(f\"{grads[act][4] / grads[act][0]:10.1f}\" for act in acts))"),
    md("With sigmoid hidden units, layer 1's gradient is 1.25e-05 and layer 5's is 2.96e-02: "
       "2373 times larger. With tanh the ratio is 8.4, with ReLU 8.7.\n\n"
       "On its way back, the gradient passes each hidden layer as `dL/dZ = dL/dH ⊙ f'(Z)` and "
       "then `dL/dH_prev = dL/dZ @ W`. The sigmoid's slope is at most 0.25 and these weights "
       "are small, so each sigmoid layer shrinks the gradient: the mean |dL/dZ| is 7 to 23 "
       "times smaller one layer down, from 2.5e-03 at layer 5 to 1.8e-07 at layer 1. tanh's "
       "slope is up to 1 and ReLU's is 1 where a unit is on; their layers shrink it 2 to 8 "
       "times.\n\n"
       "A gradient 2000 times smaller means steps 2000 times smaller: the first layers "
       "hardly learn. Part 3 trains these nets.\n\n"
       "**Exercise 3.** Print the mean local derivative `dH1/dZ1`, ..., `dH4/dZ4` of the "
       "sigmoid net (`traces[\"sigmoid\"]`). What is the largest a sigmoid's slope can be, "
       "and where?\n\n" + answer(
           "The means are 0.234, 0.235, 0.246 and 0.242. The sigmoid's slope is "
           "σ(z)·(1 − σ(z)), largest at z = 0, where it is 0.25. These weights are small, so "
           "every `Z` is small and every slope close to 0.25: each sigmoid layer multiplies the "
           "gradient by about 0.25 (then by the small weights) on the way back.")),

    md("## 3. A better starting scale\n\n"
       "Glorot and Bengio (2010) proposed scaling each layer's weights to its fan-in and "
       "fan-out: uniform in ±√(6 / (fan_in + fan_out)) for tanh. For sigmoid, whose slope at 0 "
       "is a quarter of tanh's, the usual advice is 4 times that. Between two layers of 8 that is "
       "±2.45 for sigmoid instead of ±0.35.\n\n"
       "The cell stretches the sigmoid net's own weights to that scale (the same random "
       "pattern, only larger; the biases stay) and loads them with `load_state_dict`. Then "
       "it compares the gradients."),
    code("scaled = nets[\"sigmoid\"].state_dict()\n"
         "for name, shape in nets[\"sigmoid\"].parameter_shapes().items():\n"
         "    if name.endswith(\"weight\"):\n"
         "        fan_out, fan_in = shape\n"
         "        old_bound = 1 / np.sqrt(fan_in)                  # how MLP drew them\n"
         "        new_bound = 4 * np.sqrt(6 / (fan_in + fan_out))  # Glorot's bound, times 4 for sigmoid\n"
         "        scaled[name] = scaled[name] * (new_bound / old_bound)\n"
         "glorot = bpv.MLP([2, 8, 8, 8, 8, 1], \"sigmoid\")\n"
         "glorot.load_state_dict(scaled)\n"
         "t = glorot.trace(X2, Y2, loss=\"bce\")\n"
         "print(\"mean |dL/dW|    sigmoid   sigmoid, Glorot scale\")\n"
         "for l in range(5):\n"
         "    print(f\"layer {l + 1}      {grads['sigmoid'][l]:10.2e}{np.abs(t[f'dL/dW{l + 1}']).mean():14.2e}\")"),
    md("Layer 1's gradient grows from 1.25e-05 to 1.02e-02, about 800 times. Now train the "
       "three nets for 1000 steps at lr 0.5: the sigmoid net as drawn, the same net at "
       "Glorot's scale, and the tanh net as drawn."),
    code("runs = {\"sigmoid\": nets[\"sigmoid\"], \"sigmoid, Glorot scale\": glorot, \"tanh\": nets[\"tanh\"]}\n"
         "print(\"                        loss at step  0      100      300     1000   accuracy\")\n"
         "for label, net in runs.items():\n"
         "    trainer = bpv.Trainer(net, X2, Y2, loss=\"bce\", lr=0.5)\n"
         "    trainer.run(1000)\n"
         "    c = trainer.curve\n"
         "    print(f\"{label:22s}\" + \"\".join(f\"{c.train_loss[k]:9.4f}\" for k in (0, 100, 300, 1000))\n"
         "          + f\"{c.train_acc[-1]:10.1%}\")"),
    md("The sigmoid net as drawn does not learn: its loss falls from 0.6994 to 0.6931 in the "
       "first 100 steps and stays there. 0.6931 is ln 2, the loss of answering 0.5 for every "
       "point, and after 1000 steps every output is within 0.0003 of 0.5 (its 77.5% accuracy "
       "comes from differences in the fourth decimal). At Glorot's scale the same net starts "
       "worse (loss 2.5394: large weights give confident wrong answers) but reaches loss "
       "0.0069 and 100% accuracy. The tanh net, whose gradients did not vanish, learns at the "
       "default scale.\n\n"
       "**Exercise 4.** Give the tanh net Glorot's scale too (√(6 / (fan_in + fan_out)), "
       "without the 4). Compare its gradient in layer 1 and its loss after 100 steps at lr "
       "0.5 with the tanh net as drawn.\n\n" + answer(
           "Layer 1's mean |dL/dW| grows from 2.17e-03 to 1.76e-02, and the ratio of layer 5 "
           "to layer 1 falls from 8.4 to 3.7. After 100 steps the loss is 0.085 instead of "
           "0.362: the same net, only a better start, learns faster.")),
]
write(cells, "notebooks/07_initialization_and_vanishing_gradients.ipynb")
