// Rule: the assigned value must broadcast to the target's shape without growing it.
use array_expr::array_expr;
array_expr! {
    fn f(mut x: f32[n], y: f32[m, n]) {
        x = y
    }
}
fn main() {}
