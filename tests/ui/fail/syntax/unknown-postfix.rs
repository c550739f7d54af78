// Rule: `.T` is the only postfix; functions are called as `sum(x)`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32 {
        x.sum()
    }
}
fn main() {}
