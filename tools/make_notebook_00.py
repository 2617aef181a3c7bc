"""Writes notebooks/00_one_expression.ipynb (unexecuted); `make regen-notebooks` runs it.

tests/test_lesson_00.py recomputes every number this notebook states in words and
in its hidden answers.
"""

from notebook_writer import code, md, write


def answer(text: str) -> str:
    """A hidden answer: JupyterLab and static exports show it when "Answer" is clicked."""
    return f"<details><summary>Answer</summary>\n\n{text}\n\n</details>"


cells = [
    md("# The chain rule on one expression\n\n"
       "Before the matrices of notebook 01, one expression of plain numbers:\n\n"
       "f = (x + y)·z, with x = −2, y = 5 and z = −4.\n\n"
       "How much does f change when we nudge x, y or z? Backpropagation answers this by "
       "breaking the expression into small operations, called *gates*. Each gate knows its "
       "*local derivative*: how its output moves when one of its inputs moves. Going back "
       "from f, the chain rule multiplies them:\n\n"
       "**gradient of an input = upstream gradient × local derivative**\n\n"
       "where the upstream gradient is the gradient of the gate's output, already known "
       "because we go backwards. `bpv.Value` is a number that remembers how it was made, "
       "so it can do this for us: `f.backward()` fills `.grad` on every value of the "
       "expression."),
    code("import backpropviz as bpv\n\n"
         "x = bpv.Value(-2.0, label=\"x\")\n"
         "y = bpv.Value(5.0, label=\"y\")\n"
         "z = bpv.Value(-4.0, label=\"z\")\n"
         "q = x + y\n"
         "q.label = \"q\"\n"
         "f = q * z\n"
         "f.label = \"f\"\n"
         "f.backward()\n\n"
         "print(f\"q = {q.data:g}, f = {f.data:g}\")\n"
         "for v in (f, q, z, x, y):\n"
         "    print(f\"df/d{v.label} = {v.grad:g}\")"),
    md("The same by hand, one gate at a time:\n\n"
       "- Forward: q = x + y = 3, then f = q·z = −12.\n"
       "- f = q·z is a multiply gate. Its local derivatives are ∂f/∂q = z = −4 and "
       "∂f/∂z = q = 3. The upstream gradient at f is df/df = 1, so df/dq = 1 × (−4) = −4 "
       "and df/dz = 1 × 3 = 3.\n"
       "- q = x + y is an add gate: ∂q/∂x = ∂q/∂y = 1. Its upstream gradient is "
       "df/dq = −4, so df/dx = −4 × 1 = −4 and df/dy = −4 × 1 = −4.\n\n"
       "The add gate never sees z, and the multiply gate never sees x. Each gate needs only "
       "its own inputs and the one number that flows back to it.\n\n"
       "## Step through it\n\n"
       "`bpv.GraphView(f)` draws the expression as a graph: one box per value, and an arrow "
       "from each input to the value it makes, labelled with the operation. Press "
       "**Next ▶**. The forward pass fills q, then f. The backward pass starts at f with "
       "df/df = 1, then finds one gradient per step, from right to left. The highlighted "
       "arrow shows the chain rule at work: upstream × local = the new gradient. "
       "**Quiz me** hides each new number until you have typed it."),
    code("bpv.GraphView(f)"),

    md("## A neuron, gate by gate\n\n"
       "A neuron with two inputs and a sigmoid: o = σ(w0·x0 + w1·x1 + b), where "
       "σ(n) = 1 / (1 + e^(−n)). Take w0 = 2, x0 = −1, w1 = −3, x1 = −2 and b = −3.\n\n"
       "Here σ is built from small gates: a minus sign, exp, an add and a divide. The two "
       "boxes labelled 1 are constants: they get no gradient."),
    code("w0, x0 = bpv.Value(2.0, label=\"w0\"), bpv.Value(-1.0, label=\"x0\")\n"
         "w1, x1 = bpv.Value(-3.0, label=\"w1\"), bpv.Value(-2.0, label=\"x1\")\n"
         "b = bpv.Value(-3.0, label=\"b\")\n\n"
         "n = w0 * x0 + w1 * x1 + b\n"
         "n.label = \"n\"\n"
         "e = (-n).exp()\n"
         "e.label = \"e\"\n"
         "o = 1 / (1 + e)\n"
         "o.label = \"o\"\n"
         "bpv.GraphView(o)"),
    md("Step to the end. Forward: n = −2 + 6 − 3 = 1, e = e^(−1) = 0.3679 and "
       "o = 1 / 1.368 = 0.7311. Backward, one gate at a time:\n\n"
       "- the divide gate 1/d has the local derivative −1/d² = −0.5344;\n"
       "- the add gate 1 + e passes it on unchanged;\n"
       "- exp multiplies by its own output, e^(−n) = 0.3679, which gives −0.1966;\n"
       "- the minus sign flips the sign: do/dn = 0.1966.\n\n"
       "From n back there are only add and multiply gates. The add gates pass 0.1966 to "
       "each input, so do/db = 0.1966. The multiply gates swap: do/dw0 = 0.1966 × x0 = "
       "−0.1966 and do/dx0 = 0.1966 × w0 = 0.3932."),

    md("## The sigmoid as one op\n\n"
       "The sigmoid has a famously simple derivative: σ'(n) = σ(n)·(1 − σ(n)) = "
       "0.7311 × 0.2689 = 0.1966. That is exactly the do/dn that the four gates multiplied "
       "out. So the sigmoid can be one gate with that local derivative, and this is how the "
       "layers of an MLP use it. The same neuron with `.sigmoid()` gives the same gradients:"),
    code("o.backward()\n"
         "gates = {v.label: v.grad for v in (w0, x0, w1, x1, b)}\n\n"
         "n1 = w0 * x0 + w1 * x1 + b\n"
         "n1.label = \"n\"\n"
         "o1 = n1.sigmoid()\n"
         "o1.label = \"o\"\n"
         "o1.backward()\n"
         "one_op = {v.label: v.grad for v in (w0, x0, w1, x1, b)}\n\n"
         "print(f\"{'':6} {'gate by gate':>13} {'one sigmoid':>12}\")\n"
         "print(f\"{'o':6} {o.data:13.6f} {o1.data:12.6f}\")\n"
         "for name in gates:\n"
         "    print(f\"do/d{name:2} {gates[name]:13.6f} {one_op[name]:12.6f}\")"),
    code("bpv.GraphView(o1)"),

    md("## Patterns in the backward flow\n\n"
       "Four patterns explain most of what gradients do at a gate:\n\n"
       "- **Add distributes.** An add gate passes its upstream gradient unchanged to every "
       "input: its local derivatives are all 1.\n"
       "- **Multiply swaps.** A multiply gate gives each input the upstream gradient times "
       "the *other* input.\n"
       "- **Max routes.** max(a, b) sends the whole upstream gradient to the larger input, "
       "and nothing to the other. `Value` has no max, but relu(a − b) + b is max(a, b): "
       "when a > b it is (a − b) + b = a, otherwise 0 + b = b.\n"
       "- **Branches add.** When a value is used twice, the gradients from its two uses "
       "add up.\n\n"
       "Here they are with a = 4, b = −3 and c = 5:"),
    code("a = bpv.Value(4.0, label=\"a\")\n"
         "b = bpv.Value(-3.0, label=\"b\")\n"
         "c = bpv.Value(5.0, label=\"c\")\n\n"
         "s = (a + b) * c\n"
         "s.backward()\n"
         "print(f\"add distributes: (a + b)·c   d/da = {a.grad:g}, d/db = {b.grad:g}  \"\n"
         "      f\"(both get the add gate's upstream, c = {c.data:g})\")\n"
         "p = a * b\n"
         "p.backward()\n"
         "print(f\"multiply swaps:  a·b         d/da = {a.grad:g}, d/db = {b.grad:g}  \"\n"
         "      f\"(a gets b = {b.data:g}, b gets a = {a.data:g})\")\n"
         "m = (a - b).relu() + b\n"
         "m.backward()\n"
         "print(f\"max routes:      max(a, b)   d/da = {a.grad:g}, d/db = {b.grad:g}  \"\n"
         "      f\"(max = {m.data:g}: all to a, the larger)\")\n"
         "u = a * b + a\n"
         "u.label = \"u\"\n"
         "u.backward()\n"
         "print(f\"branches add:    a·b + a     d/da = {a.grad:g}, d/db = {b.grad:g}  \"\n"
         "      f\"(a is used twice: b + 1 = {b.data + 1:g})\")"),
    md("In the graph of u = a·b + a, step to the gradient of a: two arrows leave a, each "
       "carries its own upstream × local, and the box adds them: (1 × (−3)) + (1 × 1) = −2."),
    code("bpv.GraphView(u)"),

    md("## Exercises\n\n"
       "Work each one out on paper, gate by gate, before you open the answer.\n\n"
       "**Exercise 1.** f = x·y + z at x = 3, y = −2 and z = 4. Find f, df/dx, df/dy and "
       "df/dz.\n\n" + answer(
           "f = 3 × (−2) + 4 = −2. The add gate passes the upstream gradient 1 to both x·y "
           "and z, so df/dz = 1. The multiply gate swaps: df/dx = 1 × y = −2 and "
           "df/dy = 1 × x = 3.")),
    md("**Exercise 2.** g = (x + y)·(x − y) at x = 3 and y = 1. Find dg/dx and dg/dy gate "
       "by gate. Then check them against g = x² − y².\n\n" + answer(
           "s = x + y = 4, d = x − y = 2 and g = s·d = 8. The multiply gate swaps: "
           "dg/ds = d = 2 and dg/dd = s = 4. Now x is used twice, in s and in d, so its two "
           "gradients add: dg/dx = 2 × 1 + 4 × 1 = 6. y is used twice too, but the minus "
           "sign in d flips its second local derivative: dg/dy = 2 × 1 + 4 × (−1) = −2.\n\n"
           "From g = x² − y²: dg/dx = 2x = 6 and dg/dy = −2y = −2. The same.")),
    md("**Exercise 3.** m = relu(a − b) + b is max(a, b). At a = 2 and b = 5, which input "
       "gets the gradient? And at a = 5 and b = 2?\n\n" + answer(
           "At a = 2, b = 5: a − b = −3, so relu gives 0 and its local derivative is 0. "
           "Then dm/da = 0, and dm/db = 1 (it comes only through \"+ b\": the path through "
           "relu carries 0 × (−1) = 0). m = 5 = b, and b, the larger input, gets the "
           "whole gradient.\n\n"
           "At a = 5, b = 2: a − b = 3 and relu passes it on, so m = 3 + 2 = 5 = a. "
           "dm/da = 1, and dm/db = 1 × (−1) + 1 = 0: the two branches of b cancel. Again "
           "the larger input gets it all.")),
    md("**Exercise 4.** h = tanh(w·x) at w = 0.5 and x = 2. Find h, dh/dw and dh/dx. "
       "(The local derivative of tanh is 1 − tanh².)\n\n" + answer(
           "u = w·x = 1 and h = tanh(1) = 0.7616. The tanh gate's local derivative is "
           "1 − 0.7616² = 0.4200. The multiply gate swaps: dh/dw = 0.4200 × x = 0.8399 and "
           "dh/dx = 0.4200 × w = 0.2100.")),
    md("**Exercise 5.** A ReLU unit r = relu(w·x + b) with w = 1, x = −2 and b = 1. Find "
       "dr/dw, dr/dx and dr/db. What does a gradient step do to w and b?\n\n" + answer(
           "w·x + b = −1, so r = 0, and the local derivative of relu at −1 is 0. Every "
           "gradient is 0: dr/dw = dr/dx = dr/db = 0. A gradient step changes nothing. As "
           "long as its input stays negative, this unit does not learn: a *dead* ReLU. "
           "Notebook 06 meets one.")),
    md("Check yourself in the graph. Quiz mode hides each new number: type it and press "
       "Enter or **Check**. Here is exercise 2:"),
    code("x, y = bpv.Value(3.0, label=\"x\"), bpv.Value(1.0, label=\"y\")\n"
         "s = x + y\n"
         "s.label = \"s\"\n"
         "d = x - y\n"
         "d.label = \"d\"\n"
         "g = s * d\n"
         "g.label = \"g\"\n"
         "bpv.GraphView(g, quiz=True)"),
    md("Next, notebook 01 does the same for a whole network: the values are matrices and "
       "the gates are layers, but every step is still upstream × local."),
]
write(cells, "notebooks/00_one_expression.ipynb")
