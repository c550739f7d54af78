// Rule: `dot` takes two vectors.
use array_expr::array_expr;
array_expr! {
    fn f(a: f32[m, k], b: f32[k, n]) -> f32 {
        dot(a, b)
    }
}
fn main() {}
