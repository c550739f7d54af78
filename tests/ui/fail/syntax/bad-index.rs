// Rule: inside expressions, indexing takes only `:` and `newaxis`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, m]) -> f32[m] {
        x[0]
    }
}
fn main() {}
