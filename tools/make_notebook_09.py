"""Writes notebooks/09_playground.ipynb (unexecuted)."""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# The playground on one screen\n\n"
       "Everything of the Explorer, laid out for a projector as TensorFlow Playground is:\n\n"
       "- **on top**, the training controls: **Step**, **Play**, **Undo**, **Reset**, the "
       "learning rate, the batch, the optimizer and the L1/L2 penalties;\n"
       "- **Data**: the dataset, its rows, noise and test share, and the **features** the "
       "net reads from each point (x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂);\n"
       "- **The net**: every unit, the inputs too, is a small map of its output over the "
       "input plane (blue positive, orange negative, white 0; white is 0.5 for a sigmoid "
       "unit). Edges are blue for positive and orange for negative weights, thicker for "
       "larger ones. Hover over a unit or an edge for its numbers. **+ layer**, **− layer** "
       "and − / + beside each layer change the net;\n"
       "- **Output**: the decision boundary and the loss curve;\n"
       "- **below**, in tabs on the same net: the chain-rule stepper and the drill-down, the "
       "diagram with every number, a slider per weight, the architecture, the loss "
       "landscape, saving and loading, and the computation graph.\n\n"
       "On a 1280 × 720 projector, fold JupyterLab's file browser (**View → Appearance → "
       "Show Left Sidebar**, or Ctrl+B) and scroll until the playground's top is at the top "
       "of the window: the controls, the net, the boundary and the loss curve are all in "
       "view."),
    code("import backpropviz as bpv\n\n"
         "X, Y = bpv.datasets.circle(200, noise=0.05, seed=0)\n"
         "X_train, Y_train, X_test, Y_test = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)\n"
         "net = bpv.MLP([2, 1], [\"sigmoid\"], seed=0)\n"
         "playground = bpv.Playground(net, X_train, Y_train, X_test=X_test, Y_test=Y_test,\n"
         "                            loss=\"bce\", lr=0.5)\n"
         "playground"),
    md("The net starts with no hidden layer: the inputs go straight to one sigmoid unit.\n\n"
       "**Exercise 1.** Press **Play** and let it run for 500 steps, then pause. What does "
       "the boundary look like, and how many training rows are right?\n\n" + answer(
           "A straight line: with no hidden layer the output is σ(w·x + b), and σ is 0.5 "
           "exactly where w·x + b = 0, a line. No line separates a ring from the disc "
           "inside it. The loss stops falling at 0.685, and 94 of the 150 training rows "
           "(63%) are right, little better than guessing.")),
    md("**Exercise 2.** Press **Reset**, then **+ layer**: one hidden layer of 4 tanh units. "
       "Press **Play** again for 500 steps. Watch the four maps in the hidden layer while it "
       "trains: what does each one become, and how does the output combine them?\n\n" + answer(
           "After 500 steps every training row is right (150 of 150) and 48 of the 50 test "
           "rows; the loss is 0.110. Each hidden unit's map is a tanh of a line: one edge "
           "across the plane, blue on one side and orange on the other. The output unit "
           "adds them with its weights, and the edges together close in the disc.")),
    md("**Exercise 3.** Open the **Chain rule** tab and press **Next ▶** a few times. Which "
       "units and edges light up in the net above as the stepper moves from the forward pass "
       "to the backward pass?\n\n" + answer(
           "At each step, the units and edges that step uses get an amber outline: Z1 = X @ "
           "W1ᵀ + B1 lights the inputs, the first layer's edges and its units, and the "
           "backward pass lights them again in the other order, from the loss back to the "
           "first layer's weights.")),
    md("**Exercise 4.** Press **− layer**: no hidden layer again. Under the data, switch on "
       "the features **x₁²** and **x₂²** (keep x₁ and x₂). The net now has four inputs, and "
       "the net's picture shows a map for each. Press **Play** for 500 steps. What is the "
       "boundary now, how many rows are right, and why, with no hidden layer?\n\n" + answer(
           "A closed curve around the disc: every training row is right (150 of 150) and 48 "
           "of the 50 test rows, with a loss of 0.120, about what the hidden layer of "
           "Exercise 2 reached. The output is σ(w₁x₁ + w₂x₂ + w₃x₁² + w₄x₂² + b), which is "
           "0.5 where that sum is 0: with the squares among the inputs, that is an ellipse, "
           "not just a line. The squares hand the net the very shape that the hidden layer "
           "had to learn: a good representation does a hidden layer's work.")),
]
write(cells, "notebooks/09_playground.ipynb")
