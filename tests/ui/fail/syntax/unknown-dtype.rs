// Rule: dtypes are bool, i8..i64, u8..u64, f32, f64.
use array_expr::array_expr;
array_expr! {
    fn f(x: f16[n]) -> f32[n] {
        x
    }
}
fn main() {}
