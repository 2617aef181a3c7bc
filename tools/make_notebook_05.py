"""Writes notebooks/05_beyond_xor.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# Beyond XOR\n\n"
       "Two interleaving moons: 80 points with a lot of noise, half of them held out as a "
       "test set (triangles in the plot). The net is 2-8-8-1 with tanh hidden layers and a "
       "sigmoid output, trained with binary cross-entropy at lr 0.5. It only ever sees the "
       "40 training points; the 40 test points show how well it does on points it has not "
       "seen.\n\n"
       "Open **Data** below the Explorer to switch to a circle, noisy XOR, two gaussians, a "
       "spiral or three blobs (three classes: the loss becomes softmax cross-entropy with one "
       "output per class), and to change the noise, the size and the test share. **Architecture** "
       "changes the layers, widths, activations, loss and initial seed; **Loss landscape** shows "
       "the loss around the current weights along any two parameters, with the way downhill and "
       "the path training took; **Save and load** keeps the whole state for the next lesson."),
    code("import tempfile\n"
         "from pathlib import Path\n\n"
         "import numpy as np\n"
         "import backpropviz as bpv\n\n"
         "X, Y = bpv.datasets.moons(80, noise=0.3, seed=0)\n"
         "X_train, Y_train, X_test, Y_test = bpv.datasets.train_test_split(X, Y, test_fraction=0.5, seed=0)\n"
         "net = bpv.MLP([2, 8, 8, 1], [\"tanh\", \"tanh\", \"sigmoid\"], seed=0)\n"
         "explorer = bpv.Explorer(net, X_train, Y_train, loss=\"bce\", lr=0.5,\n"
         "                        X_test=X_test, Y_test=Y_test)\n"
         "explorer"),
    md("## Training and test diverge\n\n"
       "Press **Play** and watch the two loss curves. The same from code: 2000 full-batch "
       "steps, with the loss and accuracy on both sets along the way."),
    code("state = explorer.state\n"
         "state.train(2000)\n"
         "curve = state.trainer.curve\n"
         "print(\"step   train loss  accuracy   test loss  accuracy\")\n"
         "for k in (0, 100, 200, 500, 1000, 2000):\n"
         "    print(f\"{k:4d} {curve.train_loss[k]:12.3f} {curve.train_acc[k]:9.0%} \"\n"
         "          f\"{curve.test_loss[k]:11.3f} {curve.test_acc[k]:9.0%}\")\n"
         "best = int(np.argmin(curve.test_loss))\n"
         "print(f\"lowest test loss: {curve.test_loss[best]:.3f}, at step {best}\")"),
    md("The training loss keeps going down, with a few bumps on the way: from 0.652 at the "
       "start to 0.070 after 2000 steps, with 98% of the training points right. The test loss falls only until step 209 (0.411), then rises "
       "to 1.514; test accuracy drops from 85% at step 200 to 65% at step 1000 (75% at step "
       "2000). After step 209 the net is learning the noise of its 40 training points, which "
       "does not carry over to new points. This gap between training and test is "
       "*overfitting*; the test set is there to show it.\n\n"
       "**Exercise 1.** If you could stop training at any step, when would you stop, and "
       "what would the net score on the test points?\n\n" + answer(
           "At the step with the lowest test loss, 209: test loss 0.411 and 85% of the test "
           "points right. (Stopping when the held-out loss is lowest is called *early "
           "stopping*. In practice a third set, a validation set, picks the step, so that the "
           "test set stays unseen.)")),
    md("**Exercise 2.** Give the net more data: the same noise, 400 points, half held out "
       "(`bpv.datasets.moons(400, noise=0.3, seed=0)`, then the same split, net and learning "
       "rate). Train 2000 steps. Does the gap shrink?\n\n" + answer(
           "Yes. With 200 training points, after 2000 steps the net gets 88% of the training "
           "and 86% of the test points right (loss 0.285 and 0.407). With 40 it was 98% and "
           "75%. Forty noisy points are easy to memorise; two hundred are much harder, so the net "
           "learns more of the moons' shape.")),
    md("## Things to try\n\n"
       "1. Set the batch size to 8: each step now uses 8 shuffled rows of the 40, so an "
       "epoch takes 5 steps. How does the loss curve change?\n"
       "2. Open the loss landscape, pick two weights of layer 1 and train: does the path "
       "follow the arrow?\n\n"
       "**Exercise 3.** The spiral. Open **Data**, choose the spiral and set the noise to 0.03 "
       "(keep 200 rows, test share 0.25, data seed 0). Which architecture, activation and "
       "learning rate learn it? Set them "
       "in **Architecture** (init seed 0) and the learning rate box, then **Play**. It takes "
       "thousands of steps, so set *steps per frame* high.\n\n" + answer(
           "Three hidden layers of 8 tanh units (2-8-8-8-1), a sigmoid output, binary "
           "cross-entropy, lr 0.3, full batch. It gets every training point right for the "
           "first time at step 8723; after 10000 steps it has 100% of the training points "
           "and 100% of the test points right. One hidden layer is not enough in that time: "
           "after the same 10000 steps at lr 0.5, one hidden layer of 8 tanh units gets 85% of the training "
           "points right and one layer of 2 units 59%.")),

    md("## Three classes\n\n"
       "With more than two classes the net needs one output per class and softmax "
       "cross-entropy. Giving the state data with `classes=3` sets that up: the output layer "
       "becomes three Identity units and the loss `cross_entropy`."),
    code("X3, Y3 = bpv.datasets.blobs(240, noise=0.25, seed=0)\n"
         "state.set_data(X3, Y3, classes=3)\n"
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
