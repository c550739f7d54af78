//! The hand-written fused loops over slices: what a careful Rust user writes without the macro.
//! Plain iterator loops (LLVM auto-vectorizes the elementwise ones), `std` scalar math, `f64`
//! accumulators where the kernel's contract uses them.

/// `a = b + s c`.
pub(crate) fn triad(a: &mut [f32], b: &[f32], c: &[f32], s: f32) {
    for ((a, &b), &c) in a.iter_mut().zip(b).zip(c) {
        *a = b + s * c;
    }
}

/// The allocating form of [`triad`]: a fresh `Vec` per call.
pub(crate) fn triad_alloc(b: &[f32], c: &[f32], s: f32) -> Vec<f32> {
    b.iter().zip(c).map(|(&b, &c)| b + s * c).collect()
}

/// `y = x w + b` (rows of x, w and b broadcast over rows), then leaky ReLU.
pub(crate) fn affine_leaky(out: &mut [f32], x: &[f32], w: &[f32], b: &[f32]) {
    let m = w.len();
    for (orow, xrow) in out.chunks_exact_mut(m).zip(x.chunks_exact(m)) {
        for (((o, &x), &w), &b) in orow.iter_mut().zip(xrow).zip(w).zip(b) {
            let y = x * w + b;
            *o = if y > 0.0 { y } else { 0.01 * y };
        }
    }
}

/// `out[i, j] = x[i] y[j] + b[j]`.
pub(crate) fn outer_bias(out: &mut [f32], x: &[f32], y: &[f32], b: &[f32]) {
    for (orow, &xi) in out.chunks_exact_mut(y.len()).zip(x) {
        for ((o, &yj), &bj) in orow.iter_mut().zip(y).zip(b) {
            *o = xi * yj + bj;
        }
    }
}

/// `where(x > y, clip(x - y, -0.5, 0.5), 0)`.
pub(crate) fn where_clip(out: &mut [f32], x: &[f32], y: &[f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
        *o = if x > y { (x - y).clamp(-0.5, 0.5) } else { 0.0 };
    }
}

/// `x as f32 * 0.5 + 1`.
pub(crate) fn cast_i32(out: &mut [f32], x: &[i32]) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = x as f32 * 0.5 + 1.0;
    }
}

/// `(a 3 - b) / 2 + |a|` over i32.
pub(crate) fn int_mix(out: &mut [i32], a: &[i32], b: &[i32]) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = (a * 3 - b) / 2 + a.abs();
    }
}

/// `exp(x) sqrt(x) log1p(x)` with `std`'s scalar functions.
pub(crate) fn chain(out: &mut [f32], x: &[f32]) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = x.exp() * x.sqrt() * x.ln_1p();
    }
}

/// Softmax of every row of length `m`: max, exp and sum, scale (three passes over an L1 row).
pub(crate) fn softmax_rows(out: &mut [f32], x: &[f32], m: usize) {
    for (orow, xrow) in out.chunks_exact_mut(m).zip(x.chunks_exact(m)) {
        let max = xrow.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f64;
        for (o, &x) in orow.iter_mut().zip(xrow) {
            *o = (x - max).exp();
            sum += *o as f64;
        }
        let inv = 1.0 / sum as f32;
        orow.iter_mut().for_each(|o| *o *= inv);
    }
}

/// `sum((x - y)^2)` with an `f64` accumulator.
pub(crate) fn ssd(x: &[f32], y: &[f32]) -> f64 {
    x.iter().zip(y).map(|(&x, &y)| ((x - y) * (x - y)) as f64).sum()
}

/// Sum of every row of length `m`, `f64` accumulator.
pub(crate) fn row_sums(out: &mut [f32], x: &[f32], m: usize) {
    for (o, row) in out.iter_mut().zip(x.chunks_exact(m)) {
        *o = row.iter().map(|&v| v as f64).sum::<f64>() as f32;
    }
}

/// Sum of every column (rows of length `acc.len()`), `f64` accumulators, row by row.
pub(crate) fn col_sums(out: &mut [f32], acc: &mut [f64], x: &[f32]) {
    acc.fill(0.0);
    for row in x.chunks_exact(acc.len()) {
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    for (o, &a) in out.iter_mut().zip(acc.iter()) {
        *o = a as f32;
    }
}

/// `out = a + b.T` for C-order `a: [n, m]`, `b: [m, n]`, the straightforward double loop.
pub(crate) fn add_transposed(out: &mut [f32], a: &[f32], b: &[f32], n: usize) {
    let m = a.len() / n;
    for i in 0..n {
        for j in 0..m {
            out[i * m + j] = a[i * m + j] + b[j * n + i];
        }
    }
}

/// `out = b[::2] + s c`.
pub(crate) fn triad_every_other(out: &mut [f32], b2: &[f32], c: &[f32], s: f32) {
    for ((o, &b), &c) in out.iter_mut().zip(b2.iter().step_by(2)).zip(c) {
        *o = b + s * c;
    }
}

/// `out = max(out + b, 0)` over rows of `b.len()`: a GEMM epilogue in place.
pub(crate) fn bias_relu_in_place(out: &mut [f32], b: &[f32]) {
    for row in out.chunks_exact_mut(b.len()) {
        for (o, &b) in row.iter_mut().zip(b) {
            *o = (*o + b).max(0.0);
        }
    }
}
