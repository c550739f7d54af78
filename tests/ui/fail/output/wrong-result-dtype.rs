// Rule: the body's dtype must equal the declared result dtype (no silent conversion).
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f64[n] {
        x * 2.0
    }
}
fn main() {}
