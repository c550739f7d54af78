// Rule: unary minus needs a signed dtype.
use array_expr::array_expr;
array_expr! {
    fn f(x: u8[n]) -> u8[n] {
        -x
    }
}
fn main() {}
