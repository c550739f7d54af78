//! probe
use array_expr::array_expr;
use array_expr::Array;
use std::time::Instant;

array_expr! {
    fn colsoftmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 0, keepdims));
        e / sum(e, axis = 0, keepdims)
    }
    fn rowsoftmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
    fn mid_mean(x: f32[b, t, d]) -> f32[b, d] {
        mean(x, axis = 1)
    }
    fn layernorm(x: f32[b, t, d], g: f32[d], bb: f32[d]) -> f32[b, t, d] {
        let mu = mean(x, axis = 2, keepdims);
        let c = x - mu;
        c / sqrt(mean(c * c, axis = 2, keepdims) + 1e-5) * g + bb
    }
}

fn med(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
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
    if std::env::args().nth(1).is_some() {
        plan();
        return;
    }
    array_expr::parallel::set_num_threads(1);
    let x = Array::<f32, 2>::random_uniform([4096, 4096], 1, -4.0, 4.0);
    let mut o = Array::<f32, 2>::zeros([4096, 4096]);
    println!("row softmax 4096^2: {:.2} ms", med(|| rowsoftmax_into(&x, &mut o).unwrap()));
    println!("col softmax 4096^2: {:.2} ms", med(|| colsoftmax_into(&x, &mut o).unwrap()));
    let x10 = Array::<f32, 2>::random_uniform([10, 1 << 20], 1, -4.0, 4.0);
    let mut o10 = Array::<f32, 2>::zeros([10, 1 << 20]);
    println!("col softmax [10, 1M]: {:.2} ms", med(|| colsoftmax_into(&x10, &mut o10).unwrap()));
    let x3 = Array::<f32, 3>::random_uniform([64, 512, 512], 1, -4.0, 4.0);
    let mut m3 = Array::<f32, 2>::zeros([64, 512]);
    println!("mid mean [64, 512, 512]: {:.2} ms", med(|| mid_mean_into(&x3, &mut m3).unwrap()));
    let g = Array::<f32, 1>::random_uniform([512], 2, 0.5, 1.5);
    let bb = Array::<f32, 1>::random_uniform([512], 3, -0.5, 0.5);
    let mut o3 = Array::<f32, 3>::zeros([64, 512, 512]);
    println!("layernorm [64, 512, 512]: {:.2} ms", med(|| layernorm_into(&x3, &g, &bb, &mut o3).unwrap()));
    let xs = Array::<f32, 3>::random_uniform([64, 16384, 16], 1, -4.0, 4.0);
    let g16 = Array::<f32, 1>::random_uniform([16], 2, 0.5, 1.5);
    let b16 = Array::<f32, 1>::random_uniform([16], 3, -0.5, 0.5);
    let mut os = Array::<f32, 3>::zeros([64, 16384, 16]);
    println!(
        "layernorm [64, 16384, 16]: {:.2} ms",
        med(|| layernorm_into(&xs, &g16, &b16, &mut os).unwrap())
    );
}
#[allow(dead_code)]
fn plan() {
    println!("{}", COLSOFTMAX_PLAN);
}
