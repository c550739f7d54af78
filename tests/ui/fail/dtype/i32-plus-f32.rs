// Rule: no implicit promotion between arrays of different dtypes; the error points at the
// operator, names both operands and suggests the cast.
use array_expr::array_expr;
array_expr! {
    fn f(x: i32[n], y: f32[n]) -> f32[n] {
        x + y
    }
}
fn main() {}
