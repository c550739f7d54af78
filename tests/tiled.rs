//! Tiled elementwise passes (an operand unit-stride across runs but far-strided along them, such
//! as a transposed matrix): every element equals the scalar reference exactly, for shapes with
//! partial tiles, several transposed operands, strided outputs, in-place updates, broadcasts,
//! batches (3-D) and every thread count.

use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, Order, Slice};

array_expr! {
    fn add_t(a: f32[n, m], b: f32[m, n]) -> f32[n, m] { a + b.T }
    fn mix_t(a: f32[n, m], b: f32[m, n], c: f32[m, n], w: f32[m]) -> f32[n, m] { a * w + b.T - c.T * 2.0 }
    fn acc_t(mut a: f32[n, m], b: f32[m, n]) { a += b.T }
    fn batch_t(a: f32[k, n, m], b: f32[k, n, m]) -> f32[k, n, m] { a + b * 0.5 }
}

fn check(got: &[f32], want: &[f32], what: &str) {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(got), bits(want), "{what}");
}

#[test]
fn transposed_operands_match_the_reference() {
    for [n, m] in [[200, 300], [64, 64], [130, 17], [17, 130], [1000, 20], [700, 800]] {
        let a = Array::<f32, 2>::random_uniform([n, m], 1, -1.0, 1.0);
        let b = Array::<f32, 2>::random_uniform([m, n], 2, -1.0, 1.0);
        let c = Array::<f32, 2>::random_uniform([m, n], 3, -1.0, 1.0);
        let w = Array::<f32, 1>::random_uniform([m], 4, -1.0, 1.0);
        let at = |x: &Array<f32, 2>, i: usize, j: usize| *x.get([i, j]).unwrap();
        let plus: Vec<f32> = (0..n * m).map(|e| at(&a, e / m, e % m) + at(&b, e % m, e / m)).collect();
        let mix: Vec<f32> = (0..n * m)
            .map(|e| {
                let (i, j) = (e / m, e % m);
                at(&a, i, j) * *w.get([j]).unwrap() + at(&b, j, i) - at(&c, j, i) * 2.0
            })
            .collect();
        for t in [1, 2, 3] {
            let what = format!("{n}x{m} on {t} threads");
            with_threads(t, || {
                check(&add_t(a.view(), b.view()).unwrap().to_vec(), &plus, &format!("add {what}"));
                check(
                    &mix_t(a.view(), b.view(), c.view(), w.view()).unwrap().to_vec(),
                    &mix,
                    &format!("mix {what}"),
                );
                let mut acc = a.clone();
                acc_t(acc.view_mut(), b.view()).unwrap();
                check(&acc.to_vec(), &plus, &format!("in place {what}"));
                // a strided in-place target (every other column of a wider matrix)
                let mut wide = Array::<f32, 2>::full([n, 2 * m], 0.0);
                let mut sub = wide.view_mut().slice([Slice::full(), Slice::full().step_by(2)]).unwrap();
                sub.assign(&a.view()).unwrap();
                acc_t(sub, b.view()).unwrap();
                let got: Vec<f32> = (0..n * m).map(|e| at(&wide, e / m, 2 * (e % m))).collect();
                check(&got, &plus, &format!("strided in place {what}"));
            });
        }
    }
}

#[test]
fn batched_mixed_orders_match_the_reference() {
    let a = Array::<f32, 3>::random_uniform([3, 40, 50], 5, -1.0, 1.0);
    let b = Array::<f32, 3>::random_uniform([3, 40, 50], 6, -1.0, 1.0).view().to_owned_order(Order::F);
    let want: Vec<f32> = a.to_vec().iter().zip(b.to_vec()).map(|(x, y)| x + y * 0.5).collect();
    check(&batch_t(a.view(), b.view()).unwrap().to_vec(), &want, "batch with an F-order operand");
}
