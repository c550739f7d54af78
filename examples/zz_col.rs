//! probe
use array_expr::array_expr;
use array_expr::Array;
use std::time::Instant;

array_expr! {
    fn colsoftmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 0, keepdims));
        e / sum(e, axis = 0, keepdims)
    }
    fn colmax(x: f32[n, m]) -> f32[1, m] {
        max(x, axis = 0, keepdims)
    }
    fn colsumexp(x: f32[n, m], mx: f32[1, m]) -> f32[1, m] {
        sum(exp(x - mx), axis = 0, keepdims)
    }
    fn finalpass(x: f32[n, m], mx: f32[1, m], s: f32[1, m]) -> f32[n, m] {
        exp(x - mx) / s
    }
}

fn med(mut f: impl FnMut()) -> f64 {
    for _ in 0..2 {
        f();
    }
    let mut ts: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ts[3]
}

fn main() {
    array_expr::parallel::set_num_threads(1);
    for (n, m) in [(4096usize, 4096usize), (10, 1 << 20)] {
        let x = Array::<f32, 2>::random_uniform([n, m], 1, -4.0, 4.0);
        let mut o = Array::<f32, 2>::zeros([n, m]);
        let mut mx = Array::<f32, 2>::zeros([1, m]);
        let mut s = Array::<f32, 2>::zeros([1, m]);
        let a = med(|| colsoftmax_into(&x, &mut o).unwrap());
        let b = med(|| colmax_into(&x, &mut mx).unwrap());
        let c = med(|| colsumexp_into(&x, &mx, &mut s).unwrap());
        let d = med(|| finalpass_into(&x, &mx, &s, &mut o).unwrap());
        println!("[{n}, {m}]: softmax {a:.2} = max {b:.2} + sumexp {c:.2} + final {d:.2} ms");
    }
}
