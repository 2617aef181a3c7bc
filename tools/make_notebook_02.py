"""Writes notebooks/02_step_through_the_chain_rule.ipynb (unexecuted)."""

from notebook_writer import code, md, write
cells = [
    md("# Step through the chain rule\n\n"
       "The same training step as in notebook 01 (the 2-2-1 LeakyReLU(0.5) net on XOR, "
       "MSE, learning rate 0.75), now one operation at a time. Click **Next ▶** to move "
       "forward through the pass, the loss, every step of backpropagation and the update; "
       "**◀ Prev** goes back and **Jump to** goes anywhere.\n\n"
       "Each step shows its formula, then the real numbers: the operands in the order the "
       "formula reads them, the shape under each, and the result. In a backward step, the "
       "gradient flowing in from the loss is marked *upstream gradient* and the derivative "
       "of this one operation *local derivative*: the chain rule multiplies the two."),
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
    md("## One weight, all the way down\n\n"
       "Where does a single weight's gradient come from? For one sample, dL/dw is a sum "
       "over every path from the weight to the loss, each path contributing the product of "
       "the local derivatives along it. The batch gradient (the number in the stepper) is "
       "the mean of the samples' gradients: switch to *batch mean* to see it."),
    code("bpv.GradientDrilldown(state, \"layer1.weight\", (0, 1))"),
    md("All of these panels share one state: move to another sample, take an SGD step, and "
       "every one of them follows. Notebook 03 adds a slider for every weight."),
]
write(cells, "notebooks/02_step_through_the_chain_rule.ipynb")
