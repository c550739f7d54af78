//! Layouts: element strides, contiguity, and the geometry of view operations.
//!
//! Every operation here works on a shape and signed element strides only and returns the new
//! shape, strides and the element offset of the new view's first element relative to the old one.
//! The views in [`crate::view`] apply that offset to their pointer. Each function guarantees:
//! when the result is non-empty, every index of the result addresses an element that the input
//! addressed; when it is empty, the offset is 0. That is the invariant the views rely on.

mod geometry;
mod slice;

pub(crate) use geometry::{Geometry, Moved};
pub use slice::Slice;

use crate::error::{bail, err, Result};

/// Memory order of a contiguous array: C (last axis fastest) or F (first axis fastest).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Order};
/// let a = Array::<i32, 2>::from_shape_vec_order([2, 3], vec![1, 2, 3, 4, 5, 6], Order::F)?;
/// assert_eq!(a.strides(), [1, 2]);
/// assert_eq!(a.to_vec(), vec![1, 3, 5, 2, 4, 6]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Row-major: the last axis has stride 1.
    #[default]
    C,
    /// Column-major: the first axis has stride 1.
    F,
}

/// Number of elements of `shape`, or an error naming `what` when the product overflows or the
/// byte size of `elem_size`-byte elements exceeds `isize::MAX`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::layout::checked_len;
/// assert_eq!(checked_len("x", &[2, 3, 4], 4)?, 24);
/// assert!(checked_len("x", &[usize::MAX, 2], 1).is_err());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the element count or byte size
/// does not fit.
pub fn checked_len(what: &str, shape: &[usize], elem_size: usize) -> Result<usize> {
    let mut n: usize = 1;
    for &d in shape {
        n = n
            .checked_mul(d)
            .ok_or_else(|| err!(Overflow, "{what}: shape {shape:?} has more elements than fit in usize"))?;
    }
    let bytes = n.checked_mul(elem_size.max(1));
    match bytes {
        Some(b) if b <= isize::MAX as usize => Ok(n),
        _ => bail!(
            Overflow,
            "{what}: shape {shape:?} needs more than isize::MAX bytes ({elem_size} bytes per element)"
        ),
    }
}

/// Strides of a contiguous array of `shape` in `order`. The caller checked the size with
/// [`checked_len`], so no product overflows.
pub(crate) fn contiguous_strides<const D: usize>(shape: [usize; D], order: Order) -> [isize; D] {
    let mut strides = [0isize; D];
    let mut acc: isize = 1;
    let mut step = |(st, &n): (&mut isize, &usize)| {
        *st = acc;
        acc = acc.wrapping_mul(n.max(1) as isize);
    };
    match order {
        Order::C => strides.iter_mut().zip(&shape).rev().for_each(&mut step),
        Order::F => strides.iter_mut().zip(&shape).for_each(&mut step),
    }
    strides
}

/// Offsets (in elements, relative to the first element) of the lowest and highest element a
/// layout reaches; `None` for an empty layout. Errors when an offset does not fit in `isize`.
pub(crate) fn offset_span(shape: &[usize], strides: &[isize]) -> Result<Option<(isize, isize)>> {
    if shape.contains(&0) {
        return Ok(None);
    }
    let (mut lo, mut hi) = (0isize, 0isize);
    for (axis, (&n, &s)) in shape.iter().zip(strides).enumerate() {
        let reach = isize::try_from(n - 1)
            .ok()
            .and_then(|m| m.checked_mul(s))
            .ok_or_else(|| err!(Overflow, "axis {axis}: size {n} times stride {s} overflows isize"))?;
        let (l, h) =
            if reach < 0 { (lo.checked_add(reach), Some(hi)) } else { (Some(lo), hi.checked_add(reach)) };
        match (l, h) {
            (Some(l), Some(h)) => (lo, hi) = (l, h),
            _ => bail!(Overflow, "shape {shape:?} with strides {strides:?} spans more than isize"),
        }
    }
    Ok(Some((lo, hi)))
}

/// True when distinct indices always address distinct elements. A sufficient test: sorting the
/// axes of size > 1 by |stride|, each stride is larger than the span of all smaller axes.
pub(crate) fn is_non_overlapping(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut axes: Vec<(usize, usize)> =
        shape.iter().zip(strides).filter(|(&n, _)| n > 1).map(|(&n, &s)| (s.unsigned_abs(), n)).collect();
    axes.sort_unstable();
    let mut span: usize = 0;
    for (s, n) in axes {
        if s <= span {
            return false;
        }
        span = match s.checked_mul(n - 1).and_then(|r| r.checked_add(span)) {
            Some(v) => v,
            None => return false,
        };
    }
    true
}

/// C-contiguous: the elements are packed in row-major order with positive strides (axes of
/// size 1 may have any stride; empty layouts count as contiguous).
pub(crate) fn is_c_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    is_packed(shape.iter().zip(strides).rev())
}

/// F-contiguous: like [`is_c_contiguous`] in column-major order.
pub(crate) fn is_f_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    is_packed(shape.iter().zip(strides))
}

fn is_packed<'s>(mut axes_fast_first: impl Iterator<Item = (&'s usize, &'s isize)> + Clone) -> bool {
    if axes_fast_first.clone().any(|(&n, _)| n == 0) {
        return true;
    }
    let mut expect: isize = 1;
    axes_fast_first.all(|(&n, &s)| {
        if n == 1 {
            return true;
        }
        let ok = s == expect;
        expect = expect.wrapping_mul(n as isize);
        ok
    })
}

/// Shape, strides and flags of an array or view, in the spirit of NumPy's `ndarray.flags`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::Array;
/// let a = Array::<f32, 2>::zeros([3, 4]);
/// let r = a.t().layout_report();
/// assert!(!r.c_contiguous && r.f_contiguous);
/// assert!(r.c_copy_needed && !r.f_copy_needed);
/// println!("{r}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutReport {
    /// Axis lengths.
    pub shape: Vec<usize>,
    /// Strides in elements.
    pub strides: Vec<isize>,
    /// Strides in bytes (as NumPy reports them).
    pub byte_strides: Vec<isize>,
    /// Packed in row-major order.
    pub c_contiguous: bool,
    /// Packed in column-major order.
    pub f_contiguous: bool,
    /// An owned array (`true`) or a view (`false`).
    pub owns_data: bool,
    /// Some axis of length > 1 has stride 0 (a broadcast view: read-only).
    pub broadcast: bool,
    /// Some axis has a negative stride.
    pub reversed: bool,
    /// A C-order consumer would have to copy it.
    pub c_copy_needed: bool,
    /// An F-order consumer would have to copy it.
    pub f_copy_needed: bool,
}

impl LayoutReport {
    pub(crate) fn new(shape: &[usize], strides: &[isize], elem_size: usize, owns_data: bool) -> Self {
        let c = is_c_contiguous(shape, strides);
        let f = is_f_contiguous(shape, strides);
        LayoutReport {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            byte_strides: strides.iter().map(|&s| s.saturating_mul(elem_size as isize)).collect(),
            c_contiguous: c,
            f_contiguous: f,
            owns_data,
            broadcast: shape.iter().zip(strides).any(|(&n, &s)| n > 1 && s == 0),
            reversed: shape.iter().zip(strides).any(|(&n, &s)| n > 1 && s < 0),
            c_copy_needed: !c,
            f_copy_needed: !f,
        }
    }
}

impl std::fmt::Display for LayoutReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let yn = |b: bool| if b { "True" } else { "False" };
        writeln!(f, "  shape          : {:?}", self.shape)?;
        writeln!(f, "  strides        : {:?} elements, {:?} bytes", self.strides, self.byte_strides)?;
        writeln!(f, "  C_CONTIGUOUS   : {}", yn(self.c_contiguous))?;
        writeln!(f, "  F_CONTIGUOUS   : {}", yn(self.f_contiguous))?;
        writeln!(f, "  OWNDATA        : {}", yn(self.owns_data))?;
        writeln!(f, "  BROADCAST      : {}", yn(self.broadcast))?;
        writeln!(f, "  REVERSED       : {}", yn(self.reversed))?;
        writeln!(f, "  C copy needed  : {}", yn(self.c_copy_needed))?;
        write!(f, "  F copy needed  : {}", yn(self.f_copy_needed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_resolve_matches_python() {
        let r = |s: Slice, n| s.resolve(0, n).unwrap();
        assert_eq!(r(Slice::full(), 5), (0, 5));
        assert_eq!(r(Slice::full().step_by(-1), 5), (4, 5));
        assert_eq!(r(Slice::from(1..4).step_by(2), 5), (1, 2));
        assert_eq!(r(Slice::from(-2..), 5), (3, 2));
        assert_eq!(r(Slice::new(Some(3), Some(1), -1), 5), (3, 2));
        assert_eq!(r(Slice::from(10..20), 5).1, 0);
        assert_eq!(r(Slice::new(Some(-100), Some(100), -3), 5).1, 0);
        assert_eq!(r(Slice::new(Some(100), Some(-100), -3), 5), (4, 2));
        assert_eq!(r(Slice::full(), 0), (0, 0));
        assert!(Slice::full().step_by(0).resolve(0, 3).is_err());
    }

    #[test]
    fn contiguity_flags() {
        assert!(is_c_contiguous(&[2, 3], &[3, 1]));
        assert!(!is_c_contiguous(&[2, 3], &[1, 2]));
        assert!(is_f_contiguous(&[2, 3], &[1, 2]));
        assert!(is_c_contiguous(&[1, 3], &[99, 1]));
        assert!(is_c_contiguous(&[0, 3], &[5, 7]));
        assert!(!is_c_contiguous(&[3], &[-1]));
    }

    #[test]
    fn overlap() {
        assert!(is_non_overlapping(&[2, 3], &[3, 1]));
        assert!(!is_non_overlapping(&[2, 3], &[1, 1]));
        assert!(!is_non_overlapping(&[2, 3], &[0, 1]));
        assert!(is_non_overlapping(&[1, 3], &[0, 1]));
        assert!(is_non_overlapping(&[2, 3], &[-3, 2 * 3 + 1]));
    }

    #[test]
    fn reshape_views() {
        let g = Geometry { shape: [2, 3, 4], strides: [12, 4, 1] };
        assert_eq!(g.reshape([6, 4], Order::C).unwrap().strides, [4, 1]);
        assert_eq!(g.reshape([24], Order::C).unwrap().strides, [1]);
        assert!(g.reshape([24], Order::F).is_err());
        let t = g.reversed();
        assert_eq!(t.reshape([4, 6], Order::F).unwrap().strides, [1, 4]);
        assert!(t.reshape([4, 6], Order::C).is_err());
        let g = Geometry { shape: [4, 6], strides: [12, 2] };
        assert_eq!(g.reshape([2, 2, 3, 2], Order::C).unwrap().strides, [24, 12, 4, 2]);
        assert_eq!(g.reshape([1, 4, 6, 1], Order::C).unwrap().strides[1..3], [12, 2]);
        assert_eq!(g.reshape([24], Order::C).unwrap().strides, [2]);
        assert!(g.reshape([5, 5], Order::C).is_err());
        let g = Geometry { shape: [4, 6], strides: [13, 2] };
        assert!(g.reshape([24], Order::C).is_err());
        assert_eq!(g.reshape([4, 3, 2], Order::C).unwrap().strides, [13, 4, 2]);
    }

    #[test]
    fn spans() {
        assert_eq!(offset_span(&[2, 3], &[3, -1]).unwrap(), Some((-2, 3)));
        assert_eq!(offset_span(&[0, 3], &[3, 1]).unwrap(), None);
        assert!(offset_span(&[usize::MAX, 2], &[2, 1]).is_err());
    }
}
