"""Writes notebooks/01_xor_by_hand.ipynb (unexecuted); `make notebooks-exec` runs it."""

from notebook_writer import code, md, write
cells = [
    md("# One training step of a 2-2-1 net on XOR, by hand\n\n"
       "We follow a single step of gradient descent through a tiny network, printing every "
       "intermediate. The net has 2 inputs, 2 hidden units and 1 output; both layers use "
       "LeakyReLU with slope 0.5, the loss is the mean squared error, and the learning rate "
       "is 0.75.\n\n"
       "The layout is PyTorch's: `layer1.weight` has shape (out, in), and a layer computes "
       "`Z = X @ W.T + B`, then `H = f(Z)`. `bpv.MLP.trace` runs the forward and backward "
       "pass once and keeps every intermediate under the name we use on the board."),
    code("import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "# Learning Rate\n"
         "lr = 0.75\n\n"
         "# Inputs and Outputs of XOR\n"
         "X = np.array([[0., 0.],\n"
         "              [0., 1.],\n"
         "              [1., 0.],\n"
         "              [1., 1.]])\n\n"
         "Y = np.array([[0.],\n"
         "              [1.],\n"
         "              [1.],\n"
         "              [0.]])\n\n"
         "# Weights and Biases\n"
         "W1 = np.array([\n"
         "    [0.2985, -0.5792],\n"
         "    [0.0913, 0.4234]\n"
         "])\n"
         "W2 = np.array([\n"
         "    [0.5266, 0.2958]\n"
         "])\n"
         "B1 = np.array([-0.4939, 0.189])\n"
         "B2 = np.array([0.6358])\n\n"
         "net = bpv.MLP([2, 2, 1], activation=bpv.LeakyReLU(0.5))\n"
         "net.load_state_dict({\"layer1.weight\": W1, \"layer1.bias\": B1,\n"
         "                     \"layer2.weight\": W2, \"layer2.bias\": B2})\n\n"
         "# One forward and backward pass, every intermediate kept by name\n"
         "t = net.trace(X, Y, loss=\"mse\", lr=lr)"),
    md("## Forward Pass\n\n"
       "Each layer multiplies its input by the transposed weights and adds the bias "
       "(`Z1 = X @ W1.T + B1`), then applies the activation: `H1 = max(0.5·Z1, Z1)`, "
       "LeakyReLU with slope 0.5."),
    code("# Layer 1\n"
         "print(f'Z1:\\n{t[\"Z1\"]}\\n')\n"
         "print(f'H1:\\n{t[\"H1\"]}\\n')\n\n"
         "# Layer 2\n"
         "print(f'Z2:\\n{t[\"Z2\"]}\\n')\n"
         "print(f'H2:\\n{t[\"H2\"]}\\n')"),
    md("## Loss Calculation\n\n"
       "The mean squared error over the four rows, `L = mean((Y - H2)²)`. Training does not "
       "need its value, only its gradient, but it tells us how wrong the net is."),
    code("# MSE loss calculation (not needed for training)\n"
         "print(t[\"loss\"])"),
    md("## Backwards Pass\n\n"
       "The long chain: from the loss back to each pre-activation. Each step multiplies the "
       "gradient flowing in from the loss side (upstream) by a local derivative:\n\n"
       "- `dL/dH2 = 2·(H2 - Y) / N`, the derivative of the mean squared error\n"
       "- `dL/dZ2 = dL/dH2 ⊙ f'(Z2)`, where `f'(Z) = 1` for `Z > 0` and `0.5` otherwise\n"
       "- `dL/dH1 = dL/dZ2 @ W2`, back through the weights of layer 2\n"
       "- `dL/dZ1 = dL/dH1 ⊙ f'(Z1)`"),
    code("# Long Chain Calculation\n"
         "print(f'dL/dH2:\\n{t[\"dL/dH2\"]}\\n')\n"
         "print(f'dL/dZ2:\\n{t[\"dL/dZ2\"]}\\n')\n"
         "print(f'dL/dH1:\\n{t[\"dL/dH1\"]}\\n')\n"
         "print(f'dL/dZ1:\\n{t[\"dL/dZ1\"]}\\n')"),
    md("The leaves of the graph are the parameters. A weight's gradient sums, over the rows, "
       "the upstream gradient times the layer's input (`dL/dW2 = dL/dZ2.T @ H1`); a bias's "
       "gradient is the upstream gradient summed over the rows."),
    code("# Leaf Node Calculations\n"
         "print(f'layer2.weight gradients:\\n{t[\"dL/dW2\"]}\\n')\n"
         "print(f'layer2.bias gradients:\\n{t[\"dL/dB2\"]}\\n')\n\n"
         "print(f'layer1.weight gradients:\\n{t[\"dL/dW1\"]}\\n')\n"
         "print(f'layer1.bias gradients:\\n{t[\"dL/dB1\"]}\\n')"),
    md("## Update Parameters\n\n"
       "One step of gradient descent moves every parameter against its gradient: "
       "`W ← W - lr · dL/dW`."),
    code("net.sgd_step(t)  # W <- W - lr * dL/dW for every layer, with the traced lr\n"
         "new = net.state_dict()\n\n"
         "print(f'layer1.weight:\\n{new[\"layer1.weight\"]}\\n')\n\n"
         "print(f'layer1.bias:\\n{new[\"layer1.bias\"]}\\n')\n\n"
         "print(f'layer2.weight:\\n{new[\"layer2.weight\"]}\\n')\n\n"
         "print(f'layer2.bias:\\n{new[\"layer2.bias\"]}\\n')"),
    md("Every number above is the one the same computation gives by hand, to the last digit. "
       "Next, step through these operations one at a time and change the weights live."),
]
write(cells, "notebooks/01_xor_by_hand.ipynb")
