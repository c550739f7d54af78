//! Test data and memory layouts: random values per dtype (edge values included) placed in C,
//! F, permuted, odd-offset, step-sliced, reversed and broadcast (zero-stride) layouts, with the
//! gaps filled by a sentinel so that a read or write outside the view shows up.

use array_expr::{Array, ArrayView, ArrayViewMut, Element};

/// SplitMix64: element `i` of stream `seed`.
pub(crate) fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Element types the runner can generate, place and compare.
pub(crate) trait Gen: Element {
    /// A random value from `r`; `specials` mixes in NaN, infinities, signed zeros, subnormals
    /// and extreme integers.
    fn gen(r: u64, specials: bool) -> Self;
    /// The value written into the gaps of a layout (NaN for floats).
    fn sentinel() -> Self;
    /// Bit-level identity (NaN equals NaN).
    fn same(a: Self, b: Self) -> bool;
}

fn unit(r: u64) -> f64 {
    (r >> 11) as f64 / (1u64 << 53) as f64
}

macro_rules! gen_float {
    ($($t:ident),*) => {$(
        impl Gen for $t {
            fn gen(r: u64, specials: bool) -> Self {
                const SPECIAL: [$t; 8] = [$t::NAN, $t::INFINITY, $t::NEG_INFINITY, 0.0, -0.0,
                    $t::MIN_POSITIVE / 8.0, -$t::MIN_POSITIVE, 1.0e30];
                const ROUND: [$t; 8] = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, -0.0];
                match r % 100 {
                    0..=3 if specials => SPECIAL[(r >> 8) as usize % 8],
                    4..=13 => ROUND[(r >> 8) as usize % 8],
                    _ => (unit(r) * 4.0 - 2.0) as $t,
                }
            }
            fn sentinel() -> Self { $t::NAN }
            fn same(a: Self, b: Self) -> bool { a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) }
        }
    )*};
}
gen_float!(f32, f64);

macro_rules! gen_int {
    ($($t:ident),*) => {$(
        impl Gen for $t {
            #[allow(unused_comparisons)]
            fn gen(r: u64, specials: bool) -> Self {
                let small = if $t::MIN < 0 { ((r >> 8) % 9) as i64 - 4 } else { ((r >> 8) % 9) as i64 };
                match r % 100 {
                    0..=5 if specials => [$t::MIN, $t::MAX, 0, 1][(r >> 8) as usize % 4],
                    6..=30 => (r >> 16) as $t,
                    _ => small as $t,
                }
            }
            fn sentinel() -> Self { 0x5A as $t }
            fn same(a: Self, b: Self) -> bool { a == b }
        }
    )*};
}
gen_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Gen for bool {
    fn gen(r: u64, _: bool) -> Self {
        r & 1 == 1
    }
    fn sentinel() -> Self {
        true
    }
    fn same(a: Self, b: Self) -> bool {
        a == b
    }
}

/// A memory layout for an operand or an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Row-major, packed.
    C,
    /// Column-major, packed.
    F,
    /// Packed in a random axis order (for rank 3 neither C nor F).
    Permuted,
    /// Row-major, starting one element into the buffer (unaligned for SIMD).
    Offset,
    /// Every other element of a larger array along every axis, starting at index 1.
    Strided,
    /// Row-major storage read backwards along every axis (negative strides).
    Reversed,
    /// Axis 0 has stride 0 (one row repeated); the values are constant along axis 0.
    Broadcast,
}

/// Every layout.
pub(crate) const LAYOUTS: [Layout; 7] = [
    Layout::C,
    Layout::F,
    Layout::Permuted,
    Layout::Offset,
    Layout::Strided,
    Layout::Reversed,
    Layout::Broadcast,
];

/// Storage holding the values of `logical` in a layout.
pub(crate) struct Held<T, const D: usize> {
    /// The values, C order, as the reference reads them.
    pub(crate) logical: Array<T, D>,
    data: Vec<T>,
    shape: [usize; D],
    strides: [isize; D],
    offset: usize,
}

/// Packed strides for `shape` with axes laid out slowest-first in `order`; with `gap == 2`
/// the buffer is a C array of shape `2 * len + 1` read from index 1 with step 2 on every axis.
/// Returns (strides, buffer length, offset of the first element).
fn packed(shape: &[usize], order: &[usize], gap: usize) -> (Vec<isize>, usize, usize) {
    let mut strides = vec![0isize; shape.len()];
    let (mut size, mut offset) = (1usize, 0usize);
    for &ax in order.iter().rev() {
        strides[ax] = (size * gap) as isize;
        if gap == 2 {
            offset += size;
            size *= 2 * shape[ax] + 1;
        } else {
            size *= shape[ax];
        }
    }
    (strides, size, offset)
}

impl<T: Gen, const D: usize> Held<T, D> {
    /// Random values of `shape` from `seed`, placed in `layout`.
    pub(crate) fn new(shape: [usize; D], layout: Layout, seed: u64, specials: bool) -> Self {
        let bcast = layout == Layout::Broadcast && D > 0;
        let logical = Array::from_fn(shape, |i| {
            let mut flat = 0u64;
            for ax in usize::from(bcast)..D {
                flat = flat * shape[ax] as u64 + i[ax] as u64;
            }
            T::gen(mix(seed, flat), specials)
        });
        Self::place(logical, layout, seed)
    }

    /// Places given values in `layout` (`Broadcast` needs them constant along axis 0).
    pub(crate) fn place(logical: Array<T, D>, layout: Layout, seed: u64) -> Self {
        let shape = logical.shape();
        let c_order: Vec<usize> = (0..D).collect();
        let (order, gap) = match layout {
            Layout::F => ((0..D).rev().collect(), 1),
            Layout::Permuted => (permutation(D, seed), 1),
            Layout::Strided => (c_order, 2),
            _ => (c_order, 1),
        };
        let (st, mut size, mut offset) = packed(&shape, &order, gap);
        let mut strides = [0isize; D];
        strides.copy_from_slice(&st);
        let len: usize = shape.iter().product();
        match layout {
            Layout::Offset => {
                offset = 1;
                size += 1;
            }
            Layout::Reversed => {
                strides.iter_mut().for_each(|s| *s = -*s);
                offset = len.saturating_sub(1);
            }
            Layout::Broadcast if D > 0 => {
                strides[0] = 0;
                size = shape[1..].iter().product();
            }
            _ => {}
        }
        let mut data = vec![T::sentinel(); size.max(offset + 1)];
        for_each_index(shape, |i| {
            data[at(offset, &strides, &i)] = logical[i];
        });
        Held { logical, data, shape, strides, offset }
    }

    /// The operand view.
    pub(crate) fn view(&self) -> ArrayView<'_, T, D> {
        ArrayView::from_shape_strides(&self.data, self.shape, self.strides, self.offset)
            .expect("valid layout")
    }

    /// A mutable view (not for `Broadcast`).
    pub(crate) fn view_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        ArrayViewMut::from_shape_strides(&mut self.data, self.shape, self.strides, self.offset)
            .expect("valid layout")
    }

    /// The values as the view shows them now, C order.
    pub(crate) fn current(&self) -> Array<T, D> {
        self.view().to_owned()
    }

    /// Whether every element outside the view still holds the sentinel.
    pub(crate) fn gaps_untouched(&self) -> bool {
        let mut inside = vec![false; self.data.len()];
        for_each_index(self.shape, |i| inside[at(self.offset, &self.strides, &i)] = true);
        self.data.iter().zip(&inside).all(|(v, &ins)| ins || T::same(*v, T::sentinel()))
    }
}

fn at<const D: usize>(offset: usize, strides: &[isize; D], i: &[usize; D]) -> usize {
    let off: isize = (0..D).map(|k| strides[k] * i[k] as isize).sum();
    (offset as isize + off) as usize
}

fn permutation(d: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..d).collect();
    for k in (1..d).rev() {
        p.swap(k, (mix(seed, 99 + k as u64) % (k as u64 + 1)) as usize);
    }
    p
}

/// Calls `f` with every index of `shape` in C order.
pub(crate) fn for_each_index<const D: usize>(shape: [usize; D], mut f: impl FnMut([usize; D])) {
    let len: usize = shape.iter().product();
    let mut idx = [0usize; D];
    for _ in 0..len {
        f(idx);
        for ax in (0..D).rev() {
            idx[ax] += 1;
            if idx[ax] < shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
}
