// Rule: `transpose` axes must be a permutation.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, m]) -> f32[n, m] {
        transpose(x, axes = (0, 0))
    }
}
fn main() {}
