// Rule: a scalar result needs a scalar body (reduce it).
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32 {
        x * 2.0
    }
}
fn main() {}
