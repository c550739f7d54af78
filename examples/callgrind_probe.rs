//! Fixed kernels at fixed sizes for the instruction-count regression guard
//! (`.ci/callgrind_guard.sh`). Each probe runs its kernel once inside a `probe_*` function, so
//! `valgrind --tool=callgrind --toggle-collect='callgrind_probe::probe_*'` counts exactly the
//! kernel's instructions (input setup is outside).
//!
//! ```sh
//! cargo run --release --example callgrind_probe -- list        # the probe names
//! cargo run --release --example callgrind_probe -- softmax_f32  # run one probe natively
//! ```

use array_expr::{array_expr, Array};
use std::hint::black_box;

array_expr! {
    fn affine_leaky(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {
        let y = x * w + b;
        where(y > 0.0, y, 0.01 * y)
    }
    fn triad(a: f64[n], b: f64[n], s: f64) -> f64[n] { a + s * b }
    fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
    fn standardize(x: f64[n, m]) -> f64[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-12)
    }
    fn total(x: f32[n]) -> f32 { sum(x) }
    fn ssd(x: f32[n], y: f32[n]) -> f32 { sum((x - y) * (x - y)) }
    fn int_mix(a: i32[n], b: i32[n]) -> i32[n] { (a * 3 - b) / 2 % 7 + abs(a) }
    fn add_transposed(a: f32[n, m], b: f32[m, n]) -> f32[n, m] { a + b.T }
    fn chain(x: f32[n]) -> f32[n] { exp(-x) * sqrt(abs(x)) + log1p(abs(x)) }
    fn argmax_rows(x: f32[n, m]) -> i64[n] { argmax(x, axis = 1) }
    fn dense_relu(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] { max(matmul(x, w) + b, 0.0) }
    fn axpy(mut y: f64[n], a: f64, x: f64[n]) { y += a * x }
    fn col_sum_i16(x: i16[n, m]) -> i64[m] { sum(x, axis = 0) }
    fn col_sum_f32(x: f32[n, m]) -> f32[m] { sum(x, axis = 0) }
    fn row_sum_f32(x: f32[n, m]) -> f32[n] { sum(x, axis = 1) }
    fn row_sum_f64(x: f64[n, m]) -> f64[n] { sum(x, axis = 1) }
    fn row_max_abs(x: f32[n, m]) -> f32[n] { max(abs(x), axis = 1) }
    fn row_dist(x: f32[n, m], c: f32[m]) -> f32[n] { sum((x - c) * (x - c), axis = 1) }
    fn col_max_f32(x: f32[n, m]) -> f32[m] { max(x, axis = 0) }
}

/// Declares the probes: each runs inside its own `#[inline(never)]` function, which callgrind
/// counts; the setup expression runs outside it.
macro_rules! probes {
    ($($name:ident: $setup:expr => |$i:ident| $call:expr;)*) => {
        $(
            #[inline(never)]
            fn $name<I, R>(input: &I, f: impl Fn(&I) -> R) -> R {
                f(black_box(input))
            }
        )*
        const NAMES: &[&str] = &[$(stringify!($name)),*];
        fn run(name: &str) -> bool {
            $(
                if stringify!($name).trim_start_matches("probe_") == name {
                    let input = $setup;
                    black_box($name(&input, |$i| $call));
                    return true;
                }
            )*
            false
        }
    };
}

fn f32s<const D: usize>(shape: [usize; D], seed: u64) -> Array<f32, D> {
    Array::random_uniform(shape, seed, -2.0, 2.0)
}
fn f64s<const D: usize>(shape: [usize; D], seed: u64) -> Array<f64, D> {
    Array::random_uniform(shape, seed, -2.0, 2.0)
}

probes! {
    probe_affine_leaky_f32: (f32s([512, 256], 1), f32s([256], 2), f32s([256], 3))
        => |i| affine_leaky(&i.0, &i.1, &i.2).unwrap();
    probe_triad_f64: (f64s([65536], 4), f64s([65536], 5)) => |i| triad(&i.0, &i.1, 1.5).unwrap();
    probe_softmax_f32: f32s([256, 256], 6) => |i| softmax(i).unwrap();
    // rows of ten: the group path of row-local schedules
    probe_softmax10_f32: f32s([6554, 10], 22) => |i| softmax(i).unwrap();
    probe_standardize_f64: f64s([1024, 64], 7) => |i| standardize(i).unwrap();
    probe_sum_f32: f32s([1 << 16], 8) => |i| total(i).unwrap();
    probe_int_mix_i32: (Array::<i32, 1>::from_fn([65536], |[k]| k as i32 - 30000), Array::<i32, 1>::from_fn([65536], |[k]| (k % 97) as i32))
        => |i| int_mix(&i.0, &i.1).unwrap();
    probe_transposed_f32: (f32s([256, 256], 9), f32s([256, 256], 10)) => |i| add_transposed(&i.0, &i.1).unwrap();
    probe_chain_f32: f32s([65536], 11) => |i| chain(i).unwrap();
    probe_argmax_rows_f32: f32s([256, 256], 12) => |i| argmax_rows(i).unwrap();
    probe_dense_relu_f32: (f32s([64, 64], 13), f32s([64, 64], 14), f32s([64], 15))
        => |i| dense_relu(&i.0, &i.1, &i.2).unwrap();
    probe_axpy_in_place_f64: (std::cell::RefCell::new(f64s([65536], 16)), f64s([65536], 17))
        => |i| axpy(&mut *i.0.borrow_mut(), 0.5, &i.1).unwrap();
    probe_col_sum_i16: Array::<i16, 2>::from_fn([512, 128], |[a, b]| ((a * 31 + b * 7) % 1000) as i16)
        => |i| col_sum_i16(i).unwrap();
    probe_col_sum_f32: f32s([512, 1024], 18) => |i| col_sum_f32(i).unwrap();
    probe_row_sum_f32: f32s([4096, 64], 19) => |i| row_sum_f32(i).unwrap();
    probe_row_sum10_f32: f32s([16384, 10], 24) => |i| row_sum_f32(i).unwrap();
    probe_row_sum4_f32: f32s([65536, 4], 25) => |i| row_sum_f32(i).unwrap();
    probe_row_sum4_f64: f64s([65536, 4], 26) => |i| row_sum_f64(i).unwrap();
    probe_row_max_abs10_f32: f32s([16384, 10], 27) => |i| row_max_abs(i).unwrap();
    probe_row_dist4_f32: (f32s([65536, 4], 28), f32s([4], 29)) => |i| row_dist(&i.0, &i.1).unwrap();
    probe_col_max_f32: f32s([512, 1024], 23) => |i| col_max_f32(i).unwrap();
    probe_ssd_f32: (f32s([1 << 16], 20), f32s([1 << 16], 21)) => |i| ssd(&i.0, &i.1).unwrap();
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "list" || arg.is_empty() {
        for n in NAMES {
            println!("{}", n.trim_start_matches("probe_"));
        }
        return;
    }
    if !run(&arg) {
        eprintln!("unknown probe `{arg}`; `list` prints the names");
        std::process::exit(2);
    }
}
