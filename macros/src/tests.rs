//! The macro never panics: valid kernels, every truncation of them, and thousands of randomly
//! mutated token streams go through `expand` and come back as tokens (code or compile_error!).

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
