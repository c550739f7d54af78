// Rule: `matmul` checks its inner dims symbolically.
use array_expr::array_expr;
array_expr! {
    fn f(a: f32[m, k], b: f32[j, n]) -> f32[m, n] {
        matmul(a, b)
    }
}
fn main() {}
