// Rule: literal suffixes are not allowed; literals adapt, casts are explicit.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        x + 1.0f64
    }
}
fn main() {}
