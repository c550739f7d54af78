//! Dtypes as the macro sees them, and the strict / safe promotion policies.

use std::fmt;

/// An element type of the DSL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dtype {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
}

impl Dtype {
    pub(crate) const ALL: [Dtype; 11] = [
        Dtype::Bool,
        Dtype::I8,
        Dtype::I16,
        Dtype::I32,
        Dtype::I64,
        Dtype::U8,
        Dtype::U16,
        Dtype::U32,
        Dtype::U64,
        Dtype::F32,
        Dtype::F64,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "bool",
            Dtype::I8 => "i8",
            Dtype::I16 => "i16",
            Dtype::I32 => "i32",
            Dtype::I64 => "i64",
            Dtype::U8 => "u8",
            Dtype::U16 => "u16",
            Dtype::U32 => "u32",
            Dtype::U64 => "u64",
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.name() == s)
    }

    pub(crate) fn is_float(self) -> bool {
        matches!(self, Dtype::F32 | Dtype::F64)
    }

    /// Size of one element in bytes.
    pub(crate) fn bytes(self) -> usize {
        match self {
            Dtype::Bool | Dtype::I8 | Dtype::U8 => 1,
            Dtype::I16 | Dtype::U16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::U64 | Dtype::F64 => 8,
        }
    }

    pub(crate) fn is_int(self) -> bool {
        !self.is_float() && self != Dtype::Bool
    }

    pub(crate) fn is_signed(self) -> bool {
        matches!(self, Dtype::I8 | Dtype::I16 | Dtype::I32 | Dtype::I64) || self.is_float()
    }

    /// Inclusive integer range of an integer dtype.
    pub(crate) fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Dtype::I8 => (i8::MIN as i128, i8::MAX as i128),
            Dtype::I16 => (i16::MIN as i128, i16::MAX as i128),
            Dtype::I32 => (i32::MIN as i128, i32::MAX as i128),
            Dtype::I64 => (i64::MIN as i128, i64::MAX as i128),
            Dtype::U8 => (0, u8::MAX as i128),
            Dtype::U16 => (0, u16::MAX as i128),
            Dtype::U32 => (0, u32::MAX as i128),
            Dtype::U64 => (0, u64::MAX as i128),
            _ => return None,
        })
    }

    /// Whether the "safe" policy may widen `self` to `to` without losing any value.
    pub(crate) fn widens_losslessly_to(self, to: Dtype) -> bool {
        if self == to {
            return true;
        }
        match (self.int_range(), to.int_range()) {
            (Some((a, b)), Some((c, d))) => c <= a && b <= d,
            (Some((a, b)), None) => {
                let mant: i128 = match to {
                    Dtype::F32 => 1 << 24,
                    Dtype::F64 => 1 << 53,
                    _ => return false,
                };
                -mant <= a && b <= mant
            }
            (None, None) => self == Dtype::F32 && to == Dtype::F64,
            (None, Some(_)) => false,
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which implicit conversions a kernel allows between operands of different dtypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Policy {
    /// No implicit conversion: a cast must be written.
    #[default]
    Strict,
    /// Lossless widenings only (`i16 -> i32`, `u8 -> i16`, `i32 -> f64`, `f32 -> f64`, ...).
    Safe,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_rules() {
        assert!(Dtype::I16.widens_losslessly_to(Dtype::I32));
        assert!(Dtype::U8.widens_losslessly_to(Dtype::I16));
        assert!(!Dtype::I8.widens_losslessly_to(Dtype::U64));
        assert!(Dtype::I32.widens_losslessly_to(Dtype::F64));
        assert!(!Dtype::I32.widens_losslessly_to(Dtype::F32));
        assert!(Dtype::F32.widens_losslessly_to(Dtype::F64));
        assert!(!Dtype::F64.widens_losslessly_to(Dtype::F32));
        assert!(!Dtype::Bool.widens_losslessly_to(Dtype::I8));
    }
}
