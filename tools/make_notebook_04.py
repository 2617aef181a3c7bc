"""Writes notebooks/04_train_xor.ipynb (unexecuted)."""

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
         "X, Y = bpv.datasets.xor()\n"
         "explorer = bpv.Explorer(bpv.examples.seed_net(), X, Y, loss=\"mse\", lr=0.75)\n"
         "explorer"),
    md("## Things to try\n\n"
       "1. Press **Play** and watch the loss curve. It does not fall smoothly: at lr 0.75 the "
       "steps overshoot. **Reset**, set the learning rate to 0.1 and play again.\n"
       "2. Press **Step** a few times with the stepper open at `new W1`: the update shown is "
       "the one applied.\n"
       "3. Set the learning rate to 50 and press **Step** until something happens. Read the "
       "message, then **Undo**.\n\n"
       "The same, from code (handy to prepare a lesson): 2000 steps at lr 0.75 do solve XOR."),
    code("state = explorer.state\n"
         "state.train(2000)\n"
         "print(f\"after {state.trainer.steps} steps: loss {state.trace.loss:.6f}, \"\n"
         "      f\"accuracy {state.trainer.curve.train_acc[-1]:.0%}\")\n"
         "print(\"outputs:\", np.round(state.net.forward(X)[:, 0], 3))"),
    md("A learning rate that is far too large makes the loss overflow. Training stops and says "
       "why; Undo steps back to the last finite loss and Reset starts over."),
    code("state.reset()\n"
         "state.configure(lr=50)\n"
         "taken = state.train(100)\n"
         "print(f\"stopped after {taken} steps\")\n"
         "print(state.message)\n"
         "while state.trainer.diverged:\n"
         "    state.undo()\n"
         "print(f\"undone to step {state.trainer.steps}, loss {state.trace.loss:.4g}\")\n"
         "state.reset()\n"
         "state.configure(lr=0.75)\n"
         "print(f\"reset: loss {state.trace.loss}\")"),
]
write(cells, "notebooks/04_train_xor.ipynb")
