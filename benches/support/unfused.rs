//! The NumPy-style evaluation: one pass and one freshly allocated full-size temporary per
//! operation (page faults included, as NumPy pays them), broadcasts repeated on the fly. The
//! last operation writes into the caller's output, like a ufunc with `out=`.

/// A temporary `f(a[i])`.
pub(crate) fn map1(a: &[f32], f: impl Fn(f32) -> f32) -> Vec<f32> {
    a.iter().map(|&x| f(x)).collect()
}

/// A temporary `f(a[i], b[i])`.
pub(crate) fn map2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// A temporary `f(a[i, j], v[j])`: `v` broadcast over the rows of `a`.
pub(crate) fn map_rows(a: &[f32], v: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(a.len());
    for row in a.chunks_exact(v.len()) {
        out.extend(row.iter().zip(v).map(|(&x, &y)| f(x, y)));
    }
    out
}

/// A temporary `f(x[i], y[j])` of shape `[x.len(), y.len()]` (`x[:, None] * y`).
pub(crate) fn outer(x: &[f32], y: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len() * y.len());
    for &xi in x {
        out.extend(y.iter().map(|&yj| f(xi, yj)));
    }
    out
}

/// `out[i] = f(a[i], b[i])`: the last operation, into the output.
pub(crate) fn into2(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// `out[i] = f(a[i])`: the last operation, into the output.
pub(crate) fn into1(out: &mut [f32], a: &[f32], f: impl Fn(f32) -> f32) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
}

/// A temporary mask `f(a[i])` (NumPy's bool array).
pub(crate) fn mask1(a: &[f32], f: impl Fn(f32) -> bool) -> Vec<bool> {
    a.iter().map(|&x| f(x)).collect()
}

/// A temporary mask `f(a[i], b[i])`.
pub(crate) fn mask2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> bool) -> Vec<bool> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// `out[i] = if mask[i] { a[i] } else { b[i] }` (`np.where(mask, a, b, out=out)`).
pub(crate) fn select_into(out: &mut [f32], mask: &[bool], a: &[f32], b: &[f32]) {
    for (((o, &m), &x), &y) in out.iter_mut().zip(mask).zip(a).zip(b) {
        *o = if m { x } else { y };
    }
}

/// `out[i] = if mask[i] { a[i] } else { b }` (`np.where(mask, a, 0.0, out=out)`).
pub(crate) fn select_scalar_into(out: &mut [f32], mask: &[bool], a: &[f32], b: f32) {
    for ((o, &m), &x) in out.iter_mut().zip(mask).zip(a) {
        *o = if m { x } else { b };
    }
}

/// A reduced-shape result `f(row)` for every row of length `m` (`np.max(x, axis=1)`).
pub(crate) fn reduce_rows(a: &[f32], m: usize, f: impl Fn(&[f32]) -> f32) -> Vec<f32> {
    a.chunks_exact(m).map(f).collect()
}

/// A temporary `f(a[i, j], v[i])`: `v` (one value per row) broadcast along the rows.
pub(crate) fn map_per_row(a: &[f32], v: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let m = a.len() / v.len();
    let mut out = Vec::with_capacity(a.len());
    for (row, &q) in a.chunks_exact(m).zip(v) {
        out.extend(row.iter().map(|&x| f(x, q)));
    }
    out
}

/// `out[i, j] = f(a[i, j], v[i])`: the last operation, with `v` broadcast along the rows.
pub(crate) fn per_row_into(out: &mut [f32], a: &[f32], v: &[f32], f: impl Fn(f32, f32) -> f32) {
    let m = a.len() / v.len();
    for ((orow, row), &q) in out.chunks_exact_mut(m).zip(a.chunks_exact(m)).zip(v) {
        for (o, &x) in orow.iter_mut().zip(row) {
            *o = f(x, q);
        }
    }
}
