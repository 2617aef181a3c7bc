"""Writes notebooks/05_beyond_xor.ipynb (unexecuted)."""

from notebook_writer import code, md, write
cells = [
    md("# Beyond XOR\n\n"
       "Two interleaving moons, 200 points with a little noise, a quarter of them held out as a "
       "test set (triangles in the plot). The net is 2-8-8-1 with tanh hidden layers and a "
       "sigmoid output, trained with binary cross-entropy.\n\n"
       "Open **Data** below the Explorer to switch to a circle, noisy XOR, two gaussians, a "
       "spiral or three blobs (three classes: the loss becomes softmax cross-entropy with one "
       "output per class), and to change the noise, the size and the test share. **Architecture** "
       "changes the layers, widths, activations, loss and initial seed; **Loss landscape** shows "
       "the loss around the current weights along any two parameters, with the way downhill and "
       "the path training took; **Save and load** keeps the whole state for the next lesson."),
    code("import tempfile\n"
         "from pathlib import Path\n\n"
         "import backpropviz as bpv\n\n"
         "X, Y = bpv.datasets.moons(200, noise=0.1, seed=0)\n"
         "X_train, Y_train, X_test, Y_test = bpv.datasets.train_test_split(X, Y, test_fraction=0.25, seed=0)\n"
         "net = bpv.MLP([2, 8, 8, 1], [\"tanh\", \"tanh\", \"sigmoid\"], seed=0)\n"
         "explorer = bpv.Explorer(net, X_train, Y_train, loss=\"bce\", lr=0.5,\n"
         "                        X_test=X_test, Y_test=Y_test)\n"
         "explorer"),
    md("## Things to try\n\n"
       "1. **Play** until the test accuracy stops improving. Which hidden units matter? "
       "(Look at their maps.)\n"
       "2. Set the batch size to 8: each step now uses 8 shuffled rows, so an epoch takes 19 "
       "steps. How does the loss curve change?\n"
       "3. The spiral with 2 hidden units cannot be learned. How few units can?\n"
       "4. Open the loss landscape, pick two weights of layer 1 and train: does the path follow "
       "the arrow?\n\n"
       "From code, 1000 full-batch steps:"),
    code("state = explorer.state\n"
         "state.train(1000)\n"
         "curve = state.trainer.curve\n"
         "print(f\"train loss {curve.train_loss[-1]:.4f}, accuracy {curve.train_acc[-1]:.1%}\")\n"
         "print(f\"test  loss {curve.test_loss[-1]:.4f}, accuracy {curve.test_acc[-1]:.1%}\")"),
    md("## Three classes\n\n"
       "With more than two classes the net needs one output per class and softmax "
       "cross-entropy; giving the state data with three labels sets that up."),
    code("X3, Y3 = bpv.datasets.blobs(240, noise=0.25, seed=0)\n"
         "state.set_data(X3, Y3)\n"
         "print(state.net, state.loss)\n"
         "state.train(300)\n"
         "print(f\"accuracy after 300 steps: {state.trainer.curve.train_acc[-1]:.1%}\")"),
    md("## Save the state for the next lesson\n\n"
       "Everything is saved: the architecture, the weights and the starting weights, the data, "
       "the settings and the training history (so Undo still works after loading). Loading "
       "gives back the very same numbers."),
    code("path = Path(tempfile.mkdtemp()) / \"lesson.json\"\n"
         "state.save(path)\n"
         "again = bpv.ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())\n"
         "again.load(path)\n"
         "print(\"same state:\", again.to_json() == state.to_json())\n"
         "print(f\"{again.net.arch} net after {again.trainer.steps} steps, loss {again.trace.loss:.4f}\")"),
]
write(cells, "notebooks/05_beyond_xor.ipynb")
