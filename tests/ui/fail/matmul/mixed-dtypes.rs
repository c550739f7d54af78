// Rule: `matmul` operands share a dtype (strict policy).
use array_expr::array_expr;
array_expr! {
    fn f(a: f32[m, k], b: f64[k, n]) -> f64[m, n] {
        matmul(a, b)
    }
}
fn main() {}
