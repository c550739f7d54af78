"""The kernel forms `tools/gen_kernels.py` writes after its plain kernels, each with its reference:

- several outputs (`-> (A, B, ..)`), with shared `let`s and a shared reduction, through the
  allocating call and, when every output is an array, `_into`;
- `#[promote(safe)]` kernels whose operators mix a dtype with narrower ones that widen to it
  losslessly (arithmetic, comparisons, `where`, `min`/`max`, `clip`);
- `matmul` of two matrices (GEMM) with scalar factors inside and outside (folded into alpha),
  an addend that broadcasts (pre-filled, beta = 1), transposed and expression operands and an
  elementwise epilogue; `matmul` with a vector and `dot` (a multiply and a sum);
- the inline form `array_expr!((a: f32[n], ..) => ..)` over local views.

They come from their own random stream, so adding them leaves the plain kernels unchanged.
"""
import gen_kernels as g
from gen_kernels import ALL, FLOATS, NUMS, Node

FORMS = ["multi", "promote", "matmul", "inline"]


def implicit(x, dt):
    """`x` widened to `dt` by the safe policy: nothing in the kernel text, a cast in the
    reference."""
    return x if x.dt == dt else Node("cast", dt, x.shape, [x], implicit=True)


def lit(dt, text):
    return Node("lit", dt, (), text=text)


class FormKernel(g.Kernel):
    def __init__(self, rng, name, form):
        super().__init__(rng, name)
        self.form = form
        self.roots = []
        self.alphas = []  # scalar parameters GEMM folds into alpha

    def build(self):
        getattr(self, "build_" + self.form)()

    # ---------- promote(safe) ----------
    def narrower(self, dt):
        if self.form != "promote" or dt == "bool":
            return []
        return [t for t in NUMS if t != dt and g.widens(t, dt)]

    def pair(self, dt, shape, depth, lit=0.3):
        narrow = self.narrower(dt)
        if not narrow or self.rng.random() < 0.4:
            return super().pair(dt, shape, depth, lit)
        a = self.gen(dt, shape, depth)
        b = implicit(self.gen(self.rng.choice(narrow), self.sub_shape(shape), depth), dt)
        return (b, a) if self.rng.random() < 0.4 else (a, b)

    def g_clip(self, dt, shape, depth):
        # the bounds are never wider than `x`: bounds wider than `x` and than each other once failed
        # to compile (fixed; tests/ops_dtypes.rs `promoted_clip_widens_every_argument_to_the_widest`);
        # widening them here would change the committed kernels' random stream
        narrow = self.narrower(dt)
        if not narrow or self.rng.random() < 0.5:
            return super().g_clip(dt, shape, depth)
        x = self.gen(dt, shape, depth)
        bounds = [implicit(self.gen(self.rng.choice(narrow + [dt]), self.sub_shape(shape), depth - 1), dt)
                  for _ in range(2)]
        return Node("clip", dt, shape, [x] + bounds)

    def build_promote(self):
        super().build()

    # ---------- inline ----------
    def build_inline(self):
        if self.rng.random() < 0.35:
            self.build_reduction()
        else:
            self.build_plain()

    # ---------- several outputs ----------
    def build_multi(self):
        r = self.rng
        shape = self.rand_shape(1, 3)
        rdt = r.choice(NUMS)
        rshape = self.sub_shape(shape)
        self.nodes = 0
        shared = self.g_red(rdt, rshape, 2)
        self.lets.append(("v0", shared))
        if r.random() < 0.5:
            self.nodes = 0
            self.lets.append(("v1", self.gen(r.choice(ALL), shape, 2)))
        self.nodes = 0
        used = Node("let", rdt, rshape, [shared], name="v0")
        outs = [Node("bin", rdt, shape, [used, self.gen(rdt, shape, 2)], op=r.choice(["+", "-", "*"]))]
        for _ in range(r.choice([1, 1, 2])):
            odt, oshape = r.choice([(rdt, rshape), (rdt, ()), (r.choice(ALL), shape),
                                    (r.choice(ALL), self.sub_shape(shape))])
            root = None
            while root is None or root.kind in ("param", "lit"):
                self.nodes = 0
                root = self.gen(odt, oshape, r.randint(1, 3))
            outs.append(root)
        self.roots = outs
        self.root = outs[0]
        self.out = (rdt, shape)
        self.prune(Node("tuple", "bool", (), outs))

    # ---------- matmul / dot ----------
    def factor(self, dt):
        """A scalar factor: a literal or a scalar parameter."""
        if self.rng.random() < 0.5:
            return lit(dt, self.rng.choice(["2.0", "0.5", "-1.5"] if dt in FLOATS else ["2", "3"]))
        x = self.leaf(dt, ())
        self.alphas.append(x.name)
        return x

    def mat(self, dt, shape):
        """A matrix operand: a parameter, a transposed one, one times a factor (alpha), or an
        expression (computed into a temporary)."""
        x = self.rng.random()
        if x < 0.4:
            return self.leaf(dt, shape)
        if x < 0.65:
            return Node("T", dt, shape, [self.leaf(dt, tuple(reversed(shape)))])
        if x < 0.85:
            return Node("bin", dt, shape, [self.leaf(dt, shape), self.factor(dt)], op="*")
        self.nodes = 0
        return self.gen(dt, shape, 1)

    def vec(self, dt, shape):
        if self.rng.random() < 0.7:
            return self.leaf(dt, shape)
        self.nodes = 0
        return self.gen(dt, shape, 1)

    def product(self, dt, rows, inner, cols):
        """`matmul` of matrices, of a matrix and a vector (either side), or `dot`."""
        form = self.rng.choice(["mm", "mm", "mm", "mv", "vm", "dot"])
        if form == "mm":
            a, b = self.mat(dt, (rows, inner)), self.mat(dt, (inner, cols))
            return Node("mm", dt, (rows, cols), [a, b])
        if form == "mv":
            a, v = self.mat(dt, (rows, inner)), self.vec(dt, (inner,))
            ops, kids, axis, shape = (a, v), [a, Node("newaxis", dt, ("1", inner), [v], pos=0)], 1, (rows,)
        elif form == "vm":
            v, b = self.vec(dt, (inner,)), self.mat(dt, (inner, cols))
            ops, kids, axis, shape = (v, b), [Node("newaxis", dt, (inner, "1"), [v], pos=1), b], 0, (cols,)
        else:
            x, y = self.vec(dt, (inner,)), self.vec(dt, (inner,))
            ops, kids, axis, shape = (x, y), [x, y], 0, ()
        pshape = kids[1].shape if form == "vm" else kids[0].shape
        prod = Node("bin", dt, pshape, kids, op="*")
        return Node("red", dt, shape, [prod], red="sum", axes=[axis], keep=False, acc=None, full=False,
                    neg=False, shown="dot" if form == "dot" else "matmul", operands=ops)

    def epilogue(self, p):
        """Work after the product: a factor (alpha), a broadcast addend (beta = 1), a function."""
        r, dt, shape = self.rng, p.dt, p.shape
        kind = r.choice(["none", "alpha", "alpha", "beta", "beta", "act"])
        if kind == "alpha":
            f = self.factor(dt)
            return Node("bin", dt, shape, [f, p] if r.random() < 0.5 else [p, f], op="*")
        if kind in ("beta", "act"):
            addend = self.leaf(dt, self.sub_shape(shape))
            scaled = Node("bin", dt, shape, [p, self.factor(dt)], op="*") if r.random() < 0.6 else p
            x = Node("bin", dt, shape, [scaled, addend], op="+")
            if kind == "beta":
                return x
            if dt in FLOATS and r.random() < 0.5:
                return Node("fun", dt, shape, [x], name=r.choice(["tanh", "sigmoid"]))
            return Node("fn2", dt, shape, [x, lit(dt, "0.0" if dt in FLOATS else "0")], name="max")
        return p

    def build_matmul(self):
        r = self.rng
        dt = r.choice(FLOATS * 3 + ["i32", "i64", "u8", "i16"])
        rows, inner, cols = r.sample(g.SYMS, 3)
        self.views = False
        p = self.product(dt, rows, inner, cols)
        if p.kind != "mm" or dt not in FLOATS:
            self.alphas = []  # only a float GEMM folds factors
        self.root = self.epilogue(p)
        if p.kind != "mm" or dt not in FLOATS:
            self.alphas = []
        self.out = (dt, self.root.shape)
        self.prune(self.root)


def emit(kern):
    """(kernel text inside array_expr!, reference fn + test fn) of a kernel of any form."""
    if kern.form == "multi":
        return emit_multi(kern)
    if kern.form == "inline":
        return "", emit_inline(kern)
    ktxt, rest = g.emit_kernel(kern)
    if kern.form == "promote":
        ktxt = "    #[promote(safe)]\n" + ktxt
    return ktxt, rest


# Scalar parameters folded into GEMM's alpha (`kern.alphas`) get the runner's special values
# (0, infinities, NaN, 1e30) like every other scalar: `gemm_folded` keeps the expression's NaN and
# infinities for them (it once lost `0 * inf`, found by these kernels).


def emit_multi(kern):
    roots = kern.roots
    rets = ", ".join(f"{x.dt}{g.dims_text(x.shape)}" for x in roots)
    body = ", ".join(g.ktext(x) for x in roots)
    ktxt = (f"    fn {kern.name}({g.params_text(kern)}) -> ({rets}) {{\n" + g.lets_text(kern, roots)
            + f"        ({body})\n    }}\n")
    out = g.ref_fn(kern, [(x, x.shape) for x in roots])
    lines, call, refs = g.test_prologue(kern, roots)
    wants = [f"want{j}" for j in range(len(roots))]
    outs = [f"o{j}" for j in range(len(roots))]
    empty = " || ".join(f"{w}.shape().contains(&0)" for w in wants)
    lines.append(f"        let ({', '.join(wants)}) = ref_{kern.name}(rep.cx, case.z, {', '.join(refs)});")
    lines.append(f"        match {kern.name}({', '.join(call)}) {{")
    lines.append(f"            Ok(({', '.join(outs)})) => {{")
    for x, o, w in zip(roots, outs, wants):
        lines.append(f"                rep.{'array' if x.shape else 'scalar'}(Ok({o}), &{w});")
    lines += ["            }", f"            Err(e) => rep.error(e, {empty}),", "        }"]
    if all(x.shape for x in roots):
        dests = [f"out{j}" for j in range(len(roots))]
        for j, (x, d, w) in enumerate(zip(roots, dests, wants)):
            lines.append(f"        let mut {d} = case.output_at::<{x.dt}, {len(x.shape)}>({j}, {w}.shape());")
        views = ", ".join(call + [f"{d}.view_mut()" for d in dests])
        lines.append(f"        let res = {kern.name}_into({views});")
        lines.append(f'        if rep.status("_into call", res, {empty}) {{')
        for d, w in zip(dests, wants):
            lines.append(f'            rep.contents("_into call", &{d}, &{w});')
        lines.append("        }")
    lines += ["    });", "}", ""]
    return ktxt, "\n".join(out + lines)


def emit_inline(kern):
    dt, shape = kern.out
    out = g.ref_fn(kern, [(kern.root, shape)])
    lines, call, refs = g.test_prologue(kern, [kern.root])
    lines.append(f"        let want = ref_{kern.name}(rep.cx, case.z, {', '.join(refs)});")
    lines.append("        let res = {")
    for n, pdt, ps, _ in kern.params:
        if ps:
            lines.append(f"            let {n} = {n}.view();")
    lets = g.used_lets(kern, [kern.root])
    expr = g.ktext(kern.root)
    if lets:
        expr = "{ " + " ".join(f"let {n} = {g.ktext(x)};" for n, x in lets) + f" {expr} }}"
    params = g.params_text(kern)
    lines.append(f"            array_expr!(({params}) => {expr})")
    lines.append("        };")
    lines.append(f"        rep.{'array' if shape else 'scalar'}(res, &want);")
    lines += ["    });", "}", ""]
    return "\n".join(out + lines)


def kernels(rng, first, count):
    """`count` kernels of the forms in turn, named from `k{first}` on."""
    out = []
    for i in range(count):
        while True:
            k = FormKernel(rng, f"k{first + i:03}", FORMS[i % len(FORMS)])
            k.build()
            if sum(1 for p in k.params if p[2]) <= 8:  # a fused pass reads at most 8 arrays
                break
        out.append(k)
    return out
