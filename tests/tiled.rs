//! Tiled elementwise passes (an operand unit-stride across runs but far-strided along them, such
//! as a transposed matrix): every element equals the scalar reference exactly, for shapes with
//! partial tiles, several transposed operands, strided outputs, in-place updates, broadcasts,
//! batches (3-D) and every thread count.

use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, ArrayView, ArrayViewMut, Order, Slice};

array_expr! {
    fn add_t(a: f32[n, m], b: f32[m, n]) -> f32[n, m] { a + b.T }
    fn mix_t(a: f32[n, m], b: f32[m, n], c: f32[m, n], w: f32[m]) -> f32[n, m] { a * w + b.T - c.T * 2.0 }
    fn acc_t(mut a: f32[n, m], b: f32[m, n]) { a += b.T }
    fn batch_t(a: f32[k, n, m], b: f32[k, n, m]) -> f32[k, n, m] { a + b * 0.5 }
    fn add_t_f64(a: f64[n, m], b: f64[m, n]) -> f64[n, m] { a + b.T }
    fn scale_t(a: f32[n, m], b: f32[m, n]) -> f32[n, m] { a * 0.5 - b.T }
    fn scale_t_f64(a: f64[n, m], b: f64[m, n]) -> f64[n, m] { a * 0.5 - b.T }
    fn add_t_i32(a: i32[n, m], b: i32[m, n]) -> i32[n, m] { a + b.T }
    fn add_t_i64(a: i64[n, m], b: i64[m, n]) -> i64[n, m] { a - b.T }
    fn copy_t_u32(b: u32[m, n]) -> u32[n, m] { b.T }
    fn copy_t_i16(b: i16[m, n]) -> i16[n, m] { b.T }
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

/// Every dtype's tile gather (8 x 8 blocks of 32-bit values, 4 x 4 of 64-bit ones, scalar for
/// the rest) gives the reference for shapes with partial blocks and tiles, on 1 and 3 threads.
#[test]
fn transposed_operands_of_every_width_match_the_reference() {
    for [n, m] in [[64, 64], [67, 131], [130, 17], [9, 300], [257, 70]] {
        let e = |i: usize, j: usize, s: usize| ((i * 7919 + j * 104_729 + s) % 2001) as i64 - 1000;
        let (a64, b64) = (
            Array::<i64, 2>::from_fn([n, m], |[i, j]| e(i, j, 1)),
            Array::<i64, 2>::from_fn([m, n], |[i, j]| e(i, j, 2)),
        );
        let a32 = Array::<i32, 2>::from_fn([n, m], |[i, j]| e(i, j, 1) as i32);
        let b32 = Array::<i32, 2>::from_fn([m, n], |[i, j]| e(i, j, 2) as i32);
        let af = Array::<f64, 2>::from_fn([n, m], |[i, j]| e(i, j, 1) as f64 * 0.37);
        let bf = Array::<f64, 2>::from_fn([m, n], |[i, j]| e(i, j, 2) as f64 * 1.13);
        // u32 bit patterns that are NaNs as f32 (quiet and signalling) must come through unchanged
        let bu = Array::<u32, 2>::from_fn([m, n], |[i, j]| {
            0x7F80_0001u32.wrapping_add(((i * n + j) as u32).wrapping_mul(0x0100_0003))
        });
        let bs = Array::<i16, 2>::from_fn([m, n], |[i, j]| e(i, j, 3) as i16);
        for t in [1, 3] {
            with_threads(t, || {
                let what = format!("{n}x{m} on {t} threads");
                let f64s = add_t_f64(af.view(), bf.view()).unwrap();
                let i32s = add_t_i32(a32.view(), b32.view()).unwrap();
                let i64s = add_t_i64(a64.view(), b64.view()).unwrap();
                let u32s = copy_t_u32(bu.view()).unwrap();
                let i16s = copy_t_i16(bs.view()).unwrap();
                for i in 0..n {
                    for j in 0..m {
                        let at = [i, j];
                        let want = af.get(at).unwrap() + bf.get([j, i]).unwrap();
                        assert_eq!(f64s.get(at).unwrap().to_bits(), want.to_bits(), "f64 {at:?} {what}");
                        assert_eq!(
                            *i32s.get(at).unwrap(),
                            a32.get(at).unwrap() + b32.get([j, i]).unwrap(),
                            "i32 {at:?} {what}"
                        );
                        assert_eq!(
                            *i64s.get(at).unwrap(),
                            a64.get(at).unwrap() - b64.get([j, i]).unwrap(),
                            "i64 {at:?} {what}"
                        );
                        assert_eq!(u32s.get(at).unwrap(), bu.get([j, i]).unwrap(), "u32 {at:?} {what}");
                        assert_eq!(i16s.get(at).unwrap(), bs.get([j, i]).unwrap(), "i16 {at:?} {what}");
                    }
                }
            });
        }
    }
}

/// `f(out, b)` over a C-order `[n, m]` output placed `out_at` elements into a buffer with rows
/// `m + pad` apart, `b` (`[m, n]`, C order) copied `b_at` elements into another with rows
/// `n + pad` apart: the output rows' (and `b`'s columns') start within a cache line moves with
/// the offsets, and with `pad` rows stop being whole lines apart. Returns the output's elements.
fn placed<T: array_expr::Element + Default>(
    (n, m): (usize, usize),
    (out_at, b_at, pad): (usize, usize, usize),
    b: &[T],
    f: impl Fn(ArrayViewMut<'_, T, 2>, ArrayView<'_, T, 2>),
) -> Vec<T> {
    let mut bbuf = vec![T::default(); b_at + m * (n + pad)];
    for j in 0..m {
        bbuf[b_at + j * (n + pad)..][..n].copy_from_slice(&b[j * n..][..n]);
    }
    let bv = ArrayView::from_shape_strides(&bbuf, [m, n], [(n + pad) as isize, 1], b_at).unwrap();
    let mut obuf = vec![T::default(); out_at + n * (m + pad)];
    let ov = ArrayViewMut::from_shape_strides(&mut obuf, [n, m], [(m + pad) as isize, 1], out_at).unwrap();
    f(ov, bv);
    (0..n).flat_map(|i| obuf[out_at + i * (m + pad)..][..m].to_vec()).collect()
}

/// A transposed pass that reads as much as it writes streams an output of 32 MiB or more (the tiles' column ranges
/// start on the output's cache lines, the panels on the transposed operand's): the result is
/// the reference, bit for bit, wherever the output and the transposed operand start within a
/// line, with rows a whole number of lines apart or not, on 1 and 3 threads, f32 and f64, and
/// with streaming stores switched off; and in place (`a += b.T`, stored normally: in-place
/// passes never stream, but its panels follow the same alignment).
#[test]
fn streamed_transposed_passes_match_the_reference_at_every_alignment() {
    // rows (and b's columns) whole lines apart with pad 0; partial tiles both ways
    let (n, m) = (2896, 2912); // 32.2 MiB of f32
    let a = Array::<f32, 2>::random_uniform([n, m], 7, -1.0, 1.0);
    let b = Array::<f32, 2>::random_uniform([m, n], 8, -1.0, 1.0);
    let (av, bv) = (a.to_vec(), b.to_vec());
    let want: Vec<u32> = (0..n * m).map(|e| (av[e] * 0.5 - bv[(e % m) * n + e / m]).to_bits()).collect();
    let plus: Vec<u32> = (0..n * m).map(|e| (av[e] + bv[(e % m) * n + e / m]).to_bits()).collect();
    let (n8, m8) = (2056, 2048); // 32.1 MiB of f64
    let a8 = Array::<f64, 2>::random_uniform([n8, m8], 9, -1.0, 1.0);
    let b8 = Array::<f64, 2>::random_uniform([m8, n8], 10, -1.0, 1.0);
    let (av8, bv8) = (a8.to_vec(), b8.to_vec());
    let want8: Vec<u64> =
        (0..n8 * m8).map(|e| (av8[e] * 0.5 - bv8[(e % m8) * n8 + e / m8]).to_bits()).collect();
    for stream in [true, false] {
        array_expr::driver::set_streaming_stores(stream);
        for t in [1, 3] {
            for pad in [0, 1] {
                for (out_at, b_at) in [(0, 0), (1, 5), (12, 3), (15, 15)] {
                    let what =
                        format!("out at {out_at}, b at {b_at}, pad {pad}, {t} threads, streaming {stream}");
                    let got = placed((n, m), (out_at, b_at, pad), &bv, |o, bt| {
                        with_threads(t, || scale_t_into(a.view(), bt, o)).unwrap()
                    });
                    assert!(got.iter().map(|v| v.to_bits()).eq(want.iter().copied()), "f32 {what}");
                    // in place: the output is read and written by the same pass
                    let got = placed((n, m), (out_at, b_at, pad), &bv, |mut o, bt| {
                        o.assign(&a.view()).unwrap();
                        with_threads(t, || acc_t(o, bt)).unwrap()
                    });
                    assert!(got.iter().map(|v| v.to_bits()).eq(plus.iter().copied()), "in place {what}");
                    let got = placed((n8, m8), (out_at % 8, b_at % 8, pad), &bv8, |o, bt| {
                        with_threads(t, || scale_t_f64_into(a8.view(), bt, o)).unwrap()
                    });
                    assert!(got.iter().map(|v| v.to_bits()).eq(want8.iter().copied()), "f64 {what}");
                }
            }
        }
    }
    array_expr::driver::set_streaming_stores(true);
}
