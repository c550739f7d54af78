// Rule: a negative literal does not fit an unsigned dtype.
use array_expr::array_expr;
array_expr! {
    fn f(x: u32[n]) -> u32[n] {
        x + -1
    }
}
fn main() {}
