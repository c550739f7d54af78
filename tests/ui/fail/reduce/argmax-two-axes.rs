// Rule: `argmax` takes one axis or none.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[a, b, c]) -> i64[a] {
        argmax(x, axis = (1, 2))
    }
}
fn main() {}
