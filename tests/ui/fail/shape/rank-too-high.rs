// Rule: operands have at most 6 axes.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[a, b, c, d, e, g, h]) -> f32[a] {
        sum(x, axis = (1, 2, 3, 4, 5, 6))
    }
}
fn main() {}
