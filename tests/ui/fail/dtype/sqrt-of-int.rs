// Rule: float-only functions reject integer operands and suggest a cast.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n]) -> i32[n] {
        sqrt(x)
    }
}
fn main() {}
