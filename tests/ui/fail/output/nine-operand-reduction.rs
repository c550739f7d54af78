use array_expr::array_expr;

array_expr! {
    fn wide_total(a: f64[n], b: f64[n], c: f64[n], d: f64[n], e: f64[n], f: f64[n], g: f64[n], h: f64[n], i: f64[n]) -> f64 {
        sum(a * b * c * d * e * f * g * h * i)
    }
}

fn main() {}
