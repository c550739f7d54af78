// Rule: `!` inverts masks only.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n]) -> i32[n] {
        !x
    }
}
fn main() {}
