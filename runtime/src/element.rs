//! Element types: the dtypes an array can hold, behind one trait.

use std::fmt;

/// The dtype of an array element, with the names used in messages and `.npy` headers.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{DType, Element};
/// assert_eq!(f32::DTYPE, DType::F32);
/// assert_eq!(DType::F32.name(), "f32");
/// assert_eq!(DType::I16.npy_descr(), "<i2");
/// assert_eq!(DType::from_npy_descr("<f8"), Some(DType::F64));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte, 0 or 1.
    Bool,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl DType {
    /// Every dtype, in declaration order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::DType;
    /// assert_eq!(DType::ALL.len(), 11);
    /// assert!(DType::ALL.iter().all(|d| DType::from_npy_descr(d.npy_descr()) == Some(*d)));
    /// ```
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// The Rust name of the element type (`"f32"`, `"bool"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::DType::U64.name(), "u64");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Size of one element in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::DType::I16.size(), 2);
    /// ```
    pub const fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// The little-endian NumPy type string (`descr` in a `.npy` header).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::DType::Bool.npy_descr(), "|b1");
    /// ```
    pub const fn npy_descr(self) -> &'static str {
        match self {
            DType::Bool => "|b1",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U8 => "|u1",
            DType::U16 => "<u2",
            DType::U32 => "<u4",
            DType::U64 => "<u8",
            DType::F32 => "<f4",
            DType::F64 => "<f8",
        }
    }

    /// Parses a NumPy type string. Accepts `<`, `|` and `=` byte orders (this crate is
    /// little-endian only); big-endian (`>`) types return `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::DType;
    /// assert_eq!(DType::from_npy_descr("|u1"), Some(DType::U8));
    /// assert_eq!(DType::from_npy_descr(">f4"), None);
    /// ```
    pub fn from_npy_descr(descr: &str) -> Option<DType> {
        let rest = descr.strip_prefix(['<', '|', '='])?;
        DType::ALL.into_iter().find(|d| d.npy_descr().get(1..) == Some(rest))
    }

    /// True for `f32` and `f64`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(array_expr_runtime::DType::F64.is_float());
    /// ```
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A type that can be an array element: one of the [`DType`]s.
///
/// Sealed: the set of dtypes is part of the numerics contract. Every bit pattern of the
/// type's size is valid for all types except `bool` (which `.npy` reading validates).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{DType, Element};
/// fn dtype_of<T: Element>(_: &[T]) -> DType { T::DTYPE }
/// assert_eq!(dtype_of(&[1u8, 2]), DType::U8);
/// ```
pub trait Element: sealed::Sealed + Copy + Default + PartialEq + fmt::Debug + Send + Sync + 'static {
    /// The dtype tag.
    const DTYPE: DType;
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity (`true` for bool).
    const ONE: Self;
    /// Writes the value as little-endian bytes into `out` (`out.len() == DTYPE.size()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Element;
    /// let mut b = [0u8; 2];
    /// 0x0102u16.write_le(&mut b);
    /// assert_eq!(b, [2, 1]);
    /// ```
    fn write_le(self, out: &mut [u8]);
    /// Reads a value from little-endian bytes; `None` when the bytes are not a valid value
    /// (only possible for `bool`) or `bytes` has the wrong length.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Element;
    /// assert_eq!(i16::read_le(&[0xff, 0xff]), Some(-1));
    /// assert_eq!(bool::read_le(&[2]), None);
    /// assert_eq!(f32::read_le(&[0; 3]), None);
    /// ```
    fn read_le(bytes: &[u8]) -> Option<Self>;
}

macro_rules! impl_element_num {
    ($($t:ty => $d:ident, $zero:expr, $one:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Option<Self> {
                Some(<$t>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}

impl_element_num! {
    i8 => I8, 0, 1;
    i16 => I16, 0, 1;
    i32 => I32, 0, 1;
    i64 => I64, 0, 1;
    u8 => U8, 0, 1;
    u16 => U16, 0, 1;
    u32 => U32, 0, 1;
    u64 => U64, 0, 1;
    f32 => F32, 0.0, 1.0;
    f64 => F64, 0.0, 1.0;
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    const ONE: Self = true;
    fn write_le(self, out: &mut [u8]) {
        out.fill(0);
        if let Some(b) = out.first_mut() {
            *b = u8::from(self);
        }
    }
    fn read_le(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descr_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_npy_descr(d.npy_descr()), Some(d));
            assert_eq!(d.npy_descr().len(), 3);
        }
        assert_eq!(DType::from_npy_descr("<c8"), None);
        assert_eq!(DType::from_npy_descr(""), None);
    }

    #[test]
    fn le_bytes() {
        let mut b = [0u8; 4];
        1.5f32.write_le(&mut b);
        assert_eq!(f32::read_le(&b), Some(1.5));
        assert_eq!(bool::read_le(&[2]), None);
        assert_eq!(i16::read_le(&[1]), None);
    }
}
