// Rule: the body ends with the result expression, without `;`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        x * 2.0;
    }
}
fn main() {}
