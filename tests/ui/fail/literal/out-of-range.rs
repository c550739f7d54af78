// Rule: an integer literal must fit the dtype it adapts to.
use array_expr::array_expr;
array_expr! {
    fn f(x: u8[n]) -> u8[n] {
        x + 300
    }
}
fn main() {}
