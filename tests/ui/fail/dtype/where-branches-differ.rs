// Rule: the branches of `where` share a dtype.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n], y: f64[n]) -> f32[n] {
        where(x > 0.0, x, y)
    }
}
fn main() {}
