// Rule: only a `mut` array parameter can be updated in place.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) {
        x += 1.0
    }
}
fn main() {}
