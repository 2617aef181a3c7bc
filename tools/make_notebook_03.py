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
       "1. `layer2.bias[0]` has the largest gradient. Drag it the downhill way in small "
       "moves: does the loss fall? What happens to its gradient as you go?\n"
       "2. Find a weight whose gradient is exactly 0 for sample 0 in the drill-down. Why is "
       "it zero? (Look at x for that sample.)\n"
       "3. Make `Z1` of hidden unit 0 positive for some sample. What happens to its local "
       "derivative `dH1/dZ1` and to the gradients that flow through it?\n"
       "4. Walk the stepper to `new W1` and press **Take this SGD step**: every slider "
       "jumps by `-lr · dL/dw`. Then press **Back to the start**.\n\n"
       "The same moves work from code, which is handy for preparing a lesson:"),
    code("state = explorer.state\n"
         "print(f\"loss at the start: {state.trace.loss:.6f}\")\n"
         "state.set_parameter(\"layer2.bias\", (0,), 0.4)\n"
         "print(f\"loss with layer2.bias[0] = 0.4: {state.trace.loss:.6f}\")\n"
         "state.reset()\n"
         "print(f\"back to the start: {state.trace.loss:.6f}\")"),
]
write(cells, "notebooks/03_drag_the_weights.ipynb")
