//! Layouts: element strides, contiguity, and the geometry of view operations.
//!
//! Every operation here works on a shape and signed element strides only and returns the new
//! shape, strides and the element offset of the new view's first element relative to the old one.
//! The views in [`crate::view`] apply that offset to their pointer. Each function guarantees:
//! when the result is non-empty, every index of the result addresses an element that the input
//! addressed; when it is empty, the offset is 0. That is the invariant the views rely on.

use crate::error::{bail, err, Result};
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

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

/// One axis of a slicing request, with Python semantics: `start..end` by `step`, negative
/// `start`/`end` count from the end, and a negative `step` walks backwards.
///
/// `None` bounds mean "from the beginning" / "to the end" in the direction of `step`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Slice};
/// let a = Array::<i32, 1>::arange(0, 10, 1)?;
/// assert_eq!(a.view().slice([Slice::from(1..8).step_by(3)])?.to_vec(), vec![1, 4, 7]);
/// assert_eq!(a.view().slice([Slice::full().step_by(-4)])?.to_vec(), vec![9, 5, 1]);
/// assert_eq!(a.view().slice([Slice::from(-3..)])?.to_vec(), vec![7, 8, 9]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First index (inclusive); negative counts from the end.
    pub start: Option<isize>,
    /// Last index (exclusive); negative counts from the end.
    pub end: Option<isize>,
    /// Step; must not be 0.
    pub step: isize,
}

impl Slice {
    /// The whole axis, `..`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Slice::full().step, 1);
    /// ```
    pub const fn full() -> Slice {
        Slice { start: None, end: None, step: 1 }
    }

    /// A slice with explicit parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Slice;
    /// assert_eq!(Slice::new(Some(1), None, 2), Slice::from(1..).step_by(2));
    /// ```
    pub const fn new(start: Option<isize>, end: Option<isize>, step: isize) -> Slice {
        Slice { start, end, step }
    }

    /// The same range with another step.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Slice::from(..4).step_by(2).step, 2);
    /// ```
    pub const fn step_by(self, step: isize) -> Slice {
        Slice { step, ..self }
    }

    /// Resolves against an axis of length `len`: (first index, count). Python's `slice.indices`.
    pub(crate) fn resolve(&self, axis: usize, len: usize) -> Result<(usize, usize)> {
        if self.step == 0 {
            bail!(InvalidArgument, "axis {axis}: slice step must not be 0");
        }
        let n =
            isize::try_from(len).map_err(|_| err!(Overflow, "axis {axis}: length {len} exceeds isize"))?;
        let clamp = |v: isize, lo: isize, hi: isize| v.clamp(lo, hi);
        let norm = |v: isize| if v < 0 { v.saturating_add(n) } else { v };
        let (start, end) = if self.step > 0 {
            (self.start.map_or(0, |s| clamp(norm(s), 0, n)), self.end.map_or(n, |e| clamp(norm(e), 0, n)))
        } else {
            (
                self.start.map_or(n - 1, |s| clamp(norm(s), -1, n - 1)),
                self.end.map_or(-1, |e| clamp(norm(e), -1, n - 1)),
            )
        };
        let step = self.step;
        let count = if step > 0 && end > start {
            (end - start - 1) / step + 1
        } else if step < 0 && start > end {
            (start - end - 1) / step.saturating_neg().max(1) + 1
        } else {
            0
        };
        Ok((start.max(0) as usize, count as usize))
    }
}

macro_rules! slice_from_ranges {
    ($($t:ty),*) => {$(
        impl From<Range<$t>> for Slice {
            fn from(r: Range<$t>) -> Slice { Slice::new(Some(r.start as isize), Some(r.end as isize), 1) }
        }
        impl From<RangeFrom<$t>> for Slice {
            fn from(r: RangeFrom<$t>) -> Slice { Slice::new(Some(r.start as isize), None, 1) }
        }
        impl From<RangeTo<$t>> for Slice {
            fn from(r: RangeTo<$t>) -> Slice { Slice::new(None, Some(r.end as isize), 1) }
        }
        impl From<RangeInclusive<$t>> for Slice {
            fn from(r: RangeInclusive<$t>) -> Slice {
                let end = (*r.end() as isize).checked_add(1);
                Slice::new(Some(*r.start() as isize), if end == Some(0) { None } else { end }, 1)
            }
        }
        impl From<RangeToInclusive<$t>> for Slice {
            fn from(r: RangeToInclusive<$t>) -> Slice {
                let end = (r.end as isize).checked_add(1);
                Slice::new(None, if end == Some(0) { None } else { end }, 1)
            }
        }
    )*};
}
slice_from_ranges!(i32, i64, isize, usize);

impl From<RangeFull> for Slice {
    fn from(_: RangeFull) -> Slice {
        Slice::full()
    }
}

/// Shape and strides of a view; the geometry operations below return a new one plus the
/// element offset of its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry<const D: usize> {
    pub(crate) shape: [usize; D],
    pub(crate) strides: [isize; D],
}

/// A geometry and the element offset of its first element relative to the source's.
pub(crate) type Moved<const E: usize> = (Geometry<E>, isize);

impl<const D: usize> Geometry<D> {
    pub(crate) fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    fn moved<const E: usize>(g: Geometry<E>, delta: isize) -> Moved<E> {
        let delta = if g.is_empty() { 0 } else { delta };
        (g, delta)
    }

    /// Length and stride of `axis`, or the out-of-range error for operation `op`.
    fn axis(&self, op: &str, axis: usize) -> Result<(usize, isize)> {
        match (self.shape.get(axis), self.strides.get(axis)) {
            (Some(&n), Some(&s)) => Ok((n, s)),
            _ => bail!(OutOfBounds, "{op}: axis {axis} is out of range for an array of rank {D}"),
        }
    }

    /// Sets the length and stride of `axis` (an axis already checked by [`Self::axis`]).
    fn set(&mut self, axis: usize, n: usize, stride: isize) {
        if let (Some(dn), Some(ds)) = (self.shape.get_mut(axis), self.strides.get_mut(axis)) {
            (*dn, *ds) = (n, stride);
        }
    }

    /// The (length, stride) pairs of every axis, mutably.
    fn axes_mut(&mut self) -> impl DoubleEndedIterator<Item = (&mut usize, &mut isize)> {
        self.shape.iter_mut().zip(self.strides.iter_mut())
    }

    /// The (length, stride) pairs of every axis.
    fn axes(&self) -> impl DoubleEndedIterator<Item = (usize, isize)> + Clone + '_ {
        self.shape.iter().copied().zip(self.strides.iter().copied())
    }

    pub(crate) fn slice(&self, spec: &[Slice; D]) -> Result<Moved<D>> {
        let mut g = *self;
        let mut delta: isize = 0;
        for (axis, (s, (n, stride))) in spec.iter().zip(g.axes_mut()).enumerate() {
            let (start, count) = s.resolve(axis, *n)?;
            if count > 0 {
                delta += start as isize * *stride;
            }
            *n = count;
            if count > 1 {
                *stride *= s.step;
            }
        }
        Ok(Self::moved(g, delta))
    }

    pub(crate) fn index_axis<const E: usize>(&self, axis: usize, index: usize) -> Result<Moved<E>> {
        const { assert!(E + 1 == D, "index_axis removes one axis: the result rank must be D - 1") };
        let (n, stride) = self.axis("index_axis", axis)?;
        if index >= n {
            bail!(OutOfBounds, "index_axis: index {index} is out of bounds for axis {axis} with size {n}");
        }
        let mut g = Geometry { shape: [0; E], strides: [0; E] };
        let kept = self.axes().enumerate().filter(|&(a, _)| a != axis);
        for ((dn, ds), (_, (n, s))) in g.axes_mut().zip(kept) {
            (*dn, *ds) = (n, s);
        }
        Ok(Self::moved(g, index as isize * stride))
    }

    pub(crate) fn insert_axis<const E: usize>(&self, axis: usize) -> Result<Geometry<E>> {
        const { assert!(E == D + 1, "insert_axis adds one axis: the result rank must be D + 1") };
        if axis > D {
            bail!(OutOfBounds, "insert_axis: axis {axis} is out of range for a result of rank {E}");
        }
        let mut g = Geometry { shape: [1; E], strides: [0; E] };
        let targets = g.axes_mut().enumerate().filter(|(a, _)| *a != axis);
        for ((_, (dn, ds)), (n, s)) in targets.zip(self.axes()) {
            (*dn, *ds) = (n, s);
        }
        Ok(g)
    }

    pub(crate) fn permute(&self, perm: [usize; D]) -> Result<Geometry<D>> {
        let mut seen = [false; D];
        let mut g = *self;
        for ((dn, ds), &p) in g.axes_mut().zip(&perm) {
            let fresh = seen.get_mut(p).is_some_and(|s| !std::mem::replace(s, true));
            match (fresh, self.axis("permute_axes", p)) {
                (true, Ok((n, s))) => (*dn, *ds) = (n, s),
                _ => bail!(InvalidArgument, "permute_axes: {perm:?} is not a permutation of the {D} axes"),
            }
        }
        Ok(g)
    }

    /// Axis `k` of the result is axis `map[k]` of `self`, or a new length-1 axis for `None`.
    /// Every axis of `self` of length > 1 must appear exactly once.
    pub(crate) fn remap<const E: usize>(&self, map: [Option<usize>; E]) -> Result<Geometry<E>> {
        let mut g = Geometry { shape: [1; E], strides: [0; E] };
        let mut seen = [false; D];
        for ((dn, ds), m) in g.axes_mut().zip(&map) {
            let Some(a) = *m else { continue };
            let fresh = seen.get_mut(a).is_some_and(|s| !std::mem::replace(s, true));
            match (fresh, self.axis("remap_axes", a)) {
                (true, Ok((n, s))) => (*dn, *ds) = (n, s),
                _ => bail!(InvalidArgument, "remap_axes: {map:?} does not use each of the {D} axes once"),
            }
        }
        let dropped = self.shape.iter().zip(&seen).enumerate().find(|(_, (&n, &s))| !s && n != 1);
        if let Some((a, (n, _))) = dropped {
            bail!(InvalidArgument, "remap_axes: {map:?} drops axis {a} of length {n}");
        }
        Ok(g)
    }

    pub(crate) fn reversed(&self) -> Geometry<D> {
        let mut g = *self;
        g.shape.reverse();
        g.strides.reverse();
        g
    }

    pub(crate) fn invert_axis(&self, axis: usize) -> Result<Moved<D>> {
        let (n, stride) = self.axis("invert_axis", axis)?;
        let mut g = *self;
        g.set(axis, n, -stride);
        let delta = if n > 0 { (n - 1) as isize * stride } else { 0 };
        Ok(Self::moved(g, delta))
    }

    pub(crate) fn split_at(&self, axis: usize, index: usize) -> Result<(Geometry<D>, Moved<D>)> {
        let (n, stride) = self.axis("split_at", axis)?;
        if index > n {
            bail!(OutOfBounds, "split_at: index {index} is past the end of axis {axis} with size {n}");
        }
        let (mut a, mut b) = (*self, *self);
        a.set(axis, index, stride);
        b.set(axis, n - index, stride);
        Ok((a, Self::moved(b, index as isize * stride)))
    }

    pub(crate) fn broadcast_to<const E: usize>(&self, target: [usize; E]) -> Result<Geometry<E>> {
        if E < D {
            bail!(
                Broadcast,
                "cannot broadcast shape {:?} to {target:?}: the target has fewer axes",
                self.shape
            );
        }
        let mut g = Geometry { shape: target, strides: [0; E] };
        let trailing = g.axes_mut().skip(E - D);
        for (k, ((n, stride), (&mut want, st))) in self.axes().zip(trailing).enumerate() {
            let t = E - D + k;
            *st = match (n == want, n == 1) {
                (true, _) => stride,
                (false, true) => 0,
                (false, false) => bail!(
                    Broadcast,
                    "cannot broadcast shape {:?} to {target:?}: axis {k} has size {n}, target axis {t} has size {want}",
                    self.shape
                ),
            };
        }
        Ok(g)
    }

    /// Reshape without copying, reading elements in `order`. Errors when the sizes differ or the
    /// strides cannot express the new shape.
    pub(crate) fn reshape<const E: usize>(&self, shape: [usize; E], order: Order) -> Result<Geometry<E>> {
        let old = checked_len("reshape", &self.shape, 1)?;
        let new = checked_len("reshape", &shape, 1)?;
        if old != new {
            bail!(
                Reshape,
                "cannot reshape {:?} ({old} elements) into {shape:?} ({new} elements)",
                self.shape
            );
        }
        if new == 0 {
            return Ok(Geometry { shape, strides: contiguous_strides(shape, order) });
        }
        let strides = match order {
            Order::C => reshape_c(&self.shape, &self.strides, &shape),
            Order::F => {
                let (mut os, mut ost, mut ns) = (self.shape, self.strides, shape);
                os.reverse();
                ost.reverse();
                ns.reverse();
                reshape_c(&os, &ost, &ns).map(|mut s| {
                    s.reverse();
                    s
                })
            }
        };
        match strides {
            Some(strides) => Ok(Geometry { shape, strides }),
            None => bail!(
                Reshape,
                "cannot reshape {:?} with strides {:?} into {shape:?} in {order:?} order without a copy; \
                 normalize the layout first (to_c_contiguous / to_f_contiguous)",
                self.shape,
                self.strides
            ),
        }
    }
}

/// Strides for reading `old` (non-empty, same element count) in C order as `new`, or `None`
/// when some group of old axes that must merge is not contiguous.
fn reshape_c<const E: usize>(
    old_shape: &[usize],
    old_strides: &[isize],
    new: &[usize; E],
) -> Option<[isize; E]> {
    // a fixed array, not a Vec: reshaping a view never allocates (ranks above 32 do not
    // reshape as views)
    let mut buf = [(0usize, 0isize); 32];
    let mut len = 0;
    for (&n, &st) in old_shape.iter().zip(old_strides).filter(|(&n, _)| n != 1) {
        *buf.get_mut(len)? = (n, st);
        len += 1;
    }
    let old = buf.get(..len)?;
    let mut out = [0isize; E];
    let (mut oi, mut ni) = (0usize, 0usize);
    while oi < old.len() && ni < E {
        let (mut np, mut op) = (*new.get(ni)?, old.get(oi)?.0);
        let (mut nj, mut oj) = (ni + 1, oi + 1);
        while np != op {
            if np < op {
                np = np.checked_mul(*new.get(nj)?)?;
                nj += 1;
            } else {
                op = op.checked_mul(old.get(oj)?.0)?;
                oj += 1;
            }
        }
        for k in oi..oj - 1 {
            let (_, s) = *old.get(k)?;
            let (n1, s1) = *old.get(k + 1)?;
            if s != s1.checked_mul(n1 as isize)? {
                return None;
            }
        }
        *out.get_mut(nj - 1)? = old.get(oj - 1)?.1;
        for k in (ni + 1..nj).rev() {
            let next = out.get(k)?.checked_mul(*new.get(k)? as isize)?;
            *out.get_mut(k - 1)? = next;
        }
        ni = nj;
        oi = oj;
    }
    Some(out)
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
