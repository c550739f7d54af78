// Rule: only masks (bool) go into `where`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        where(x, x, 0.0)
    }
}
fn main() {}
