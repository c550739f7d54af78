// Rule: `axis` and `keepdims` belong to reductions.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        sqrt(x, axis = 0)
    }
}
fn main() {}
