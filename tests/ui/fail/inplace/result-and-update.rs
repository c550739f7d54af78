// Rule: a kernel returns a result or updates in place, not both.
use array_expr::array_expr;
array_expr! {
    fn f(mut x: f32[n]) -> f32[n] {
        x += 1.0
    }
}
fn main() {}
