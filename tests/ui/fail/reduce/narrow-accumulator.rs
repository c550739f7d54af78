// Rule: an explicit accumulator must hold every input value.
use array_expr::array_expr;
array_expr! {
    fn f(x: i64[n]) -> i32 {
        sum::<i32>(x)
    }
}
fn main() {}
