//! Reading and writing NumPy `.npy` files: whole arrays ([`read_npy`], [`write_npy`]), streams
//! ([`read_npy_from`], [`write_npy_to`]) and arrays written piece by piece ([`NpyWriter`]).

use super::header::{read_full, NpyHeader};
use crate::array::Array;
use crate::element::Element;
use crate::error::{bail, Error, Result};
use crate::layout::{checked_len, Order};
use crate::view::ArrayView;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// Bytes read or encoded per step: bounds the scratch memory and, for streams of unknown
/// length, how far allocation can run ahead of the data that actually arrived.
const CHUNK_BYTES: usize = 1 << 20;

/// Elements per encoding step when writing.
const WRITE_CHUNK: usize = 1 << 13;

/// How error messages name a file.
pub(crate) fn file_label(path: &Path) -> String {
    format!("file `{}`", path.display())
}

/// Reads an `.npy` file into an array of `T` with rank `D`.
///
/// A file with `fortran_order: True` becomes an F-ordered array holding the data as stored (no
/// transpose, no copy); otherwise the array is in C order. Versions 1.0, 2.0 and 3.0 are read.
/// Bytes after the data are ignored, as NumPy does.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{read_npy, write_npy};
/// use array_expr_runtime::{Array, Order};
///
/// let path = std::env::temp_dir().join(format!("ae_doc_read_npy_{}.npy", std::process::id()));
/// let a = Array::<i32, 2>::from_shape_vec_order([2, 3], (0..6).collect(), Order::F)?;
/// write_npy(&path, &a.view())?;
/// let b: Array<i32, 2> = read_npy(&path)?;
/// assert_eq!(b, a);
/// assert!(b.is_f_contiguous());
/// let err = read_npy::<f32, 2>(&path).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     format!("file `{}`: dtype is `<i4` (i32), expected f32", path.display())
/// );
/// std::fs::remove_file(&path).ok();
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// - [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be opened or read;
/// - [`ErrorKind::Format`](crate::ErrorKind::Format) for a bad magic string, an unsupported
///   version, a header longer than the file, a malformed header dict, data shorter than the
///   shape needs, or a `bool` byte other than 0 and 1;
/// - [`ErrorKind::DType`](crate::ErrorKind::DType) when the file's dtype is not `T` (the
///   message names both) or is big-endian, structured or unknown;
/// - [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the rank is not `D`;
/// - [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the shape's byte size overflows.
///
/// No buffer is sized from the header before the header has been checked against the file's
/// length.
pub fn read_npy<T: Element, const D: usize>(path: impl AsRef<Path>) -> Result<Array<T, D>> {
    let path = path.as_ref();
    let label = file_label(path);
    let file = File::open(path).map_err(|e| Error::io(&label, e))?;
    let len = file.metadata().map_err(|e| Error::io(&label, e))?.len();
    read_labeled(file, &label, Some(len))
}

/// Reads one `.npy` array from a stream, consuming exactly its header and data (so several
/// arrays saved one after another into the same stream can be read in turn).
///
/// The stream's length is unknown, so the data is read in chunks of at most 1 MiB and memory
/// grows only with the bytes that actually arrive: a header that claims a huge shape over a
/// short stream is a truncation error, not a huge allocation.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{read_npy_from, write_npy_to};
/// use array_expr_runtime::Array;
///
/// let a = Array::<u16, 1>::from_vec(vec![1, 2, 3]);
/// let b = Array::<bool, 0>::from_shape_vec([], vec![true])?;
/// let mut bytes = Vec::new();
/// write_npy_to(&mut bytes, &a.view())?;
/// write_npy_to(&mut bytes, &b.view())?;
/// let mut stream = &bytes[..];
/// assert_eq!(read_npy_from::<u16, 1, _>(&mut stream)?, a);
/// assert_eq!(read_npy_from::<bool, 0, _>(&mut stream)?, b);
/// assert!(stream.is_empty());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// As [`read_npy`], with messages starting with ``` `.npy` stream``` instead of the file name.
pub fn read_npy_from<T: Element, const D: usize, R: Read>(reader: R) -> Result<Array<T, D>> {
    read_labeled(reader, "`.npy` stream", None)
}

/// Reads header and data; `total_len` is the length of the whole input when known.
fn read_labeled<T: Element, const D: usize, R: Read>(
    mut reader: R,
    label: &str,
    total_len: Option<u64>,
) -> Result<Array<T, D>> {
    let header = NpyHeader::read_labeled(&mut reader, label, total_len)?;
    let shape = header.expect::<T, D>(label)?;
    let available = total_len.map(|t| t.saturating_sub(header.data_offset() as u64));
    let data = read_elements::<T, R>(reader, &header, label, available)?;
    Array::from_shape_vec_order(shape, data, header.order())
}

/// Reads and decodes the data the (already checked) header describes.
fn read_elements<T: Element, R: Read>(
    mut reader: R,
    header: &NpyHeader,
    label: &str,
    available: Option<u64>,
) -> Result<Vec<T>> {
    let size = std::mem::size_of::<T>();
    let count = checked_len(label, header.shape(), size)?;
    let need = count * size;
    if let Some(avail) = available.filter(|&a| a < need as u64) {
        return Err(header.truncated(label, avail));
    }
    let step = CHUNK_BYTES - CHUNK_BYTES % size;
    let mut out = Vec::with_capacity(match available {
        Some(_) => count,
        None => count.min(step / size),
    });
    let mut buf = vec![0u8; step.min(need)];
    let mut done = 0;
    while done < need {
        let want = (need - done).min(buf.len());
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let got = read_full(&mut reader, chunk, label)?;
        if got < want {
            return Err(header.truncated(label, (done + got) as u64));
        }
        decode_into(chunk, &mut out, label)?;
        done += want;
    }
    Ok(out)
}

/// Appends the elements encoded in `bytes` (a whole number of them) to `out`.
fn decode_into<T: Element>(bytes: &[u8], out: &mut Vec<T>, label: &str) -> Result<()> {
    let size = std::mem::size_of::<T>();
    let before = out.len();
    out.resize(before + bytes.len() / size, T::ZERO);
    // branch-free over the chunk so the loop vectorizes; only `bool` can see an invalid value
    let mut invalid = false;
    let fresh: &mut [T] = out.get_mut(before..).unwrap_or_default();
    for (dst, src) in fresh.iter_mut().zip(bytes.chunks_exact(size)) {
        let value = T::read_le(src);
        invalid |= value.is_none();
        *dst = value.unwrap_or(T::ZERO);
    }
    if invalid {
        let at = bytes.chunks_exact(size).position(|c| T::read_le(c).is_none()).unwrap_or(0);
        bail!(
            Format,
            "{label}: {} element {} (in file order) is the byte {}, expected 0 or 1",
            T::DTYPE,
            before + at,
            bytes.get(at * size).copied().unwrap_or(0)
        );
    }
    Ok(())
}

/// The order a view is written in: F when it is F-contiguous but not C-contiguous (so it is
/// written as stored, without a copy), C otherwise. NumPy's `np.save` makes the same choice.
fn file_order<T, const D: usize>(view: &ArrayView<'_, T, D>) -> Order {
    if view.is_f_contiguous() && !view.is_c_contiguous() {
        Order::F
    } else {
        Order::C
    }
}

/// Writes `view` to an `.npy` file (format 1.0, byte-for-byte what NumPy 2's `np.save`
/// writes).
///
/// An F-contiguous view is written as stored with `fortran_order: True`; any other layout is
/// written in C order (strided and broadcast views are walked, never copied whole). The data
/// goes to `path` + `.tmp`, which is renamed over `path` once complete: readers never see a
/// half-written file, and a file that is memory-mapped elsewhere keeps its old contents
/// instead of being truncated under the mapping.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{read_npy, write_npy};
/// use array_expr_runtime::Array;
///
/// let path = std::env::temp_dir().join(format!("ae_doc_write_npy_{}.npy", std::process::id()));
/// let a = Array::<f64, 2>::from_fn([3, 2], |[i, j]| (i * 2 + j) as f64);
/// write_npy(&path, &a.t())?; // F-contiguous view: fortran_order True, no copy
/// let back: Array<f64, 2> = read_npy(&path)?;
/// assert_eq!(back.to_vec(), a.t().to_vec());
/// std::fs::remove_file(&path).ok();
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be created, written or renamed.
pub fn write_npy<T: Element, const D: usize>(
    path: impl AsRef<Path>,
    view: &ArrayView<'_, T, D>,
) -> Result<()> {
    let mut writer = NpyWriter::<T, _>::create(path, &view.shape(), file_order(view))?;
    writer.write_view(view)?;
    writer.finish().map(drop)
}

/// Writes `view` as `.npy` data to `writer` (same layout rules as [`write_npy`]).
///
/// The data is encoded in chunks of 64 KiB; wrap unbuffered writers that are slow on small
/// writes (such as a `TcpStream`) in a `BufWriter` anyway for the header.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::write_npy_to;
/// use array_expr_runtime::Array;
/// let mut bytes = Vec::new();
/// write_npy_to(&mut bytes, &Array::<u8, 1>::from_vec(vec![7, 8]).view())?;
/// assert_eq!(bytes.len(), 128 + 2);
/// assert_eq!(&bytes[128..], &[7, 8]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the writer fails.
pub fn write_npy_to<T: Element, const D: usize, W: Write>(
    writer: W,
    view: &ArrayView<'_, T, D>,
) -> Result<()> {
    let mut writer = NpyWriter::<T, W>::new(writer, &view.shape(), file_order(view))?;
    writer.write_view(view)?;
    writer.finish().map(drop)
}

/// Writes an `.npy` array piece by piece: the header first, then the elements in the file's
/// order, in as many calls as needed. Memory use is bounded by a 64 KiB scratch buffer, so a
/// file larger than memory can be written row block by row block.
///
/// [`finish`](NpyWriter::finish) checks that every element was written and flushes; for a
/// writer made by [`create`](NpyWriter::create), it also renames the temporary file into place
/// (a writer dropped before `finish` removes it).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{read_npy, NpyWriter};
/// use array_expr_runtime::{Array, Order};
///
/// let path = std::env::temp_dir().join(format!("ae_doc_npy_writer_{}.npy", std::process::id()));
/// let mut w = NpyWriter::<f32, _>::create(&path, &[4, 3], Order::C)?;
/// for i in 0..4 {
///     let row: Vec<f32> = (0..3).map(|j| (i * 3 + j) as f32).collect();
///     w.write_slice(&row)?;
/// }
/// assert_eq!(w.remaining(), 0);
/// w.finish()?;
/// let a: Array<f32, 2> = read_npy(&path)?;
/// assert_eq!(a.to_vec(), (0..12).map(|x| x as f32).collect::<Vec<_>>());
/// std::fs::remove_file(&path).ok();
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct NpyWriter<T: Element, W: Write> {
    inner: W,
    shape: Vec<usize>,
    order: Order,
    remaining: usize,
    buf: Vec<u8>,
    label: String,
    commit: Option<Commit>,
    elem: PhantomData<fn(T)>,
}

/// A temporary file to rename into place on success, removed when dropped before that.
struct Commit {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Drop for Commit {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl<T: Element, W: Write> NpyWriter<T, W> {
    /// Writes the header for an array of `T` with `shape` whose elements will follow in
    /// `order`, and returns the writer for the data.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::{read_npy_from, NpyWriter};
    /// use array_expr_runtime::{Array, Order};
    /// let mut w = NpyWriter::<i64, _>::new(Vec::new(), &[2, 2], Order::F)?;
    /// w.write_slice(&[1, 2, 3, 4])?; // column by column
    /// let bytes = w.finish()?;
    /// let a: Array<i64, 2> = read_npy_from(&bytes[..])?;
    /// assert_eq!(a.to_vec(), vec![1, 3, 2, 4]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the shape's byte size does not
    /// fit; [`ErrorKind::Io`](crate::ErrorKind::Io) when writing the header fails.
    pub fn new(inner: W, shape: &[usize], order: Order) -> Result<Self> {
        Self::with_label(inner, shape, order, "`.npy` stream".to_string(), None)
    }

    fn with_label(
        mut inner: W,
        shape: &[usize],
        order: Order,
        label: String,
        commit: Option<Commit>,
    ) -> Result<Self> {
        let remaining = checked_len(&label, shape, std::mem::size_of::<T>())?;
        let header = NpyHeader::new(T::DTYPE, shape, order).to_bytes();
        inner.write_all(&header).map_err(|e| Error::io(&label, e))?;
        Ok(NpyWriter {
            inner,
            shape: shape.to_vec(),
            order,
            remaining,
            buf: Vec::new(),
            label,
            commit,
            elem: PhantomData,
        })
    }

    /// The number of elements still to be written.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyWriter, Order};
    /// let mut w = NpyWriter::<u8, _>::new(Vec::new(), &[3, 2], Order::C)?;
    /// w.write_slice(&[1, 2])?;
    /// assert_eq!(w.remaining(), 4);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The memory order the elements must be given in.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyWriter, Order};
    /// let w = NpyWriter::<u8, _>::new(Vec::new(), &[3, 2], Order::F)?;
    /// assert_eq!(w.order(), Order::F);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn order(&self) -> Order {
        self.order
    }

    /// Appends `data`, which continues the array in the file's memory order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyWriter, ErrorKind, Order};
    /// let mut w = NpyWriter::<u8, _>::new(Vec::new(), &[3], Order::C)?;
    /// w.write_slice(&[1, 2])?;
    /// assert_eq!(w.write_slice(&[3, 4]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `data` holds more
    /// elements than remain (nothing is written then); [`ErrorKind::Io`](crate::ErrorKind::Io)
    /// when the writer fails.
    pub fn write_slice(&mut self, data: &[T]) -> Result<()> {
        self.reserve(data.len())?;
        for part in data.chunks(WRITE_CHUNK) {
            encode(part, &mut self.buf);
            self.flush_buf()?;
        }
        Ok(())
    }

    /// Appends the elements of `view`, taken in the file's memory order (logical C order for a
    /// C-order file, F order for an F-order file). A view already laid out that way is written
    /// straight from memory; any other layout is walked without a full copy.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::{read_npy_from, NpyWriter};
    /// use array_expr_runtime::{Array, Order, Slice};
    /// let a = Array::<i16, 2>::from_fn([4, 3], |[i, j]| (10 * i + j) as i16);
    /// let mut w = NpyWriter::<i16, _>::new(Vec::new(), &[4, 3], Order::C)?;
    /// w.write_view(&a.view().slice([Slice::from(..2), Slice::full()])?)?; // rows 0..2
    /// w.write_view(&a.view().slice([Slice::from(2..), Slice::full()])?)?; // rows 2..4
    /// let back: Array<i16, 2> = read_npy_from(&w.finish()?[..])?;
    /// assert_eq!(back, a);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_slice`](NpyWriter::write_slice).
    pub fn write_view<const D: usize>(&mut self, view: &ArrayView<'_, T, D>) -> Result<()> {
        let in_file_order = match self.order {
            Order::C => *view,
            Order::F => view.reversed_axes(),
        };
        if in_file_order.is_c_contiguous() {
            if let Some(slice) = in_file_order.as_slice_memory_order() {
                return self.write_slice(slice);
            }
        }
        self.reserve(in_file_order.len())?;
        self.buf.clear();
        let size = std::mem::size_of::<T>();
        let mut failed = None;
        in_file_order.for_each_ref(|x| {
            if failed.is_some() {
                return;
            }
            let at = self.buf.len();
            self.buf.resize(at + size, 0);
            x.write_le(self.buf.get_mut(at..).unwrap_or_default());
            if self.buf.len() >= WRITE_CHUNK * size {
                failed = self.flush_buf().err();
            }
        });
        match failed {
            Some(e) => Err(e),
            None => self.flush_buf(),
        }
    }

    /// Takes `n` elements off the remaining count, or errors without writing.
    fn reserve(&mut self, n: usize) -> Result<()> {
        if n > self.remaining {
            bail!(
                InvalidArgument,
                "{}: writing {n} more elements exceeds the {} remaining of shape {:?}",
                self.label,
                self.remaining,
                self.shape
            );
        }
        self.remaining -= n;
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<()> {
        let res = self.inner.write_all(&self.buf);
        self.buf.clear();
        res.map_err(|e| Error::io(&self.label, e))
    }

    /// Checks that every element was written, flushes, renames a file made by
    /// [`create`](NpyWriter::create) into place, and returns the inner writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyWriter, ErrorKind, Order};
    /// let w = NpyWriter::<u8, _>::new(Vec::new(), &[3], Order::C)?;
    /// assert_eq!(w.finish().unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when elements are
    /// missing (the temporary file of [`create`](NpyWriter::create) is removed then);
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when flushing or renaming fails.
    pub fn finish(self) -> Result<W> {
        let NpyWriter { mut inner, shape, remaining, label, commit, .. } = self;
        if remaining > 0 {
            bail!(InvalidArgument, "{label}: {remaining} elements of shape {shape:?} were never written");
        }
        inner.flush().map_err(|e| Error::io(&label, e))?;
        if let Some(mut commit) = commit {
            std::fs::rename(&commit.tmp, &commit.dest).map_err(|e| Error::io(&label, e))?;
            commit.done = true;
        }
        Ok(inner)
    }
}

impl<T: Element> NpyWriter<T, BufWriter<File>> {
    /// Creates `path` + `.tmp`, writes the header, and returns the writer; [`finish`] renames
    /// the file to `path`.
    ///
    /// [`finish`]: NpyWriter::finish
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{io::NpyWriter, Order};
    /// let path = std::env::temp_dir().join(format!("ae_doc_create_{}.npy", std::process::id()));
    /// let mut w = NpyWriter::<u32, _>::create(&path, &[2], Order::C)?;
    /// w.write_slice(&[1, 2])?;
    /// assert!(!path.exists()); // not in place until finish
    /// w.finish()?;
    /// assert_eq!(std::fs::metadata(&path).map(|m| m.len()).ok(), Some(128 + 8));
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be created or written;
    /// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) as in [`new`](NpyWriter::new).
    pub fn create(path: impl AsRef<Path>, shape: &[usize], order: Order) -> Result<Self> {
        let dest = path.as_ref().to_path_buf();
        let label = file_label(&dest);
        let mut tmp = dest.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| Error::io(&label, e))?;
        let commit = Commit { tmp, dest, done: false };
        let inner = BufWriter::with_capacity(CHUNK_BYTES, file);
        Self::with_label(inner, shape, order, label, Some(commit))
    }
}

impl<T: Element, W: Write> std::fmt::Debug for NpyWriter<T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyWriter")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.shape)
            .field("order", &self.order)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// Encodes `src` as little-endian bytes into `buf` (replacing its contents).
fn encode<T: Element>(src: &[T], buf: &mut Vec<u8>) {
    let size = std::mem::size_of::<T>();
    buf.clear();
    buf.resize(std::mem::size_of_val(src), 0);
    for (x, out) in src.iter().zip(buf.chunks_exact_mut(size)) {
        x.write_le(out);
    }
}
