// Rule: numbers do not adapt to masks.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> bool[n] {
        (x > 0.0) & 1
    }
}
fn main() {}
