// Rule: each operand is declared once.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n], x: f32[n]) -> f32[n] {
        x
    }
}
fn main() {}
