#!/usr/bin/env python3
"""Writes random, well-typed `array_expr!` kernels and a reference evaluator for each.

Usage: python3 tools/gen_kernels.py [--seed 20240801] [--count 320] [--forms 64] [--out tests/differential]

Every kernel is a random expression tree over random dtypes and ranks 1-3: arithmetic,
comparisons, masks, `where`, casts, float and numeric functions, broadcasts (size-1 and
missing leading dims, scalars, literals), `let` bindings, views (`.T`, `transpose`,
`newaxis`), reductions with axes and `keepdims` (nested too), and in-place updates.
For each kernel the script also writes a reference: plain Rust loops over indices, one table
per reduction, calling the value functions of `tests/differential/{values,ints,reduce}.rs`,
which carry the error bound. The output is deterministic for a seed; it is committed, so the
test build does not need Python. Rerun after changing this script and commit both.
"""
import argparse
import os
import random
import subprocess

FLOATS = ["f32", "f64"]
SINTS = ["i8", "i16", "i32", "i64"]
UINTS = ["u8", "u16", "u32", "u64"]
INTS = SINTS + UINTS
NUMS = FLOATS + INTS
ALL = NUMS + ["bool"]
SYMS = ["n", "m", "k"]
PREC = {"f32": "P::S", "f64": "P::D"}
BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "u8": 8, "u16": 16, "u32": 32, "u64": 64}
FUNS = ["sqrt", "exp", "exp2", "expm1", "ln", "log2", "log10", "log1p", "sin", "cos", "tan",
        "tanh", "sinh", "cosh", "sigmoid", "floor", "ceil", "round"]
FUN_ENUM = {f: f.capitalize() for f in FUNS}
BINOPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "rem"}
CMPS = {"<": "Lt", "<=": "Le", ">": "Gt", ">=": "Ge", "==": "Eq", "!=": "Ne"}
FLOAT_LITS = ["0.5", "2.0", "1.5", "0.1", "3.0", "0.25", "1e-3", "-0.75", "-2.0", "1"]


def signed(dt):
    return dt in SINTS or dt in FLOATS


def int_range(dt):
    b = BITS[dt]
    return (-(1 << (b - 1)), (1 << (b - 1)) - 1) if dt in SINTS else (0, (1 << b) - 1)


def widens(a, b):
    """The macro's lossless widening (for explicit accumulators)."""
    if a == b:
        return True
    if a in INTS and b in INTS:
        (lo, hi), (lo2, hi2) = int_range(a), int_range(b)
        return lo2 <= lo and hi <= hi2
    if a in INTS and b in FLOATS:
        lo, hi = int_range(a)
        mant = 1 << (24 if b == "f32" else 53)
        return -mant <= lo and hi <= mant
    return a == "f32" and b == "f64"


class Node:
    def __init__(self, kind, dt, shape, kids=(), **attrs):
        self.kind, self.dt, self.shape, self.kids = kind, dt, tuple(shape), list(kids)
        self.__dict__.update(attrs)


class Kernel:
    def __init__(self, rng, name):
        self.rng, self.name = rng, name
        self.params = []  # (name, dt, shape, mutable)
        self.lets = []  # (name, node)
        self.views = True
        self.inplace = None
        self.nodes = 0

    # ---------- shapes ----------
    def rand_shape(self, lo=1, hi=3):
        r = self.rng
        rank = r.randint(lo, hi)
        pool = SYMS[:]
        r.shuffle(pool)
        return tuple(pool[:rank]) if r.random() < 0.8 else tuple(r.choice(SYMS) for _ in range(rank))

    def sub_shape(self, shape):
        """A shape that broadcasts to `shape`: leading dims dropped, some dims set to 1."""
        r = self.rng
        if r.random() < 0.45:
            return shape
        drop = r.randint(0, len(shape))
        rest = shape[drop:]
        return tuple("1" if r.random() < 0.3 else d for d in rest)

    # ---------- leaves ----------
    def literal(self, dt):
        r = self.rng
        if dt in FLOATS:
            return Node("lit", dt, (), text=r.choice(FLOAT_LITS))
        lo, hi = int_range(dt)
        cands = [v for v in [0, 1, 2, 3, 7, -1, -3, 100, 1000] if lo <= v <= hi]
        v = r.choice(cands[1:] if r.random() < 0.9 else cands)
        return Node("lit", dt, (), text=str(v))

    def leaf(self, dt, shape):
        r = self.rng
        lets = [(n, x) for n, x in self.lets if x.dt == dt and x.shape == shape]
        if lets and r.random() < 0.5:
            n, x = r.choice(lets)
            return Node("let", dt, shape, [x], name=n)
        same = [p for p in self.params if p[1] == dt and p[2] == shape]
        if same and (r.random() < 0.5 or len(self.params) >= 7):
            return Node("param", dt, shape, name=r.choice(same)[0])
        name = "abcdefghpqrstuvwxz"[len(self.params)]
        self.params.append((name, dt, shape, False))
        return Node("param", dt, shape, name=name)

    # ---------- expressions ----------
    def gen(self, dt, shape, depth):
        r = self.rng
        self.nodes += 1
        if depth <= 0 or self.nodes > 18 or r.random() < 0.15:
            return self.leaf(dt, shape)
        kinds = self.kinds(dt, shape)
        names, weights = zip(*kinds)
        kind = r.choices(names, weights)[0]
        return getattr(self, "g_" + kind)(dt, shape, depth - 1)

    def kinds(self, dt, shape):
        out = [("cast", 2), ("where", 2), ("red", 3)]
        if dt == "bool":
            out += [("cmp", 6), ("mask", 3), ("not", 1)]
        else:
            out += [("bin", 8), ("minmax", 2), ("clip", 1), ("absq", 1)]
            if signed(dt):
                out.append(("neg", 1))
            if dt in FLOATS:
                out += [("fun", 5), ("pow", 1), ("powi", 1)]
        if self.views and len(shape) >= 2:
            out.append(("view", 2))
        if self.views and "1" in shape and len(shape) >= 2:  # newaxis needs an array, not a scalar
            out.append(("newaxis", 3))
        if self.views and len(shape) == 2 and dt != "bool":
            out.append(("outer", 1))
        return out

    def operand(self, dt, shape, depth, lit=0.3):
        """The second operand of a binary node: a literal, or an expression broadcasting to shape."""
        if self.rng.random() < lit:
            return self.literal(dt)
        return self.gen(dt, self.sub_shape(shape), depth)

    def pair(self, dt, shape, depth, lit=0.3):
        a, b = self.gen(dt, shape, depth), self.operand(dt, shape, depth, lit)
        return (b, a) if self.rng.random() < 0.3 else (a, b)

    def g_bin(self, dt, shape, depth):
        op = self.rng.choice(list(BINOPS) + ["+", "-", "*"])
        a, b = self.pair(dt, shape, depth)
        return Node("bin", dt, shape, [a, b], op=op)

    def g_neg(self, dt, shape, depth):
        return Node("neg", dt, shape, [self.gen(dt, shape, depth)])

    def g_not(self, dt, shape, depth):
        return Node("not", dt, shape, [self.gen(dt, shape, depth)])

    def g_cmp(self, dt, shape, depth):
        t = self.rng.choice(NUMS)
        a, b = self.pair(t, shape, depth)
        return Node("cmp", dt, shape, [a, b], op=self.rng.choice(list(CMPS)))

    def g_mask(self, dt, shape, depth):
        a, b = self.pair("bool", shape, depth, lit=0.0)
        return Node("mask", dt, shape, [a, b], op=self.rng.choice(["&", "|"]))

    def g_where(self, dt, shape, depth):
        m = self.gen("bool", self.sub_shape(shape), depth)
        a, b = self.pair(dt, shape, depth, lit=0.0 if dt == "bool" else 0.3)
        return Node("where", dt, shape, [m, a, b])

    def g_cast(self, dt, shape, depth):
        src = self.rng.choice([d for d in ALL if d != dt])
        return Node("cast", dt, shape, [self.gen(src, shape, depth)])

    def g_minmax(self, dt, shape, depth):
        a, b = self.pair(dt, shape, depth)
        return Node("fn2", dt, shape, [a, b], name=self.rng.choice(["min", "max"]))

    def g_clip(self, dt, shape, depth):
        x = self.gen(dt, shape, depth)
        if self.rng.random() < 0.6:
            if dt in FLOATS:
                lo, hi = sorted(self.rng.sample([-1.5, -0.5, 0.0, 0.25, 1.0, 2.0], 2))
                bounds = [Node("lit", dt, (), text=repr(lo)), Node("lit", dt, (), text=repr(hi))]
            else:
                lo, hi = int_range(dt)
                vals = sorted(self.rng.sample([v for v in [-5, -1, 0, 1, 3, 50] if lo <= v <= hi], 2))
                bounds = [Node("lit", dt, (), text=str(v)) for v in vals]
        else:
            bounds = [self.gen(dt, self.sub_shape(shape), depth - 1) for _ in range(2)]
        return Node("clip", dt, shape, [x] + bounds)

    def g_absq(self, dt, shape, depth):
        return Node("fn1", dt, shape, [self.gen(dt, shape, depth)], name=self.rng.choice(["abs", "square"]))

    def guard(self, x, plus):
        """abs(x) [+ plus]: keeps a logarithm or root inside its domain."""
        a = Node("fn1", x.dt, x.shape, [x], name="abs")
        if plus is None:
            return a
        return Node("bin", x.dt, x.shape, [a, Node("lit", x.dt, (), text=plus)], op="+")

    def g_fun(self, dt, shape, depth):
        f = self.rng.choice(FUNS)
        x = self.gen(dt, shape, depth)
        if self.rng.random() < 0.75:
            if f in ("ln", "log2", "log10"):
                x = self.guard(x, "1")
            elif f in ("sqrt", "log1p"):
                x = self.guard(x, None)
            elif f in ("floor", "ceil", "round"):
                x = Node("bin", dt, shape, [x, Node("lit", dt, (), text="3")], op="*")
        return Node("fun", dt, shape, [x], name=f)

    def g_pow(self, dt, shape, depth):
        base = self.guard(self.gen(dt, shape, depth), "0.5")
        if self.rng.random() < 0.5:
            e = Node("lit", dt, (), text=self.rng.choice(["0.5", "2.0", "-1.5", "3.0"]))
        else:
            e = self.gen(dt, self.sub_shape(shape), depth)
        return Node("pow", dt, shape, [base, e])

    def g_powi(self, dt, shape, depth):
        return Node("powi", dt, shape, [self.gen(dt, shape, depth)], k=self.rng.choice([-2, -1, 0, 1, 2, 3, 5]))

    def g_view(self, dt, shape, depth):
        if len(shape) == 3 and self.rng.random() < 0.5:
            perm = [0, 1, 2]
            while perm == [0, 1, 2]:
                self.rng.shuffle(perm)
            child = [None] * 3
            for j in range(3):
                child[perm[j]] = shape[j]
            return Node("transpose", dt, shape, [self.gen(dt, tuple(child), depth)], perm=perm)
        return Node("T", dt, shape, [self.gen(dt, tuple(reversed(shape)), depth)])

    def g_newaxis(self, dt, shape, depth):
        q = self.rng.choice([j for j, d in enumerate(shape) if d == "1"])
        child = shape[:q] + shape[q + 1:]
        return Node("newaxis", dt, shape, [self.gen(dt, child, depth)], pos=q)

    def g_outer(self, dt, shape, depth):
        """`x[:, newaxis] op y[newaxis, :]`: an outer product through new axes."""
        a = Node("newaxis", dt, (shape[0], "1"), [self.gen(dt, shape[:1], depth)], pos=1)
        b = Node("newaxis", dt, ("1", shape[1]), [self.gen(dt, shape[1:], depth)], pos=0)
        return Node("bin", dt, shape, [a, b], op=self.rng.choice(["+", "-", "*"]))

    # ---------- reductions ----------
    def red_kinds(self, dt):
        """(kind, input dtype, explicit accumulator or None) producing dtype dt."""
        out = []
        if dt == "bool":
            return [("any", "bool", None), ("all", "bool", None)]
        out += [("min", dt, None), ("max", dt, None)]
        if dt in FLOATS:
            out += [(k, dt, None) for k in ("sum", "sum", "mean", "mean", "prod")]
            if dt == "f64":
                out += [("sum", "f32", "f64"), ("mean", self.rng.choice(INTS), None)]
            out += [("sum", "f32", "f32")] if dt == "f32" else []
            out += [("mean", self.rng.choice(INTS), "f32")] if dt == "f32" else []
        if dt == "i64":
            out += [("sum", self.rng.choice(SINTS), None), ("sum", "bool", None), ("prod", self.rng.choice(SINTS), None)]
            out += [("argmin", self.rng.choice(NUMS), None), ("argmax", self.rng.choice(NUMS), None)]
        if dt == "u64":
            out += [("sum", self.rng.choice(UINTS), None), ("prod", self.rng.choice(UINTS), None)]
        if dt in INTS and dt not in ("i64", "u64"):
            src = self.rng.choice([s for s in INTS + ["bool"] if s == "bool" or (s != dt and widens(s, dt))] or ["bool"])
            out.append(("sum", src, dt))
        return out

    def g_red(self, dt, shape, depth, want=None):
        r = self.rng
        kinds = [t for t in self.red_kinds(dt) if want is None or t[0] == want]
        kind, src, acc = r.choice(kinds)
        arg = kind in ("argmin", "argmax")
        keep_pos = [j for j, d in enumerate(shape) if d == "1"]
        if keep_pos and not arg and r.random() < 0.5:
            axes = sorted(r.sample(keep_pos, r.randint(1, len(keep_pos))))
            in_shape = tuple(r.choice(SYMS) if j in axes else d for j, d in enumerate(shape))
            keep = True
        else:
            room = 3 - len(shape)
            if room == 0:
                return self.leaf(dt, shape)
            q = 1 if arg and shape else r.randint(1, room)
            if arg and not shape:
                q = r.randint(1, 3)
            in_shape, axes = list(shape), []
            for _ in range(q):
                pos = r.randint(0, len(in_shape))
                in_shape.insert(pos, None)
            axes = [j for j, d in enumerate(in_shape) if d is None]
            used = [d for d in in_shape if d is not None]
            free = [s for s in SYMS if s not in used] or SYMS
            in_shape = tuple(d if d is not None else (r.choice(free) if r.random() < 0.9 else "1") for d in in_shape)
            keep = False
        x = self.gen(src, in_shape, depth)
        full = len(axes) == len(in_shape) and not keep
        if arg and len(axes) > 1:
            full = True  # argmin/argmax take one axis, or none for the flattened index
        else:
            full = full and r.random() < 0.7
        return Node("red", dt, shape, [x], red=kind, axes=axes, keep=keep, acc=acc, full=full, neg=r.random() < 0.3)

    # ---------- kernel ----------
    def build(self):
        r = self.rng
        if r.random() < 0.1:
            return self.build_inplace()
        if r.random() < 0.3:
            return self.build_reduction()
        self.build_plain()

    def build_plain(self):
        """An elementwise kernel, with reductions and `let`s inside."""
        r = self.rng
        shape = self.rand_shape(0, 3) if r.random() < 0.9 else ()
        dt = r.choice(ALL + FLOATS + FLOATS)
        for i in range(r.choice([0, 0, 1, 2])):
            self.nodes = 0
            ldt, lshape = r.choice([(dt, shape), (r.choice(ALL), self.sub_shape(shape))])
            self.lets.append((f"v{i}", self.gen(ldt, lshape, 2)))
        self.root = None
        while self.root is None or self.root.kind in ("param", "let", "lit"):
            self.nodes = 0
            self.root = self.gen(dt, shape, r.randint(2, 4))
        self.out = (dt, shape)
        self.prune(self.root)

    def prune(self, root):
        """Drops the parameters that only unused `let`s read."""
        used = set()

        def walk(x):
            if x.kind == "param":
                used.add(x.name)
            for c in x.kids:
                walk(c)

        walk(root)
        self.params = [p for p in self.params if p[0] in used or p[3]]

    def build_reduction(self):
        """A kernel whose result is a reduction (every kind equally often), maybe followed by
        elementwise work."""
        r = self.rng
        kind = r.choice(["sum", "prod", "mean", "min", "max", "argmin", "argmax", "any", "all"])
        dts = [d for d in ALL if any(t[0] == kind for t in self.red_kinds(d))]
        dt = r.choice(dts)
        shape = list(self.rand_shape(0, 2))
        if shape and r.random() < 0.4:
            shape[r.randrange(len(shape))] = "1"
        shape = tuple(shape)
        self.nodes = 0
        root = self.g_red(dt, shape, r.randint(1, 3), want=kind)
        if root.kind == "red" and dt != "bool" and r.random() < 0.4:
            other = self.operand(dt, shape, 1)
            root = Node("bin", dt, shape, [root, other], op=r.choice(["+", "-", "*"]))
        self.root = root
        self.out = (dt, shape)
        self.prune(self.root)

    def build_inplace(self):
        r = self.rng
        self.views = False
        shape = self.rand_shape(1, 3)
        dt = r.choice(ALL + FLOATS)
        self.params.append(("y", dt, shape, True))
        self.inplace = r.choice(["="] if dt == "bool" else ["=", "+=", "-=", "*=", "/=", "%="])
        self.nodes = 0
        expr = self.gen(dt, self.sub_shape(shape), r.randint(1, 3))
        y = Node("param", dt, shape, name="y")
        if self.inplace == "=":
            self.root = expr
        else:
            self.root = Node("bin", dt, shape, [y, expr], op=self.inplace[0])
        self.update_expr = expr
        self.out = (dt, shape)
        self.prune(self.root)


# ---------------------------------------------------------------- kernel text
def dims_text(shape):
    return "[" + ", ".join(shape) + "]" if shape else ""


def lit_text(x):
    return f"({x.text})" if x.text.startswith("-") else x.text


def ktext(x):
    k = x.kind
    if getattr(x, "implicit", False):
        return ktext(x.kids[0])
    if getattr(x, "shown", None):
        return f"{x.shown}({ktext(x.operands[0])}, {ktext(x.operands[1])})"
    if k == "mm":
        return f"matmul({ktext(x.kids[0])}, {ktext(x.kids[1])})"
    if k in ("param", "let"):
        return x.name
    if k == "lit":
        return lit_text(x)
    a = [ktext(c) for c in x.kids]
    if k in ("bin", "cmp", "mask"):
        return f"({a[0]} {x.op} {a[1]})"
    if k == "neg":
        return f"(-{a[0]})"
    if k == "not":
        return f"(!{a[0]})"
    if k == "where":
        return f"where({a[0]}, {a[1]}, {a[2]})"
    if k == "cast":
        return f"({a[0]} as {x.dt})"
    if k in ("fn1", "fun"):
        return f"{x.name}({a[0]})"
    if k == "fn2":
        return f"{x.name}({a[0]}, {a[1]})"
    if k == "clip":
        return f"clip({a[0]}, {a[1]}, {a[2]})"
    if k == "pow":
        return f"pow({a[0]}, {a[1]})"
    if k == "powi":
        return f"powi({a[0]}, {x.k})"
    if k == "T":
        return f"({a[0]}).T"
    if k == "transpose":
        return f"transpose({a[0]}, axes = ({', '.join(map(str, x.perm))}))"
    if k == "newaxis":
        items = [":"] * (len(x.shape) - 1)
        items.insert(x.pos, "newaxis")
        return f"({a[0]})[{', '.join(items)}]"
    if k == "red":
        acc = f"::<{x.acc}>" if x.acc else ""
        rank = len(x.kids[0].shape)
        args = [a[0]]
        if not x.full:
            ax = [j - rank if x.neg else j for j in x.axes]
            args.append(f"axis = {ax[0]}" if len(ax) == 1 else f"axis = ({', '.join(map(str, ax))})")
        if x.keep:
            args.append("keepdims")
        return f"{x.red}{acc}({', '.join(args)})"
    raise ValueError(k)


# ---------------------------------------------------------------- reference
def child_index(child, parent_shape, idx):
    """Index of a child broadcast into the parent's shape (right-aligned, size-1 dims read 0)."""
    off = len(parent_shape) - len(child.shape)
    return ["0" if d == "1" else idx[off + j] for j, d in enumerate(child.shape)]


def dim_expr(d):
    return "1" if d == "1" else d


class Ref:
    def __init__(self):
        self.tables = []  # Rust statements
        self.done = {}  # id(node) -> table name

    def val(self, x, idx):
        k, dt = x.kind, x.dt
        fl = dt in FLOATS
        p = PREC.get(dt)
        if k == "param":
            if not x.shape:
                return f"lf({p}, {x.name} as f64)" if fl else f"li({x.name})"
            at = f"{x.name}[[{', '.join(idx)}]]"
            return f"lf({p}, {at} as f64)" if fl else f"li({at})"
        if k == "let":
            return self.val(x.kids[0], idx)
        if k == "lit":
            if fl:
                return f"lf({p}, {x.text}{dt[0]}{dt[1:]} as f64)" if "." in x.text or "e" in x.text else f"lf({p}, {x.text}.0)"
            return f"li({x.text}{dt})"
        if k == "red":
            return f"{self.table(x)}.at([{', '.join(idx)}])"
        if k == "mm":
            return f"{self.mm_table(x)}.at([{', '.join(idx)}])"
        if k == "T":
            return self.val(x.kids[0], list(reversed(idx)))
        if k == "transpose":
            ci = [None] * len(idx)
            for j, pj in enumerate(x.perm):
                ci[pj] = idx[j]
            return self.val(x.kids[0], ci)
        if k == "newaxis":
            return self.val(x.kids[0], idx[:x.pos] + idx[x.pos + 1:])
        a = [self.val(c, child_index(c, x.shape, idx)) for c in x.kids]
        return self.op(x, a, fl, p)

    def op(self, x, a, fl, p):
        k = x.kind
        if k == "bin":
            f = BINOPS[x.op]
            return f"f{f}({p}, {a[0]}, {a[1]})" if fl else f"i{f}({a[0]}, {a[1]})"
        if k == "neg":
            return f"fneg({a[0]})" if fl else f"ineg({a[0]})"
        if k == "not":
            return f"bnot({a[0]})"
        if k == "mask":
            return f"{'band' if x.op == '&' else 'bor'}({a[0]}, {a[1]})"
        if k == "cmp":
            f = "fcmp" if x.kids[0].dt in FLOATS else "icmp"
            return f"{f}(Cmp::{CMPS[x.op]}, {a[0]}, {a[1]})"
        if k == "where":
            return f"{'wf' if fl else 'wi'}({a[0]}, {a[1]}, {a[2]})"
        if k == "cast":
            return cast(x.kids[0].dt, x.dt, a[0])
        if k == "fn1":
            if x.name == "abs":
                return f"fabs({p}, {a[0]})" if fl else f"iabs({a[0]})"
            return f"fsq({p}, {a[0]})" if fl else f"isq({a[0]})"
        if k == "fn2":
            return f"f{x.name}({p}, {a[0]}, {a[1]})" if fl else f"i{x.name}({a[0]}, {a[1]})"
        if k == "clip":
            return f"fclip({p}, {a[0]}, {a[1]}, {a[2]})" if fl else f"iclip({a[0]}, {a[1]}, {a[2]})"
        if k == "fun":
            return f"fmath({p}, Fun::{FUN_ENUM[x.name]}, {a[0]})"
        if k == "pow":
            return f"fpow({p}, {a[0]}, {a[1]})"
        if k == "powi":
            return f"fpowi({p}, {a[0]}, {x.k})"
        raise ValueError(k)

    def table(self, x):
        if id(x) in self.done:
            return self.done[id(x)]
        src = x.kids[0]
        ins = src.shape
        outs = [f"i{j}" for j in range(len(x.shape))]
        in_idx, kept, loops = [], 0, []
        for j, d in enumerate(ins):
            if j in x.axes:
                in_idx.append(f"r{j}")
                loops.append(f"for r{j} in 0..{dim_expr(d)} {{")
                if x.keep:
                    kept += 1
            else:
                in_idx.append(outs[kept])
                kept += 1
        body = self.val(src, in_idx)
        init, push, fin = accumulator(x, src.dt)
        name = f"t{len(self.tables)}"
        shape = ", ".join(dim_expr(d) for d in x.shape)
        lines = [f"let {name} = Table::build([{shape}], |[{', '.join(outs)}]| {{", f"    let mut acc = {init};"]
        lines += ["    " + l for l in loops]
        lines.append(f"        acc.{push}({body});")
        lines += ["    }"] * len(loops)
        lines += [f"    {fin}", "});"]
        self.tables.append("\n".join(lines))
        self.done[id(x)] = name
        return name


    def mm_table(self, x):
        """A matrix product's table: one product accumulator per element."""
        if id(x) in self.done:
            return self.done[id(x)]
        a, b = x.kids
        av, bv = self.val(a, ["i0", "r0"]), self.val(b, ["r0", "i1"])
        fl = x.dt in FLOATS
        init = f"DotF::new({PREC[x.dt]})" if fl else "DotI::default()"
        fin = "acc.finish()" if fl else f"acc.finish::<{x.dt}>()"
        name = f"t{len(self.tables)}"
        rows, cols = (dim_expr(d) for d in x.shape)
        lines = [f"let {name} = Table::build([{rows}, {cols}], |[i0, i1]| {{", f"    let mut acc = {init};",
                 f"    for r0 in 0..{dim_expr(a.shape[1])} {{", f"        acc.push({av}, {bv});", "    }",
                 f"    {fin}", "});"]
        self.tables.append("\n".join(lines))
        self.done[id(x)] = name
        return name


def cast(src, dst, a):
    if src == dst:
        return a
    if src in FLOATS:
        if dst in FLOATS:
            return f"cff({PREC[dst]}, {a})"
        return f"cfb({a})" if dst == "bool" else f"cfi::<{dst}>({a})"
    if src == "bool":
        return f"cbf({PREC[dst]}, {a})" if dst in FLOATS else f"cbi::<{dst}>({a})"
    if dst in FLOATS:
        return f"cif({PREC[dst]}, {a})"
    return f"cib({a})" if dst == "bool" else f"cii::<{src}, {dst}>({a})"


def accumulator(x, src):
    """(init, push method, finish expression) of a reduction node."""
    kind, out = x.red, x.dt
    mn = "true" if kind in ("min", "argmin") else "false"
    if kind in ("any", "all"):
        return f"AnyAll::new({'true' if kind == 'any' else 'false'})", "push", "acc.finish()"
    if src in FLOATS:
        if kind in ("sum", "mean"):
            acc = PREC[x.acc] if x.acc else "P::D"
            return f"SumF::new({acc})", "push", f"acc.{kind}({PREC[out]})"
        if kind == "prod":
            return "ProdF::default()", "push", f"acc.finish({PREC[out]})"
        if kind in ("min", "max"):
            return f"MinMaxF::new({mn})", "push", "acc.finish(cx)"
        return f"ArgF::new({mn})", "push", "acc.finish(cx)"
    if kind == "mean":
        acc = PREC[x.acc] if x.acc else "P::D"
        return f"SumF::new({acc})", "push_int", f"acc.mean({PREC[out]})"
    if kind == "sum":
        return "SumI::default()", "push_mask" if src == "bool" else "push", f"acc.finish::<{out}>(cx)"
    if kind == "prod":
        return "ProdI::default()", "push", f"acc.finish::<{out}>(cx)"
    if kind in ("min", "max"):
        return f"ExtremeI::<{src}>::new({mn})", "push", "acc.value(cx)"
    return f"ExtremeI::<{src}>::new({mn})", "push", "acc.index(cx)"


# ---------------------------------------------------------------- files
def ref_type(dt):
    return "F" if dt in FLOATS else f"I<{dt}>"


def rust_ty(dt, shape):
    return dt if not shape else f"Array<{dt}, {len(shape)}>"


def used_lets(kern, roots):
    """The `let`s the roots read, in declaration order: (name, node)."""
    used = []

    def collect(x):
        if x.kind == "let" and x.name not in [n for n, _ in used]:
            collect(x.kids[0])
            used.append((x.name, x.kids[0]))
        for c in x.kids if x.kind != "let" else []:
            collect(c)

    for r in roots:
        collect(r)
    order = [n for n, _ in kern.lets]
    used.sort(key=lambda t: order.index(t[0]))
    return used


def params_text(kern):
    return ", ".join(f"{'mut ' if mut else ''}{n}: {pdt}{dims_text(ps)}" for n, pdt, ps, mut in kern.params)


def lets_text(kern, roots, indent="        "):
    return "".join(f"{indent}let {n} = {ktext(x)};\n" for n, x in used_lets(kern, roots))


def emit_kernel(kern):
    """(kernel text inside array_expr!, reference fn + test fn)."""
    name = kern.name
    dt, shape = kern.out
    params = params_text(kern)
    lets = lets_text(kern, [kern.update_expr if kern.inplace else kern.root])
    if kern.inplace:
        head = f"    fn {name}({params}) {{\n"
        body = f"        y {kern.inplace} {ktext(kern.update_expr)}\n"
    else:
        head = f"    fn {name}({params}) -> {dt}{dims_text(shape)} {{\n"
        body = f"        {ktext(kern.root)}\n"
    ktxt = head + lets + body + "    }\n"
    out = ref_fn(kern, [(kern.root, shape)])
    out += emit_test(kern)
    return ktxt, "\n".join(out)


def ref_fn(kern, roots):
    """The reference: a function of the operands returning one table per (root, result
    shape) (a tuple when there are several), lines of Rust."""
    ref = Ref()
    finals, types = [], []
    for root, shape in roots:
        idx = [f"i{j}" for j in range(len(shape))]
        final = ref.val(root, child_index(root, shape, idx))
        rshape = ", ".join(dim_expr(d) for d in shape)
        finals.append(f"Table::build([{rshape}], |[{', '.join(idx)}]| {final})")
        types.append(f"Table<{ref_type(root.dt)}, {len(shape)}>")
    args = ", ".join(f"{n}: {'&' if ps else ''}{rust_ty(pdt, ps)}" for n, pdt, ps, _ in kern.params)
    ret = types[0] if len(roots) == 1 else f"({', '.join(types)})"
    out = [f"fn ref_{kern.name}(cx: &Cx, z: [usize; 3], {args}) -> {ret} {{", "    let [n, m, k] = z;"]
    out += ["    " + l for t in ref.tables for l in t.split("\n")]
    out += [f"    {finals[0]}" if len(roots) == 1 else f"    ({', '.join(finals)})", "}", ""]
    return out


def shapes(x):
    """Every node shape in the tree (a repeated symbol such as `[n, n, n]` grows fast)."""
    out = {x.shape}
    for c in x.kids:
        out |= shapes(c)
    return out


def test_prologue(kern, roots):
    """The test's first lines (sizes, operands, the reference), the call's arguments and the
    reference's."""
    name = kern.name
    lines = ["#[test]", f"fn {name}_matches_reference() {{", f'    run("{name}", &|case, rep| {{', "        let [n, m, k] = case.z;"]
    every = set().union(*(shapes(r) for r in roots))
    sizes = sorted({" * ".join(dim_expr(d) for d in sh) for sh in every if len(sh) >= 2})
    if sizes:
        lines.append(f"        if case.too_big(&[{', '.join(sizes)}]) {{")
        lines.append("            return;")
        lines.append("        }")
    call, refs = [], []
    for slot, (n, pdt, ps, mut) in enumerate(kern.params):
        sh = ", ".join(dim_expr(d) for d in ps)
        if not ps:
            lines.append(f"        let {n}: {pdt} = case.scalar({slot});")
            call.append(n)
            refs.append(n)
        elif mut:
            lines.append(f"        let mut {n} = case.inout::<{pdt}, {len(ps)}>({slot}, [{sh}]);")
            refs.append(f"&{n}.logical")
        else:
            lines.append(f"        let {n} = case.input::<{pdt}, {len(ps)}>({slot}, [{sh}]);")
            call.append(f"{n}.view()")
            refs.append(f"&{n}.logical")
    return lines, call, refs


def emit_test(kern):
    name = kern.name
    dt, shape = kern.out
    lines, call, refs = test_prologue(kern, [kern.root])
    lines.append(f"        let want = ref_{name}(rep.cx, case.z, {', '.join(refs)});")
    if kern.inplace:
        lines.append(f"        let res = {name}(y.view_mut(), {', '.join(call)});".replace("(), )", "())"))
        lines.append('        rep.written("in-place update", res, &y, &want);')
    elif not shape:
        lines.append(f"        rep.scalar({name}({', '.join(call)}), &want);")
    else:
        lines.append(f"        rep.array({name}({', '.join(call)}), &want);")
        lines.append(f"        let mut out = case.output::<{dt}, {len(shape)}>(want.shape());")
        lines.append(f'        rep.written("_into call", {name}_into({", ".join(call + ["out.view_mut()"])}), &out, &want);')
    lines += ["    });", "}", ""]
    return lines


HEADER = """// @generated by tools/gen_kernels.py {header}; do not edit.
// Random kernels and their references; see tools/gen_kernels.py and tests/differential/differential.rs.
#![allow(unused_variables, unused_parens, clippy::all)]

use crate::prelude::*;

array_expr! {{
{kernels}}}

{refs}"""


def write_files(out, kernels, emit, first_file, header):
    """Writes `kernels` 32 a file from gen_{first_file}.rs on; returns the module names."""
    files = []
    for f in range(0, len(kernels), 32):
        chunk = [emit(k) for k in kernels[f:f + 32]]
        fname = f"gen_{first_file + f // 32:02}.rs"
        text = HEADER.format(header=header, kernels="\n".join(k for k, _ in chunk),
                             refs="\n".join(r for _, r in chunk))
        text = text.replace("array_expr! {\n}\n\n", "")
        with open(os.path.join(out, fname), "w") as fh:
            fh.write(text)
        files.append(fname[:-3])
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20240801)
    ap.add_argument("--count", type=int, default=320)
    ap.add_argument("--forms", type=int, default=64, help="kernels of the forms in tools/gen_forms.py")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "differential"))
    a = ap.parse_args()
    import gen_forms

    rng = random.Random(a.seed)
    kernels = []
    for i in range(a.count):
        k = Kernel(rng, f"k{i:03}")
        k.build()
        kernels.append(k)
    header = f"--seed {a.seed} --count {a.count} --forms {a.forms}"
    files = write_files(a.out, kernels, emit_kernel, 0, header)
    forms = gen_forms.kernels(random.Random(a.seed + 1), a.count, a.forms)
    files += write_files(a.out, forms, gen_forms.emit, len(files), header)
    # two halves, two test crates (tests/differential/differential.rs and differential_b.rs, of
    # the package array-expr-differential): rustc compiles one crate on one thread for most of
    # its time, so the halves build in parallel
    half = (len(files) + 1) // 2
    lists = [("generated.rs", files[:half]), ("generated_b.rs", files[half:])]
    for name, part in lists:
        with open(os.path.join(a.out, name), "w") as fh:
            fh.write(f"// @generated by tools/gen_kernels.py {header}; do not edit.\n")
            fh.write(f"//! {len(part)} of the {len(files)} files of generated kernels ({a.count} kernels and\n")
            fh.write(f"//! {a.forms} of other forms in all).\n")
            for m in part:
                fh.write(f"#[path = \"{m}.rs\"]\nmod {m};\n")
    paths = [os.path.join(a.out, f + ".rs") for f in files] + [os.path.join(a.out, n) for n, _ in lists]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    subprocess.run(["rustfmt", "--edition", "2021", "--config-path", root] + paths, check=True)
    print(f"wrote {a.count} kernels and {a.forms} of other forms into {len(files)} files under {a.out}")


if __name__ == "__main__":
    main()
