//! The `.npy` header: the magic string, the format version, and the Python dict literal that
//! names the dtype, the memory order and the shape.
//!
//! Layout of a file (NumPy's `numpy/lib/format.py`): `\x93NUMPY`, one byte major and one byte
//! minor version, the header length (`u16` little-endian for 1.0, `u32` for 2.0 and 3.0), the
//! header text (a dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`
//! padded with spaces and ended by `\n` so the data starts at a multiple of 64 bytes), then
//! the raw little-endian data.

use super::dict::parse_dict;
use crate::element::{DType, Element};
use crate::error::{bail, err, Error, Result};
use crate::layout::{checked_len, Order};
use std::io::Read;

/// The six bytes every `.npy` file starts with.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{NpyHeader, MAGIC};
/// use array_expr_runtime::{DType, Order};
/// let bytes = NpyHeader::new(DType::F32, &[3], Order::C).to_bytes();
/// assert!(bytes.starts_with(MAGIC));
/// ```
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header text accepted when reading, in bytes. NumPy's own headers for the dtypes
/// this crate supports are well under 200 bytes; the limit bounds what a lying length field
/// can make a reader allocate.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{NpyHeader, MAX_HEADER_LEN};
/// // a header claiming 2 MiB of header text is rejected before anything is allocated for it
/// let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
/// bytes.extend_from_slice(&(2 * MAX_HEADER_LEN as u32).to_le_bytes());
/// assert!(NpyHeader::from_bytes(&bytes).is_err());
/// ```
pub const MAX_HEADER_LEN: usize = 1 << 20;

/// NumPy aligns the start of the data to this many bytes.
const ALIGN: usize = 64;

/// NumPy leaves room after the dict for the growth axis to reach this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// A parsed (or to-be-written) `.npy` header: dtype, shape, memory order and where the data
/// starts.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0 with a strict parser for the dict literal
/// NumPy writes: the keys `'descr'`, `'fortran_order'` and `'shape'`, each exactly once, in any
/// order, with Python whitespace, single or double quotes and an optional trailing comma (in
/// the dict and in the shape tuple). Anything else is an [`ErrorKind::Format`] error;
/// big-endian, structured and unsupported dtypes are [`ErrorKind::DType`] errors.
///
/// [`ErrorKind::Format`]: crate::ErrorKind::Format
/// [`ErrorKind::DType`]: crate::ErrorKind::DType
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::NpyHeader;
/// use array_expr_runtime::{DType, Order};
///
/// let header = NpyHeader::new(DType::F32, &[3, 4], Order::F);
/// let bytes = header.to_bytes();
/// assert_eq!(bytes.len() % 64, 0);
/// let parsed = NpyHeader::from_bytes(&bytes)?;
/// assert_eq!(parsed.dtype(), DType::F32);
/// assert_eq!(parsed.shape(), &[3, 4]);
/// assert!(parsed.fortran_order());
/// assert_eq!(parsed.data_offset(), bytes.len());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    dtype: DType,
    shape: Vec<usize>,
    fortran_order: bool,
    version: (u8, u8),
    data_offset: usize,
}

impl NpyHeader {
    /// A header for writing an array of `dtype` and `shape` whose data follows in `order`.
    ///
    /// The version is 1.0 unless the header text needs more than 65535 bytes (then 2.0), as in
    /// NumPy; [`data_offset`](NpyHeader::data_offset) is the length of
    /// [`to_bytes`](NpyHeader::to_bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::NpyHeader;
    /// use array_expr_runtime::{DType, Order};
    /// let h = NpyHeader::new(DType::U8, &[], Order::C);
    /// assert_eq!(h.version(), (1, 0));
    /// assert_eq!(h.data_offset(), 128);
    /// ```
    pub fn new(dtype: DType, shape: &[usize], order: Order) -> NpyHeader {
        let fortran_order = order == Order::F;
        let (version, bytes) = encode(dtype, shape, fortran_order);
        NpyHeader { dtype, shape: shape.to_vec(), fortran_order, version, data_offset: bytes.len() }
    }

    /// Parses the header at the start of `bytes` (a whole file, or at least its header).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::NpyHeader;
    /// use array_expr_runtime::DType;
    /// let mut file = b"\x93NUMPY\x01\x00\x38\x00".to_vec(); // 0x38 = 56 bytes of header
    /// file.extend_from_slice(b"{'shape': (2,), 'fortran_order': False, 'descr': '<i2'}\n");
    /// let h = NpyHeader::from_bytes(&file)?;
    /// assert_eq!((h.dtype(), h.shape(), h.data_offset()), (DType::I16, &[2][..], 66));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`](crate::ErrorKind::Format) for a missing magic string, an unsupported
    /// version, a header length past the end of `bytes` or above [`MAX_HEADER_LEN`], or a
    /// malformed dict; [`ErrorKind::DType`](crate::ErrorKind::DType) for a dtype this crate does
    /// not have; [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) for a dimension that does
    /// not fit in `usize`.
    pub fn from_bytes(bytes: &[u8]) -> Result<NpyHeader> {
        NpyHeader::read_labeled(bytes, "`.npy` header", Some(bytes.len() as u64))
    }

    /// Reads exactly the header from `reader`, leaving it at the first data byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::NpyHeader;
    /// use array_expr_runtime::{DType, Order};
    /// let bytes = NpyHeader::new(DType::Bool, &[5], Order::C).to_bytes();
    /// let h = NpyHeader::read_from(&bytes[..])?;
    /// assert_eq!(h.shape(), &[5]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_bytes`](NpyHeader::from_bytes), plus [`ErrorKind::Io`](crate::ErrorKind::Io)
    /// when the reader fails.
    pub fn read_from<R: Read>(reader: R) -> Result<NpyHeader> {
        NpyHeader::read_labeled(reader, "`.npy` stream", None)
    }

    /// Reads the header; `label` starts every error message, `total_len` is the length of the
    /// whole input when known (a header reaching past it is an error before any allocation).
    pub(crate) fn read_labeled<R: Read>(
        mut reader: R,
        label: &str,
        total_len: Option<u64>,
    ) -> Result<NpyHeader> {
        let mut start = [0u8; 8];
        let got = read_full(&mut reader, &mut start, label)?;
        if start[..got.min(6)] != MAGIC[..got.min(6)] {
            bail!(
                Format,
                "{label}: not a `.npy` file (it does not start with the magic string `\\x93NUMPY`)"
            );
        }
        if got < start.len() {
            bail!(Format, "{label}: truncated `.npy` header: the input ends after {got} bytes");
        }
        let version = (start[6], start[7]);
        let len_bytes = match version {
            (1, 0) => 2,
            (2, 0) | (3, 0) => 4,
            (major, minor) => bail!(
                Format,
                "{label}: unsupported `.npy` format version {major}.{minor} (this reader knows \
                 1.0, 2.0 and 3.0)"
            ),
        };
        let mut len_field = [0u8; 4];
        if read_full(&mut reader, &mut len_field[..len_bytes], label)? < len_bytes {
            bail!(Format, "{label}: truncated `.npy` header: the input ends inside the header length");
        }
        let header_len = u32::from_le_bytes(len_field);
        check_header_len(label, header_len, (8 + len_bytes) as u64, total_len)?;
        // at most MAX_HEADER_LEN + 12 now, so this neither truncates nor overflows
        let (header_len, data_offset) = (header_len as usize, 8 + len_bytes + header_len as usize);
        let mut text = Vec::new();
        let got =
            (&mut reader).take(header_len as u64).read_to_end(&mut text).map_err(|e| Error::io(label, e))?;
        if got < header_len {
            bail!(
                Format,
                "{label}: truncated `.npy` header: expected {header_len} bytes of header text, found {got}"
            );
        }
        let (dtype, fortran_order, shape) = parse_dict(&text, label)?;
        Ok(NpyHeader { dtype, shape, fortran_order, version, data_offset })
    }

    /// The encoded header: magic, version, length and the padded dict, ready to be followed by
    /// the data. Byte-for-byte what NumPy 2 writes for the same array.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::NpyHeader;
    /// use array_expr_runtime::{DType, Order};
    /// let bytes = NpyHeader::new(DType::F64, &[2, 3], Order::C).to_bytes();
    /// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
    /// let text = String::from_utf8_lossy(&bytes[10..]);
    /// assert!(text.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"));
    /// assert!(text.ends_with(" \n"));
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self.dtype, &self.shape, self.fortran_order).1
    }

    /// The element type.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::I64, &[1], Order::C).dtype(), DType::I64);
    /// ```
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The shape (its length is the rank).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::I64, &[1, 0], Order::C).shape(), &[1, 0]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// True when the data is stored in Fortran (column-major) order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert!(NpyHeader::new(DType::U16, &[2, 2], Order::F).fortran_order());
    /// ```
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// The memory order of the data: [`Order::F`] when `fortran_order` is true.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::U16, &[2, 2], Order::C).order(), Order::C);
    /// ```
    pub fn order(&self) -> Order {
        if self.fortran_order {
            Order::F
        } else {
            Order::C
        }
    }

    /// The format version `(major, minor)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::U16, &[2], Order::C).version(), (1, 0));
    /// ```
    pub fn version(&self) -> (u8, u8) {
        self.version
    }

    /// The byte offset of the first data byte from the start of the file.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::U16, &[2], Order::C).data_offset(), 128);
    /// ```
    pub fn data_offset(&self) -> usize {
        self.data_offset
    }

    /// The number of elements (the product of the shape).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::U16, &[2, 5], Order::C).element_count()?, 10);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the element count or the byte
    /// size does not fit in `usize` / `isize`.
    pub fn element_count(&self) -> Result<usize> {
        checked_len("`.npy` header", &self.shape, self.dtype.size())
    }

    /// The number of data bytes the shape needs.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyHeader, DType, Order};
    /// assert_eq!(NpyHeader::new(DType::F64, &[2, 5], Order::C).data_len()?, 80);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`element_count`](NpyHeader::element_count).
    pub fn data_len(&self) -> Result<usize> {
        Ok(self.element_count()? * self.dtype.size())
    }

    /// The error for data shorter than the shape needs: `found` bytes follow the header.
    pub(crate) fn truncated(&self, label: &str, found: u64) -> Error {
        let need = self.shape.iter().try_fold(self.dtype.size(), |acc, &d| acc.checked_mul(d));
        let need = need.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string());
        err!(
            Format,
            "{label}: data is truncated: shape {:?} of {} needs {need} bytes after the header, found {found}",
            self.shape,
            self.dtype
        )
    }

    /// Checks that the header describes an array of `T` with rank `D` whose byte size fits,
    /// and returns the shape as an array.
    pub(crate) fn expect<T: Element, const D: usize>(&self, label: &str) -> Result<[usize; D]> {
        if self.dtype != T::DTYPE {
            bail!(
                DType,
                "{label}: dtype is `{}` ({}), expected {}",
                self.dtype.npy_descr(),
                self.dtype,
                T::DTYPE
            );
        }
        let Ok(shape) = <[usize; D]>::try_from(self.shape.as_slice()) else {
            bail!(
                ShapeMismatch,
                "{label}: array has rank {} (shape {:?}), expected rank {D}",
                self.shape.len(),
                self.shape
            );
        };
        checked_len(label, &shape, T::DTYPE.size())?;
        Ok(shape)
    }
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
pub(crate) fn read_full<R: Read>(reader: &mut R, buf: &mut [u8], label: &str) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(label, e)),
        }
    }
    Ok(got)
}

/// Rejects header lengths above [`MAX_HEADER_LEN`] or reaching past the known input length.
fn check_header_len(label: &str, header_len: u32, preamble: u64, total_len: Option<u64>) -> Result<()> {
    match total_len {
        Some(total) if preamble + u64::from(header_len) > total => bail!(
            Format,
            "{label}: `.npy` header length {header_len} reaches past the end of the input ({total} bytes)"
        ),
        _ if header_len as usize > MAX_HEADER_LEN => bail!(
            Format,
            "{label}: `.npy` header length {header_len} exceeds the limit of {MAX_HEADER_LEN} bytes"
        ),
        _ => Ok(()),
    }
}

/// The version and the full header bytes for an array, padded like NumPy 2's `_wrap_header`.
fn encode(dtype: DType, shape: &[usize], fortran_order: bool) -> ((u8, u8), Vec<u8>) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_repr = match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': {}, 'shape': {shape_repr}, }}",
        dtype.npy_descr(),
        if fortran_order { "True" } else { "False" }
    );
    let growth_axis = if fortran_order { dims.last() } else { dims.first() };
    if let Some(d) = growth_axis {
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(d.len())));
    }
    let text_len = dict.len() + 1;
    let (version, len_bytes) =
        if 10 + text_len + ALIGN <= usize::from(u16::MAX) { ((1, 0), 2) } else { ((2, 0), 4) };
    let pad = ALIGN - (8 + len_bytes + text_len) % ALIGN;
    let header_len = text_len + pad;
    let mut out = Vec::with_capacity(8 + len_bytes + header_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version.0, version.1]);
    out.extend_from_slice(&(header_len as u32).to_le_bytes()[..len_bytes]);
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + pad, b' ');
    out.push(b'\n');
    (version, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str, version: u8) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }

    #[test]
    fn numpy_layout_byte_for_byte() {
        // np.save of np.zeros((3, 4), '<f4'), NumPy 2.x
        let bytes = NpyHeader::new(DType::F32, &[3, 4], Order::C).to_bytes();
        let mut want = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        want.extend_from_slice(b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
        want.resize(127, b' ');
        want.push(b'\n');
        assert_eq!(bytes, want);
    }

    #[test]
    fn versions_and_lengths() {
        let text = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
        for v in [2, 3] {
            let h = NpyHeader::from_bytes(&file_with(text, v)).unwrap();
            assert_eq!((h.version(), h.data_offset()), ((v, 0), 12 + text.len()));
        }
        let mut bad = file_with(text, 1);
        bad[6] = 4;
        let e = NpyHeader::from_bytes(&bad).unwrap_err();
        assert!(e.to_string().contains("version 4.0"), "{e}");
        let mut lying = file_with(text, 1);
        lying[8] = 0xff;
        let e = NpyHeader::from_bytes(&lying).unwrap_err();
        assert!(e.to_string().contains("reaches past the end"), "{e}");
        let e = NpyHeader::read_from(&file_with(text, 1)[..30]).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = NpyHeader::from_bytes(b"\x93NUMPX\x01\x00").unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
        let e = NpyHeader::from_bytes(b"\x93NUM").unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    #[test]
    fn round_trips_through_encoding() {
        for d in DType::ALL {
            for shape in [&[][..], &[0], &[7], &[2, 0, 3], &[usize::MAX >> 8, 1]] {
                for order in [Order::C, Order::F] {
                    let h = NpyHeader::new(d, shape, order);
                    let bytes = h.to_bytes();
                    assert_eq!(bytes.len() % ALIGN, 0);
                    assert_eq!(NpyHeader::from_bytes(&bytes).unwrap(), h);
                }
            }
        }
    }
}
