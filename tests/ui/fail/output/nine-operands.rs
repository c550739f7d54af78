use array_expr::array_expr;

array_expr! {
    fn wide_sum(a: f32[n], b: f32[n], c: f32[n], d: f32[n], e: f32[n], f: f32[n], g: f32[n], h: f32[n], i: f32[n]) -> f32[n] {
        a + b + c + d + e + f + g + h + i
    }
}

fn main() {}
