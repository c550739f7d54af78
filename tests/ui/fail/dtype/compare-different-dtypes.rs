// Rule: comparisons need one dtype on both sides.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n], y: f64[n]) -> bool[n] {
        x < y
    }
}
fn main() {}
