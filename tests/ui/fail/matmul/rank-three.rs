// Rule: `matmul` takes matrices or vectors.
use array_expr::array_expr;
array_expr! {
    fn f(a: f32[m, k, l], b: f32[k, n]) -> f32[m, n] {
        matmul(a, b)
    }
}
fn main() {}
