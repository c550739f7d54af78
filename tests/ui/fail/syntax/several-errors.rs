// Rule: all errors of one invocation are reported together, without follow-on errors, and the
// stub keeps callers compiling.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n], y: f32[n], z: f32[m]) -> f32[n] {
        let a = x + y;
        let b = y * z;
        a + b
    }
}
fn main() {
    let _ = f(&[1][..], &[1.0f32][..], &[1.0f32][..]);
}
