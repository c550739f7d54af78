// Rule: `matmul` multiplies numbers, not masks.
use array_expr::array_expr;
array_expr! {
    fn f(a: f32[m, k], b: f32[k, n]) -> bool[m, n] {
        matmul(a > 0.0, b > 0.0)
    }
}
fn main() {}
