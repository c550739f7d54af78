//! [`Geometry`]: shape and strides of a view, and the view operations on them (slice, index,
//! transpose, broadcast, reshape), each returning the new geometry and its origin offset.

use super::{checked_len, contiguous_strides, Order, Slice};
use crate::error::{bail, Result};

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

    /// A geometry moved by `delta` elements (none when it is empty).
    ///
    /// Offsets and strides are computed wrapping: they can only overflow for an empty view
    /// (an axis of length 0 elsewhere, whose other strides are unconstrained), whose offset is
    /// then dropped here and whose strides address nothing; a view with elements has every
    /// offset inside its buffer.
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
                delta = delta.wrapping_add((start as isize).wrapping_mul(*stride));
            }
            *n = count;
            if count > 1 {
                *stride = stride.wrapping_mul(s.step);
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
        Ok(Self::moved(g, (index as isize).wrapping_mul(stride)))
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
        g.set(axis, n, stride.wrapping_neg());
        let delta = if n > 0 { ((n - 1) as isize).wrapping_mul(stride) } else { 0 };
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
        Ok((a, Self::moved(b, (index as isize).wrapping_mul(stride))))
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
