// Rule: different symbols do not broadcast; the hint says to name equal dims the same.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n], y: f32[m]) -> f32[n] {
        x * y
    }
}
fn main() {}
