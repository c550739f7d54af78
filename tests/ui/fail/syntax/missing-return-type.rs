// Rule: a kernel declares its result type.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) {
        x
    }
}
fn main() {}
