// Rule: a `mut` parameter must be the target of the update.
use array_expr::array_expr;
array_expr! {
    fn f(mut x: f32[n], y: f32[n]) -> f32[n] {
        y * 2.0
    }
}
fn main() {}
