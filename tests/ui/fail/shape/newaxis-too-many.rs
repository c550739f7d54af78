// Rule: an index keeps at most as many axes as the operand has.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n, 1] {
        x[:, :, newaxis]
    }
}
fn main() {}
