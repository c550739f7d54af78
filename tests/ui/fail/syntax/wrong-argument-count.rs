// Rule: functions take their documented number of arguments.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        clip(x, 1.0)
    }
}
fn main() {}
