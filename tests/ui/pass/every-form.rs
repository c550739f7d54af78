// Pass cases: kernel and inline forms, every operator class, casts, masks, reductions,
// axes, products, in-place updates and several outputs.
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
    fn math(x: f64[n]) -> f64[n] {
        exp(x) + exp2(x) + expm1(x) + ln(x) + log2(x) + log10(x) + log1p(x) + sin(x) + cos(x) + tan(x)
            + tanh(x) + sinh(x) + cosh(x) + sigmoid(x) + floor(x) + ceil(x) + round(x) + pow(x, x) + powi(x, 2)
            + min(x, 1) + max(x, 0) + clip(x, 0, 1) + sqrt(x)
    }
    fn indexes(x: f32[n, m]) -> (i64[n], i64, bool, bool) {
        (argmax(x, axis = 1), argmin(x), any(x > 0.0), all(x < 1.0))
    }
    fn axes(x: f32[n, m], y: f32[n]) -> f32[m, n] {
        x.T + y[newaxis, :] + transpose(x, axes = (1, 0))
    }
    fn products(a: f64[m, k], b: f64[k, n], v: f64[k]) -> (f64[m, n], f64[m], f64) {
        (matmul(a, b) * 2.0, matmul(a, v), dot(v, v))
    }
    fn update(mut y: f32[n, m], x: f32[m]) {
        y += prod(x) * x
    }
}
fn main() {
    let x = Array::<f32, 2>::zeros([2, 3]);
    let _ = ops(&x, &[1.0f32, 2.0, 3.0][..], 2.0);
    let _ = widen(&[1i16][..], &[2i32][..]);
    let _ = reduce_all(&Array::<u8, 2>::zeros([2, 2]));
    let _ = keep(&Array::<f64, 2>::zeros([2, 2]));
    let _ = acc(&[1.0f32][..]);
    let _ = math(&[0.5f64][..]);
    let _ = indexes(&x);
    let _ = axes(&x, &[1.0f32, 2.0][..]);
    let a = Array::<f64, 2>::zeros([2, 2]);
    let _ = products(&a, &a, &[1.0f64, 2.0][..]);
    let mut y = Array::<f32, 2>::zeros([2, 3]);
    let _ = update(&mut y, &[1.0f32, 2.0, 3.0][..]);
    let v = vec![1.0f64, 2.0];
    let _ = array_expr!((v: f64[n]) => max(v * 2.0));
}
