// Rule: a tuple body gives exactly the declared outputs.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> (f32[n], f32[n]) {
        (x, x * 2.0, x * 3.0)
    }
}
fn main() {}
