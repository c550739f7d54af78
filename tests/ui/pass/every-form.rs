// Pass cases: kernel and inline forms, every operator class, casts, masks, reductions.
use array_expr::{array_expr, Array};
array_expr! {
    /// Documented kernels keep their docs and visibility.
    pub fn ops(x: f32[n, m], w: f32[m], s: f32) -> f32[n, m] {
        let y = -x * w / s + 1 - 2.0 % s;
        where((y > 0.0) & !(y == 1.0) | (y <= -3), abs(y), square(y))
    }
    #[promote(safe)]
    fn widen(a: i16[n], b: i32[n]) -> i32[n] {
        a + b
    }
    fn reduce_all(x: u8[n, m]) -> u64 {
        sum(x)
    }
    fn keep(x: f64[n, m]) -> f64[n, 1] {
        mean(x, axis = -1, keepdims)
    }
    fn acc(x: f32[n]) -> f64 {
        sum::<f64>(x as f64)
    }
}
fn main() {
    let x = Array::<f32, 2>::zeros([2, 3]);
    let _ = ops(&x, &[1.0f32, 2.0, 3.0][..], 2.0);
    let _ = widen(&[1i16][..], &[2i32][..]);
    let _ = reduce_all(&Array::<u8, 2>::zeros([2, 2]));
    let _ = keep(&Array::<f64, 2>::zeros([2, 2]));
    let _ = acc(&[1.0f32][..]);
    let v = vec![1.0f64, 2.0];
    let _ = array_expr!((v: f64[n]) => max(v * 2.0));
}
