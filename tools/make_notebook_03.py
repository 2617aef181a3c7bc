"""Writes notebooks/03_drag_the_weights.ipynb (unexecuted)."""

from notebook_writer import code, md, write

cells = [
    md("# Drag the weights\n\n"
       "Every weight and bias of the seed's 2-2-1 net has a slider. Drag one and watch "
       "every number follow at once: the loss, each gradient beside its slider, the unit "
       "values in the diagram, the step shown in the stepper and the drill-down. Nothing "
       "you see is ever left over from before your last move.\n\n"
       "Beside each slider is its gradient dL/dw and which way is *downhill*: moving the "
       "weight that way lowers the loss, a little at least. **Back to the start** restores "
       "the weights exactly."),
    code("import backpropviz as bpv\n\n"
         "net = bpv.examples.seed_net()\n"
         "X, Y = bpv.datasets.xor()\n"
         "explorer = bpv.Explorer(net, X, Y, loss=\"mse\", lr=0.75)\n"
         "explorer"),
    md("## Things to try\n\n"
       "1. `layer2.bias[0]` has the largest gradient, +0.2017, so downhill is *down*. Drag "
       "it down in small moves. Does the loss fall? What happens to its gradient as you go? "
       "Where does the loss stop falling?\n"
       "2. Find a weight whose gradient is exactly 0 for sample 0 in the drill-down. Why is "
       "it zero? (Look at x for that sample.)\n"
       "3. Drag `layer1.bias[0]` above 0, say to 0.1. Now `Z1` of hidden unit 0 is positive "
       "for samples 0 and 2. What is its local derivative `dH1/dZ1` there now? What happens "
       "to the gradients that flow through it?\n"
       "4. Walk the stepper to `new W1` and press **Take this SGD step**: every slider "
       "jumps by `-lr · dL/dw`. Then press **Back to the start**.\n\n"
       "The same moves work from code, which is handy for preparing a lesson. Here is "
       "question 1, one value of `layer2.bias[0]` at a time:"),
    code("state = explorer.state\n"
         "for b in (0.6358, 0.6, 0.535, 0.5, 0.4):\n"
         "    state.set_parameter(\"layer2.bias\", (0,), b)\n"
         "    print(f\"layer2.bias[0] = {b:<6}  loss {state.trace.loss:.6f}  \"\n"
         "          f\"gradient {state.trace['dL/dB2'][0]:+.6f}\")\n"
         "state.reset()\n"
         "print(f\"back to the start: loss {state.trace.loss:.6f}\")"),
    md("Moving `layer2.bias[0]` down from 0.6358 lowers the loss, and its gradient shrinks "
       "as you go. Near 0.535 the gradient is almost 0 and the loss is at its lowest along "
       "this line, 0.252974. Keep going and the loss rises again: at 0.4 it is 0.271190, "
       "higher than where we started. The gradient has changed sign, so downhill now points "
       "back up.\n\n"
       "Only the output changes with this bias, and while every output is positive the "
       "output is `Z2` itself. The loss is then lowest where the four outputs average 0.5, "
       "the average of the targets. That happens at 0.534968.\n\n"
       "A step that is too long jumps past the bottom in the same way. In notebook 01 the "
       "step at lr 0.75 moved this bias from 0.6358 to 0.4846, past 0.535."),
]
write(cells, "notebooks/03_drag_the_weights.ipynb")
