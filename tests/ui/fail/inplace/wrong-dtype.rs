// Rule: the assigned value must have the target's dtype.
use array_expr::array_expr;
array_expr! {
    fn f(mut x: f32[n], y: f64[n]) {
        x = y
    }
}
fn main() {}
