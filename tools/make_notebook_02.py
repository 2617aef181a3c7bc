"""Writes notebooks/02_step_through_the_chain_rule.ipynb (unexecuted)."""

from notebook_writer import code, md, write

cells = [
    md("# Step through the chain rule\n\n"
       "The same training step as in notebook 01 (the 2-2-1 LeakyReLU(0.5) net on XOR, "
       "MSE, learning rate 0.75), now one operation at a time. Click **Next ▶** to move "
       "forward through the pass, the loss, every step of backpropagation and the update. "
       "**◀ Prev** goes back and **Jump to** goes anywhere.\n\n"
       "Each step shows its formula, then the real numbers: the operands in the order the "
       "formula reads them, the shape under each, and the result. In a backward step, the "
       "gradient flowing in from the loss is marked *upstream gradient* and the derivative "
       "of this one operation *local derivative*: the chain rule multiplies the two. At the "
       "loss and its gradient, the stepper also says what N is: here N = 4 entries "
       "(4 rows × 1 output)."),
    code("import backpropviz as bpv\n\n"
         "net = bpv.examples.seed_net()          # the seed's weights\n"
         "X, Y = bpv.datasets.xor()\n"
         "state = bpv.ExplorerState(net, X, Y, loss=\"mse\", lr=0.75)"),
    md("Every step of the pass, in the order we will walk through it:"),
    code("for step in state.trace.steps:\n"
         "    print(f\"{step.index + 1:2d}. [{step.phase}] {step.text}\")"),
    md("## The stepper\n\n"
       "The network diagram below it follows along: the units and edges the current step "
       "uses are highlighted. Pick a sample to see its values in every unit, and tick "
       "*show gradients* to see dL/dZ on the units and dL/dW on the edges."),
    code("stepper = bpv.ChainRuleStepper(state)\n"
         "stepper"),
    code("bpv.NetworkDiagram(state)"),
    md("## Predict before you reveal\n\n"
       "In quiz mode the result of each step is hidden. One entry is marked: work it out "
       "from the operands (on paper or in your head), type it and press Enter or **Check**. "
       "Answers within 2% (or 0.0005) count as right; then the result is revealed. "
       "**Take this SGD step** applies the update to the net and starts again with the new "
       "weights."),
    code("bpv.ChainRuleStepper(state, quiz=True)"),
    md("## One parameter, all the way down\n\n"
       "Where does a single parameter's gradient come from? Take one sample n and its own "
       "loss L_n (the batch loss is the mean of the four). dL_n/dw is a sum over every path "
       "from the parameter to the loss. Each path contributes the product of the local "
       "derivatives along it.\n\n"
       "On the seed's 2-2-1 net every parameter has exactly **one** path. `layer1.bias[0]` "
       "feeds `Z1[0]`, then `H1[0]`, then `Z2`, `H2` and the loss. The drill-down opens on it "
       "for sample 0. Its product is 0.295771: "
       "1 × f'(Z1[0,0]) = 0.5 × W2[0,0] = 0.5266 × f'(Z2[0,0]) = 1 × dL_0/dH2 = 1.123325.\n\n"
       "Now pick `layer1.weight[0,1]`. For sample 0 its gradient is 0: its one path starts "
       "with the input x = 0 (sample 0 is the row (0, 0)), and a product with a 0 in it is "
       "0. Switch to *batch mean*: the gradient in the trace, 0.0229602, is the mean of the "
       "four samples' own gradients."),
    code("bpv.GradientDrilldown(state)"),
    md("## A real sum: two paths\n\n"
       "Give the net a second hidden layer and the paths branch. On a 2-2-2-1 net, "
       "`layer1.weight[0,0]` feeds `H1[0]`, and `H1[0]` feeds **both** units of the second "
       "hidden layer. So there are two paths to the loss, and the gradient is their sum. "
       "Below, for sample 3 (the row (1, 1)), the two paths pull in opposite directions: "
       "one adds 0.124159, the other −0.033143 (it runs through a weight of −0.6596 and a "
       "unit below its kink, f' = 0.5). The sum, 0.091016, is what backpropagation gives."),
    code("deep = bpv.ExplorerState(bpv.MLP([2, 2, 2, 1], activation=bpv.LeakyReLU(0.5), seed=0),\n"
         "                         X, Y, loss=\"mse\", lr=0.75)\n"
         "deep.sample = 3\n"
         "bpv.GradientDrilldown(deep, \"layer1.weight\", (0, 0))"),
    md("The same numbers from code: each path's factors, its product, and the sum."),
    code("paths = bpv.engine.paths.path_sum(deep.trace, \"layer1.weight\", (0, 0), sample=3)\n"
         "for path in paths.paths:\n"
         "    factors = \" × \".join(f\"{f.value:.4f}\" for f in path.factors)\n"
         "    print(f\"via H2[{path.units[1]}]: {factors} = {path.product:.6f}\")\n"
         "print(f\"sum of the paths: {sum(p.product for p in paths.paths):.6f}\")\n"
         "print(f\"backpropagation:  {paths.total:.6f}  (4 × dL/dZ1[3, 0] × X[3, 0])\")"),
    md("The factors, in order: the input x, f'(Z1), a weight of layer 2, f'(Z2), a weight "
       "of layer 3, f'(Z3), and dL_3/dH3. In the matrix form of notebook 01, the sum over "
       "the two paths is the product `dL/dZ2 @ W2`.\n\n"
       "All of these panels share one state: move to another sample, take an SGD step, and "
       "every one of them follows. Notebook 03 adds a slider for every weight."),
]
write(cells, "notebooks/02_step_through_the_chain_rule.ipynb")
