// Rule: literals adapt only when lossless: 2.5 cannot become an i32.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n]) -> i32[n] {
        x * 2.5
    }
}
fn main() {}
