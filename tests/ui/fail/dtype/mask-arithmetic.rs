// Rule: masks support logic and `where`, not arithmetic.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> bool[n] {
        (x > 0.0) + (x < 1.0)
    }
}
fn main() {}
