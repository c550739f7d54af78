// Rule: `&` and `|` combine masks only.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n], y: i32[n]) -> i32[n] {
        x & y
    }
}
fn main() {}
