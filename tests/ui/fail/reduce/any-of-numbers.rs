// Rule: `any`/`all` reduce masks.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> bool {
        any(x)
    }
}
fn main() {}
