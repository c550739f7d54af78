//! The macro never panics: valid kernels, every truncation of them, thousands of randomly
//! mutated token streams, random token trees and random near-grammatical kernels go through
//! `expand` and come back as well-formed Rust (code, or `compile_error!` plus stubs).

use crate::expand::expand;
use proc_macro2::{TokenStream, TokenTree};

const SEEDS: &[&str] = &[
    "pub fn f(x: f32[n, m], w: f32[m], b: f32) -> f32[n, m] { let y = x * w + b; where(y > 0.0, y, 0.01 * y) }",
    "fn g(x: i32[n], y: i32[n]) -> i64 { sum((x - y) * (x - y)) }",
    "fn h(x: f64[n, m]) -> f64[n, m] { let mu = mean(x, axis = 0); (x - mu) / sqrt(mean((x - mu) * (x - mu), axis = 0, keepdims) + 1e-9) }",
    "(x: f32[n], y: f32[n]) => sum::<f64>((x - y) as f64)",
    "#[promote(safe)] fn k(a: u8[n], b: i16[n]) -> bool[n] { (a as i16 + b > 3) & !(b == -1) | any(a > 2, axis = 0) }",
    "fn p(x: f32[a, b, c]) -> f32[a, c] { max(powi(clip(x, -1, 1), 3), axis = -2) }",
    "fn s(x: f64[n, m]) -> (f64[m], f64, bool[n, m]) { let mu = mean(x, axis = 0); (mu, max(x), x > mu) }",
    "fn q(mut y: f64[n, m], x: f64[m, n]) { y -= x.T * mean(x, axis = 1)[:, newaxis].T }",
    "fn r(x: f64[n, d], c: f64[k, d]) -> i64[n] { argmin(sum(square(x[:, newaxis, :] - c[newaxis, :, :]), axis = 2), axis = 1) }",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("x")
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn flatten(ts: TokenStream, out: &mut Vec<TokenTree>) {
    for tt in ts {
        if let TokenTree::Group(g) = &tt {
            flatten(g.stream(), out);
        }
        out.push(tt);
    }
}

fn tokens(s: &str) -> TokenStream {
    s.parse().unwrap_or_default()
}

#[test]
fn seeds_expand_without_errors() {
    for s in SEEDS {
        let out = expand(tokens(s)).to_string();
        assert!(!out.contains("compile_error"), "{s}\n=> {out}");
    }
}

#[test]
fn truncations_never_panic() {
    for s in SEEDS {
        let tts: Vec<TokenTree> = tokens(s).into_iter().collect();
        for cut in 0..=tts.len() {
            let ts: TokenStream = tts.iter().take(cut).cloned().collect();
            let _ = expand(ts);
        }
    }
}

#[test]
fn random_mutations_never_panic() {
    let mut rng = Rng(7);
    let mut pool = Vec::new();
    for s in SEEDS {
        flatten(tokens(s), &mut pool);
    }
    for round in 0..6000 {
        let seed = SEEDS[round % SEEDS.len()];
        let mut tts: Vec<TokenTree> = tokens(seed).into_iter().collect();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(tts.len() + 1);
            match rng.below(4) {
                0 if i < tts.len() => {
                    tts.remove(i);
                }
                1 => tts.insert(i.min(tts.len()), pool[rng.below(pool.len())].clone()),
                2 if i < tts.len() => {
                    let j = rng.below(tts.len());
                    tts.swap(i, j);
                }
                _ => {
                    // mutate inside a group: re-tokenize a random substring of the seed
                    let text = seed.to_string();
                    let a = rng.below(text.len());
                    let b = a + rng.below(text.len() - a + 1);
                    tts = tokens(text.get(a..b).unwrap_or("")).into_iter().collect();
                }
            }
        }
        let _ = expand(tts.into_iter().collect());
    }
}

/// Expands `ts`, turning a panic into a test failure that shows the input; checks that the
/// output is well-formed Rust and that a rejected input yields `compile_error!`.
fn expand_checked(ts: TokenStream) -> String {
    let text = ts.to_string();
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| expand(ts.clone())))
        .unwrap_or_else(|_| panic!("expand panicked on: {text}"));
    let well_formed =
        syn::parse2::<syn::File>(out.clone()).is_ok() || syn::parse2::<syn::Expr>(out.clone()).is_ok();
    assert!(well_formed, "expansion of `{text}` is not valid Rust:\n{out}");
    let out_text = out.to_string();
    match syn::parse2::<crate::ast::Input>(ts) {
        Err(_) => {
            assert!(
                out_text.contains("compile_error"),
                "`{text}` does not parse but expanded without an error"
            )
        }
        // code or stubs: every kernel keeps its name, so callers see only the macro's errors
        Ok(crate::ast::Input::Kernels(ks)) => {
            for k in ks {
                assert!(out_text.contains(&k.name.to_string()), "`{text}` lost kernel `{}`", k.name);
            }
        }
        Ok(crate::ast::Input::Inline(_)) => assert!(!out.is_empty(), "`{text}` expanded to nothing"),
    }
    if out_text.contains("compile_error") {
        assert!(!out_text.contains("compile_error ! { \"\" }"), "empty error message for `{text}`");
    }
    out_text
}

const IDENTS: &[&str] = &[
    "fn",
    "let",
    "mut",
    "pub",
    "where",
    "sum",
    "prod",
    "mean",
    "min",
    "max",
    "argmin",
    "argmax",
    "any",
    "all",
    "axis",
    "keepdims",
    "newaxis",
    "None",
    "T",
    "as",
    "transpose",
    "axes",
    "matmul",
    "dot",
    "exp",
    "sqrt",
    "powi",
    "pow",
    "clip",
    "abs",
    "square",
    "f32",
    "f64",
    "i8",
    "i32",
    "u8",
    "u64",
    "bool",
    "n",
    "m",
    "k",
    "x",
    "y",
    "z",
    "promote",
    "safe",
    "true",
    "false",
    "self",
    "crate",
    "_",
    "r#fn",
];
const PUNCTS: &[&str] = &[
    "+", "-", "*", "/", "%", "!", "&", "|", "^", "<", ">", "=", "==", "!=", "<=", ">=", "->", "=>", "::",
    ":", ";", ",", ".", "..", "#", "@", "?", "+=", "-=", "*=", "/=", "%=", "&&", "||", "'a",
];
const LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "3",
    "0.5",
    "2.5",
    "1e-9",
    "1e400",
    "-0.0",
    "255",
    "256",
    "99999999999999999999999999999",
    "340282366920938463463374607431768211456",
    "0x10",
    "1u8",
    "2.0f32",
    "\"s\"",
    "'c'",
    "b'x'",
    "1_000",
];

/// A random token tree: idents, punctuation, literals and nested groups of every delimiter.
fn random_tokens(rng: &mut Rng, depth: usize, out: &mut String) {
    for _ in 0..rng.below(12) {
        match rng.below(10) {
            0..=3 => out.push_str(rng.pick(IDENTS)),
            4..=6 => out.push_str(rng.pick(PUNCTS)),
            7 => out.push_str(rng.pick(LITERALS)),
            _ if depth > 0 => {
                let (open, close) = [("(", ")"), ("[", "]"), ("{", "}")][rng.below(3)];
                out.push_str(open);
                random_tokens(rng, depth - 1, out);
                out.push_str(close);
            }
            _ => out.push_str(rng.pick(IDENTS)),
        }
        out.push(' ');
    }
}

#[test]
fn random_token_trees_never_panic() {
    let mut rng = Rng(0xF0F0);
    for _ in 0..4000 {
        let mut text = String::new();
        if rng.chance(50) {
            text.push_str(rng.pick(&[
                "fn f",
                "pub fn g",
                "(x: f32[n])",
                "fn h(x: f32[n]) ->",
                "fn u(mut y: f64[n]) {",
            ]));
            text.push(' ');
        }
        random_tokens(&mut rng, 3, &mut text);
        // unbalanced text cannot become a token stream; the macro never sees it
        if let Ok(ts) = text.parse::<TokenStream>() {
            expand_checked(ts);
        }
    }
}

const DTYPES: &[&str] =
    &["f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool", "f16", "usize"];
const FUNCS: &[&str] = &[
    "sum",
    "prod",
    "mean",
    "min",
    "max",
    "argmin",
    "argmax",
    "any",
    "all",
    "abs",
    "sqrt",
    "exp",
    "ln",
    "log1p",
    "sin",
    "tanh",
    "sigmoid",
    "floor",
    "round",
    "pow",
    "powi",
    "clip",
    "square",
    "where",
    "transpose",
    "matmul",
    "dot",
    "exp2",
    "nope",
];
const BINS: &[&str] = &["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "&", "|"];

/// A random expression of the DSL, often well-typed, sometimes not.
fn random_expr(rng: &mut Rng, names: &[String], depth: usize) -> String {
    let leaf = |rng: &mut Rng| match rng.below(8) {
        0 => rng.pick(LITERALS).to_string(),
        _ => names.get(rng.below(names.len())).cloned().unwrap_or_else(|| "x".into()),
    };
    if depth == 0 || rng.chance(20) {
        return leaf(rng);
    }
    let sub = |rng: &mut Rng| random_expr(rng, names, depth - 1);
    match rng.below(8) {
        0..=1 => format!("({} {} {})", sub(rng), rng.pick(&["+", "-", "*", "/"]), sub(rng)),
        2 => format!("({} {} {})", sub(rng), rng.pick(BINS), sub(rng)),
        3 => format!("{}{}", rng.pick(&["-", "!"]), sub(rng)),
        4 => format!("({} as {})", sub(rng), rng.pick(DTYPES)),
        5 => {
            let post = rng.pick(&[".T", "[:, newaxis]", "[newaxis, :]", "[None]", "[:, :, :]", ".U", "[1]"]);
            format!("({}){post}", sub(rng))
        }
        _ => {
            let f = rng.pick(FUNCS);
            let acc = if rng.chance(15) { format!("::<{}>", rng.pick(DTYPES)) } else { String::new() };
            let mut args: Vec<String> = (0..1 + rng.below(3)).map(|_| sub(rng)).collect();
            if rng.chance(30) {
                let axis =
                    rng.pick(&["0", "1", "-1", "2", "-3", "7", "(0, 1)", "(1, 1)", "(0, -1)", "()", "x"]);
                args.push(format!("axis = {axis}"));
            }
            if rng.chance(15) {
                args.push(rng.pick(&["keepdims", "keepdims = true", "keepdims = 3", "axes = (1, 0)"]).into());
            }
            format!("{f}{acc}({})", args.join(", "))
        }
    }
}

/// A type: usually the kernel's main dtype and dims, sometimes anything.
fn random_type(rng: &mut Rng, dtype: &str, dims: &[&str]) -> String {
    let d = if rng.chance(80) { dtype } else { rng.pick(DTYPES) };
    let dims: Vec<&str> = if rng.chance(70) {
        dims.to_vec()
    } else {
        (0..rng.below(4)).map(|_| rng.pick(&["n", "m", "k", "1", "3", "0"])).collect()
    };
    if dims.is_empty() {
        d.to_string()
    } else {
        format!("{d}[{}]", dims.join(", "))
    }
}

/// A random kernel or inline invocation in the DSL's shape, with random slips.
fn random_kernel(rng: &mut Rng) -> String {
    let dtype = rng.pick(&["f32", "f64", "i32", "u8", "bool"]);
    let dims: Vec<&str> = (0..rng.below(3)).map(|_| rng.pick(&["n", "m", "k"])).collect();
    let mut names = Vec::new();
    let mut params = Vec::new();
    for i in 0..1 + rng.below(4) {
        let name = ["x", "y", "z", "w"][i % 4].to_string();
        let m = if rng.chance(10) { "mut " } else { "" };
        params.push(format!("{m}{name}: {}", random_type(rng, dtype, &dims)));
        names.push(name);
    }
    let mut body = String::new();
    for j in 0..rng.below(3) {
        let depth = 1 + rng.below(2);
        body.push_str(&format!("let t{j} = {}; ", random_expr(rng, &names, depth)));
        names.push(format!("t{j}"));
    }
    let depth = 2 + rng.below(2);
    let result = random_expr(rng, &names, depth);
    if rng.chance(25) {
        return format!("({}) => {{ {body}{result} }}", params.join(", "));
    }
    let ret = random_type(rng, dtype, &dims);
    let attr = if rng.chance(10) { "#[promote(safe)] " } else { "" };
    if rng.chance(10) {
        let op = rng.pick(&["=", "+=", "-=", "*=", "/=", "%="]);
        return format!("{attr}fn f({}) {{ {body}x {op} {result} }}", params.join(", "));
    }
    format!("{attr}fn f({}) -> {ret} {{ {body}{result} }}", params.join(", "))
}

#[test]
fn random_grammar_kernels_never_panic_and_sometimes_compile() {
    let mut rng = Rng(0xBEEF);
    let mut accepted = 0;
    let total = 4000;
    for _ in 0..total {
        let text = random_kernel(&mut rng);
        let Ok(ts) = text.parse::<TokenStream>() else { continue };
        if !expand_checked(ts).contains("compile_error") {
            accepted += 1;
        }
    }
    println!("{accepted} of {total} random kernels expanded without errors");
    // the generator must reach type checking and code generation, not only the parser
    assert!(accepted * 33 >= total, "only {accepted} of {total} random kernels expanded without errors");
}

/// Time spent inside the macro per kernel (parse, type, check, emit), measured as a library
/// call. Run with `cargo test -p array-expr-macros --release -- --ignored --nocapture expansion_time`.
#[test]
#[ignore]
fn expansion_time() {
    let kernels: Vec<TokenStream> = SEEDS.iter().map(|s| tokens(s)).collect();
    let rounds = 200;
    let start = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        for k in &kernels {
            bytes += expand(k.clone()).into_iter().count();
        }
    }
    let per = start.elapsed().as_secs_f64() / (rounds * kernels.len()) as f64;
    println!(
        "expansion: {:.3} ms per kernel (mean over {} kernels x {rounds}), {} top-level output tokens per kernel",
        per * 1e3,
        kernels.len(),
        bytes / (rounds * kernels.len())
    );
}

/// The typed IR of a small kernel, printed: dtypes and symbolic shapes per node, literals
/// adapted, the broadcast shape inferred, without generating code.
#[test]
fn typed_ir_is_printable_and_checked() {
    let k: crate::ast::Input =
        syn::parse2(tokens("fn f(x: f32[n, m], w: f32[m]) -> f32[n] { sum(x * w + 2, axis = 1) }"))
            .unwrap_or_else(|e| panic!("{e}"));
    let crate::ast::Input::Kernels(ks) = k else { panic!("not a kernel") };
    let k = &ks[0];
    let mut errors = crate::diag::Errors::default();
    let typed = crate::typeck::typeck(&k.params, &k.body, k.policy, &mut errors)
        .unwrap_or_else(|| panic!("typeck failed"));
    let text = typed.ir.to_string();
    let want = "%0: f32[n, m] = Array(0)\n\
                %1: f32[m] = Array(1)\n\
                %2: f32[n, m] = Binary(Mul, NodeId(0), NodeId(1))\n\
                %3: f32 = Const(Float(2.0))\n\
                %4: f32[n, m] = Binary(Add, NodeId(2), NodeId(3))\n\
                %5: f32[n] = Reduce { kind: Sum, input: NodeId(4), axes: [1], keepdims: false, acc: F64 }\n";
    assert_eq!(text, want);
    assert_eq!(typed.root, crate::ir::NodeId(5));
}

/// Errors are collected, not thrown: two independent mistakes give two errors.
#[test]
fn typeck_reports_every_error() {
    let k: crate::ast::Input =
        syn::parse2(tokens("fn f(x: i32[n], y: f32[m]) -> f32[n] { let a = sqrt(x); let b = y + y; x + y }"))
            .unwrap_or_else(|e| panic!("{e}"));
    let crate::ast::Input::Kernels(ks) = k else { panic!("not a kernel") };
    let mut errors = crate::diag::Errors::default();
    assert!(crate::typeck::typeck(&ks[0].params, &ks[0].body, ks[0].policy, &mut errors).is_none());
    let msgs = errors.propagate().err().map(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>());
    assert_eq!(
        msgs.unwrap_or_default(),
        vec![
            "`sqrt` needs a float operand, but `x: i32[n]` is an integer; write `sqrt(x as f64)`".to_string(),
            "cannot add `x: i32[n]` and `y: f32[m]` without a cast; write `x as f32 + y`".to_string(),
        ]
    );
}
