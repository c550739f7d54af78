// Rule: an in-place update must not read its target through a view (NumPy's `x += x.T` bug).
use array_expr::array_expr;
array_expr! {
    fn f(mut x: f32[n, n]) {
        x += x.T
    }
}
fn main() {}
