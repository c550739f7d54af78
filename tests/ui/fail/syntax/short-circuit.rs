// Rule: `&&`/`||` are not array operators; masks combine with `&`/`|`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> bool[n] {
        x > 0.0 && x < 1.0
    }
}
fn main() {}
