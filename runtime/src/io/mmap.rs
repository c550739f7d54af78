//! Read-only memory-mapped arrays: an `.npy` file or a raw binary file viewed in place, and
//! chunked iteration that keeps the resident memory of a pass over a large file bounded.

use super::header::NpyHeader;
use super::npy::file_label;
use crate::element::{DType, Element};
use crate::error::{bail, Error, Result};
use crate::layout::{checked_len, offset_span, Order};
use crate::view::ArrayView;
use memmap2::{Advice, Mmap, UncheckedAdvice};
use std::fs::File;
use std::marker::PhantomData;
use std::path::Path;

/// Pages released behind a chunked pass are whole pages of this size (the smallest page size
/// on the platforms this crate targets; a larger real page only makes a release cover one
/// extra partial page, which the kernel then reads back in on access).
const PAGE: usize = 4096;

/// A read-only array of `T` with rank `D` whose elements live in a memory-mapped file.
///
/// Open an `.npy` file with [`open_npy`](MmapArray::open_npy) or a headerless binary file with
/// [`open_raw`](MmapArray::open_raw). [`view`](MmapArray::view) gives an [`ArrayView`] over the
/// mapping (no copy); [`chunks`](MmapArray::chunks) walks axis 0 in blocks of rows and releases
/// the pages of finished blocks, so a file larger than memory is processed with resident
/// memory of about one block.
///
/// # Safety model
///
/// The file is mapped read-only and shared (`PROT_READ`, `MAP_SHARED`). Before any `&[T]` is
/// made over the mapping, [`MmapArray`] checks that the data lies inside the mapping, that its
/// first byte is aligned for `T`, and (for `bool`) that every byte is 0 or 1; every other bit
/// pattern is a valid value of the numeric element types.
///
/// What Rust cannot guarantee is that *another* process (or this one, through another handle)
/// leaves the file alone while it is mapped: if the file is truncated, accessing the lost pages
/// raises `SIGBUS`; if it is modified, the values seen through the array change under a shared
/// borrow. This is the usual caveat of every memory map (see [`memmap2::Mmap`]). Do not modify
/// or truncate a file while it is mapped; [`write_npy`](crate::io::write_npy) replaces files by
/// renaming a new one into place, which leaves existing mappings of the old file intact.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::{write_npy, MmapArray};
/// use array_expr_runtime::Array;
///
/// let path = std::env::temp_dir().join(format!("ae_doc_mmap_{}.npy", std::process::id()));
/// let a = Array::<f32, 2>::from_fn([1000, 4], |[i, j]| (i + j) as f32);
/// write_npy(&path, &a.view())?;
///
/// let m = MmapArray::<f32, 2>::open_npy(&path)?;
/// assert_eq!(m.view(), a.view());
/// let mut col_sums = [0.0f64; 4];
/// for block in m.chunks(256)? {
///     // a block of whole rows of a C-order file is contiguous
///     let rows = block.as_slice_memory_order().unwrap_or_default();
///     for row in rows.chunks_exact(4) {
///         for (acc, &x) in col_sums.iter_mut().zip(row) {
///             *acc += f64::from(x);
///         }
///     }
/// }
/// assert_eq!(col_sums[0], (0..1000).sum::<i32>() as f64);
/// drop(m);
/// std::fs::remove_file(&path).ok();
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct MmapArray<T: Element, const D: usize> {
    map: Mmap,
    /// Byte offset of the first element in the mapping.
    start: usize,
    /// Number of elements; `start + len * size_of::<T>() <= map.len()`.
    len: usize,
    shape: [usize; D],
    strides: [isize; D],
    order: Order,
    elem: PhantomData<T>,
}

impl<T: Element, const D: usize> MmapArray<T, D> {
    /// Maps an `.npy` file: parses and checks its header (dtype `T`, rank `D`, data inside the
    /// file and aligned for `T`) and views the data in place, in the file's C or F order.
    ///
    /// For `bool` every data byte is checked to be 0 or 1 (one pass over the data).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::{write_npy, MmapArray};
    /// use array_expr_runtime::{Array, Order};
    /// let path = std::env::temp_dir().join(format!("ae_doc_open_npy_{}.npy", std::process::id()));
    /// let a = Array::<u16, 2>::from_shape_vec_order([2, 3], (0..6).collect(), Order::F)?;
    /// write_npy(&path, &a.view())?;
    /// let m = MmapArray::<u16, 2>::open_npy(&path)?;
    /// assert_eq!(m.order(), Order::F);
    /// assert_eq!(m.as_slice(), &[0, 1, 2, 3, 4, 5]);
    /// assert_eq!(m.view(), a.view());
    /// # drop(m);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The header errors of [`read_npy`](super::read_npy) (format, dtype, rank, overflow, data
    /// shorter than the shape needs); [`ErrorKind::Format`](crate::ErrorKind::Format) when the
    /// data does not start at an offset aligned for `T` (NumPy aligns it to 64 bytes; read such
    /// a file with `read_npy`) or a `bool` byte is neither 0 nor 1;
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when opening or mapping fails.
    pub fn open_npy(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let label = file_label(path);
        let mut file = File::open(path).map_err(|e| Error::io(&label, e))?;
        let len = file.metadata().map_err(|e| Error::io(&label, e))?.len();
        let header = NpyHeader::read_labeled(&mut file, &label, Some(len))?;
        let shape = header.expect::<T, D>(&label)?;
        let start = header.data_offset();
        let need = checked_len(&label, &shape, std::mem::size_of::<T>())? * std::mem::size_of::<T>();
        let available = len.saturating_sub(start as u64);
        if available < need as u64 {
            return Err(header.truncated(&label, available));
        }
        if start % std::mem::align_of::<T>() != 0 {
            bail!(
                Format,
                "{label}: data starts at byte {start}, which is not aligned for {} ({} bytes); \
                 read the file with `read_npy` instead",
                T::DTYPE,
                std::mem::align_of::<T>()
            );
        }
        Self::map_checked(&file, &label, start, shape, header.order())
    }

    /// Maps a headerless binary file holding little-endian elements of `T` laid out in `order`
    /// from byte `offset` on (bytes after the data are ignored).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::MmapArray;
    /// use array_expr_runtime::Order;
    /// let path = std::env::temp_dir().join(format!("ae_doc_open_raw_{}.bin", std::process::id()));
    /// let mut bytes = b"HEAD".to_vec(); // a 4-byte preamble to skip
    /// for x in [1.5f32, 2.5, 3.5, 4.5] {
    ///     bytes.extend_from_slice(&x.to_le_bytes());
    /// }
    /// std::fs::write(&path, &bytes).unwrap();
    /// let m = MmapArray::<f32, 2>::open_raw(&path, [2, 2], Order::C, 4)?;
    /// assert_eq!(m.view().to_vec(), vec![1.5, 2.5, 3.5, 4.5]);
    /// assert!(MmapArray::<f32, 2>::open_raw(&path, [2, 2], Order::C, 2).is_err()); // misaligned
    /// assert!(MmapArray::<f32, 2>::open_raw(&path, [3, 2], Order::C, 4).is_err()); // too short
    /// # drop(m);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `offset` is not a
    /// multiple of `T`'s alignment; [`ErrorKind::Format`](crate::ErrorKind::Format) when the
    /// file is shorter than `offset` plus the data, or a `bool` byte is neither 0 nor 1;
    /// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the sizes overflow;
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when opening or mapping fails.
    pub fn open_raw(path: impl AsRef<Path>, shape: [usize; D], order: Order, offset: usize) -> Result<Self> {
        let path = path.as_ref();
        let label = file_label(path);
        if offset % std::mem::align_of::<T>() != 0 {
            bail!(
                InvalidArgument,
                "argument `offset`: {offset} is not a multiple of the alignment of {} ({} bytes)",
                T::DTYPE,
                std::mem::align_of::<T>()
            );
        }
        let file = File::open(path).map_err(|e| Error::io(&label, e))?;
        Self::map_checked(&file, &label, offset, shape, order)
    }

    /// Maps `file` and checks everything the unsafe code in [`as_slice`](Self::as_slice) and
    /// [`view`](Self::view) relies on.
    fn map_checked(file: &File, label: &str, start: usize, shape: [usize; D], order: Order) -> Result<Self> {
        let size = std::mem::size_of::<T>();
        let len = checked_len(label, &shape, size)?;
        // SAFETY: the mapping is read-only (PROT_READ) and shared; memmap2's contract is that
        // the file is not truncated or modified while mapped, which Rust cannot enforce across
        // processes: that caveat is documented on `MmapArray` ("Safety model").
        let map = unsafe { Mmap::map(file) }.map_err(|e| Error::io(label, e))?;
        let end = start.checked_add(len * size);
        if end.is_none_or(|end| end > map.len()) {
            bail!(
                Format,
                "{label}: data is truncated: shape {shape:?} of {} at byte {start} needs {} \
                 bytes, the file has {}",
                T::DTYPE,
                len * size,
                map.len()
            );
        }
        let first = map.as_ptr() as usize + start;
        if len > 0 && first % std::mem::align_of::<T>() != 0 {
            bail!(Format, "{label}: data at byte {start} is not aligned for {}", T::DTYPE);
        }
        if T::DTYPE == DType::Bool {
            let bytes = map.get(start..start + len);
            check_bool_bytes(bytes.unwrap_or_default(), label)?;
        }
        let mut this = MmapArray { map, start, len, shape, strides: [0; D], order, elem: PhantomData };
        // The strides come from the checked constructor, which verifies that the layout
        // addresses only elements 0..len of the slice: the invariant `view` relies on.
        this.strides = ArrayView::from_shape(shape, this.as_slice(), order)?.strides();
        Ok(this)
    }

    /// The elements in memory (file) order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::MmapArray;
    /// use array_expr_runtime::Order;
    /// let path = std::env::temp_dir().join(format!("ae_doc_as_slice_{}.bin", std::process::id()));
    /// std::fs::write(&path, [1u8, 2, 3]).unwrap();
    /// let m = MmapArray::<u8, 1>::open_raw(&path, [3], Order::C, 0)?;
    /// assert_eq!(m.as_slice(), &[1, 2, 3]);
    /// # drop(m);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn as_slice(&self) -> &[T] {
        let size = std::mem::size_of::<T>();
        let Some(bytes) = self.map.get(self.start..self.start + self.len * size) else {
            return &[];
        };
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `bytes` is `len * size_of::<T>()` bytes of the mapping, which lives as long
        // as `&self` (the map is owned and never remapped). `map_checked` verified that the
        // first byte is aligned for `T`, and that for `bool` every byte is 0 or 1; every bit
        // pattern is a valid value of the other element types. The mapping is read-only, so
        // nothing in this process writes through it (the cross-process caveat is documented).
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), self.len) }
    }

    /// A view of the whole array (no copy).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::MmapArray;
    /// use array_expr_runtime::Order;
    /// let path = std::env::temp_dir().join(format!("ae_doc_view_{}.bin", std::process::id()));
    /// std::fs::write(&path, [1u8, 2, 3, 4, 5, 6]).unwrap();
    /// let m = MmapArray::<u8, 2>::open_raw(&path, [2, 3], Order::F, 0)?;
    /// assert_eq!(m.view().to_vec(), vec![1, 3, 5, 2, 4, 6]);
    /// # drop(m);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        let data = self.as_slice();
        // SAFETY: `data` holds `self.len` valid elements borrowed for `&self` (as_slice), and
        // `map_checked` obtained `shape`/`strides` from `ArrayView::from_shape` over a slice of
        // the same `len`, which verified that every index addresses an element of it. An empty
        // shape never dereferences the (then dangling but aligned) pointer.
        unsafe { ArrayView::from_raw_parts(data.as_ptr(), self.shape, self.strides) }
    }

    /// The shape.
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::{io::MmapArray, Order};
    /// # let path = std::env::temp_dir().join(format!("ae_doc_shape_{}.bin", std::process::id()));
    /// # std::fs::write(&path, [0u8; 6]).unwrap();
    /// let m = MmapArray::<u8, 2>::open_raw(&path, [2, 3], Order::C, 0)?;
    /// assert_eq!(m.shape(), [2, 3]);
    /// # drop(m); std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn shape(&self) -> [usize; D] {
        self.shape
    }

    /// The memory order of the data in the file.
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::{io::MmapArray, Order};
    /// # let path = std::env::temp_dir().join(format!("ae_doc_order_{}.bin", std::process::id()));
    /// # std::fs::write(&path, [0u8; 6]).unwrap();
    /// let m = MmapArray::<u8, 2>::open_raw(&path, [2, 3], Order::F, 0)?;
    /// assert_eq!(m.order(), Order::F);
    /// # drop(m); std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn order(&self) -> Order {
        self.order
    }

    /// The number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::{io::MmapArray, Order};
    /// # let path = std::env::temp_dir().join(format!("ae_doc_len_{}.bin", std::process::id()));
    /// # std::fs::write(&path, [0u8; 6]).unwrap();
    /// let m = MmapArray::<u8, 2>::open_raw(&path, [2, 3], Order::C, 0)?;
    /// assert_eq!(m.len(), 6);
    /// assert!(!m.is_empty());
    /// # drop(m); std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the array has no elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::{io::MmapArray, Order};
    /// # let path = std::env::temp_dir().join(format!("ae_doc_empty_{}.bin", std::process::id()));
    /// # std::fs::write(&path, [0u8; 0]).unwrap();
    /// let m = MmapArray::<u8, 2>::open_raw(&path, [0, 3], Order::C, 0)?;
    /// assert!(m.is_empty());
    /// # drop(m); std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over blocks of at most `rows` entries of axis 0, as views into the mapping.
    ///
    /// The whole mapping is advised for sequential access, and when the iterator moves to the
    /// next block it releases (`madvise(MADV_DONTNEED)`) the whole pages that lie before the
    /// new block's first element. The process's resident memory then stays around one block
    /// however large the file: the kernel keeps the pages in its page cache, not in this
    /// process. Views of earlier blocks stay valid: touching a released page reads it back in
    /// from the page cache or the file, with the same contents.
    ///
    /// For a C-order file the blocks are contiguous and a release covers whole finished
    /// blocks. An F-order file stores axis 0 fastest, so its row blocks interleave; walk it
    /// with [`AxisChunks`] over the last axis instead to keep memory bounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::{write_npy, MmapArray};
    /// use array_expr_runtime::Array;
    /// let path = std::env::temp_dir().join(format!("ae_doc_chunks_{}.npy", std::process::id()));
    /// write_npy(&path, &Array::<i64, 2>::from_fn([10, 3], |[i, j]| (i * 3 + j) as i64).view())?;
    /// let m = MmapArray::<i64, 2>::open_npy(&path)?;
    /// let shapes: Vec<[usize; 2]> = m.chunks(4)?.map(|c| c.shape()).collect();
    /// assert_eq!(shapes, vec![[4, 3], [4, 3], [2, 3]]);
    /// let total: i64 = m.chunks(4)?.map(|c| c.to_vec().iter().sum::<i64>()).sum();
    /// assert_eq!(total, (0..30).sum::<i64>());
    /// # drop(m);
    /// std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `rows` is 0;
    /// [`ErrorKind::OutOfBounds`](crate::ErrorKind::OutOfBounds) when `D` is 0 (no axis 0).
    pub fn chunks(&self, rows: usize) -> Result<MmapChunks<'_, T, D>> {
        let inner = AxisChunks::new(self.view(), 0, rows)?;
        let _ = self.map.advise(Advice::Sequential);
        Ok(MmapChunks { inner, owner: self, released: self.start - self.start % PAGE })
    }

    /// Releases every resident page of the mapping from this process
    /// (`madvise(MADV_DONTNEED)`); the next access reads pages back in. Best effort: the
    /// operating system may ignore the advice.
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::{io::MmapArray, Order};
    /// # let path = std::env::temp_dir().join(format!("ae_doc_release_{}.bin", std::process::id()));
    /// # std::fs::write(&path, [7u8; 6]).unwrap();
    /// let m = MmapArray::<u8, 1>::open_raw(&path, [6], Order::C, 0)?;
    /// assert_eq!(m.as_slice()[5], 7);
    /// m.release_pages();
    /// assert_eq!(m.as_slice()[5], 7); // read back in
    /// # drop(m); std::fs::remove_file(&path).ok();
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn release_pages(&self) {
        self.release(0, self.map.len());
    }

    /// Drops the resident pages of bytes `from..to` of the mapping (best effort).
    fn release(&self, from: usize, to: usize) {
        if to <= from || to > self.map.len() {
            return;
        }
        // SAFETY: memmap2 marks MADV_DONTNEED unsafe because on private or anonymous mappings
        // it replaces the contents with zeros under live borrows. This mapping is file-backed,
        // read-only and shared (`Mmap::map`: PROT_READ, MAP_SHARED), and for such mappings the
        // kernel only unmaps the pages from this process: the next access re-reads the same
        // bytes from the page cache or the file, so every `&[T]` handed out keeps its values
        // (modulo the documented cross-process caveat). `from..to` lies inside the mapping
        // (checked above).
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, from, to - from) };
    }
}

impl<T: Element, const D: usize> std::fmt::Debug for MmapArray<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmapArray")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.shape)
            .field("order", &self.order)
            .field("data_offset", &self.start)
            .finish_non_exhaustive()
    }
}

/// Checks that every byte is a valid `bool` (0 or 1).
fn check_bool_bytes(bytes: &[u8], label: &str) -> Result<()> {
    match bytes.iter().enumerate().find(|(_, &b)| b > 1) {
        Some((i, b)) => {
            bail!(Format, "{label}: bool element {i} (in file order) is the byte {b}, expected 0 or 1")
        }
        None => Ok(()),
    }
}

/// Blocks of at most `size` entries along one axis of a view, first to last (the last block
/// may be shorter). Each block is a view of the same memory; nothing is copied.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::io::AxisChunks;
/// use array_expr_runtime::Array;
/// let a = Array::<i32, 2>::from_fn([2, 5], |[i, j]| (5 * i + j) as i32);
/// let cols: Vec<Vec<i32>> = AxisChunks::new(a.view(), 1, 2)?.map(|c| c.to_vec()).collect();
/// assert_eq!(cols, vec![vec![0, 1, 5, 6], vec![2, 3, 7, 8], vec![4, 9]]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AxisChunks<'a, T, const D: usize> {
    rest: ArrayView<'a, T, D>,
    axis: usize,
    size: usize,
}

impl<'a, T, const D: usize> AxisChunks<'a, T, D> {
    /// Blocks of `size` entries along `axis` of `view`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::io::AxisChunks;
    /// use array_expr_runtime::Array;
    /// let a = Array::<u8, 1>::from_vec(vec![1, 2, 3]);
    /// assert_eq!(AxisChunks::new(a.view(), 0, 2)?.len(), 2);
    /// assert!(AxisChunks::new(a.view(), 1, 2).is_err());
    /// assert!(AxisChunks::new(a.view(), 0, 0).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfBounds`](crate::ErrorKind::OutOfBounds) when `axis >= D`;
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `size` is 0.
    pub fn new(view: ArrayView<'a, T, D>, axis: usize, size: usize) -> Result<Self> {
        if axis >= D {
            bail!(OutOfBounds, "axis_chunks: axis {axis} is out of range for an array of rank {D}");
        }
        if size == 0 {
            bail!(InvalidArgument, "axis_chunks: argument `size` must be at least 1");
        }
        Ok(AxisChunks { rest: view, axis, size })
    }
}

impl<'a, T, const D: usize> Iterator for AxisChunks<'a, T, D> {
    type Item = ArrayView<'a, T, D>;

    fn next(&mut self) -> Option<Self::Item> {
        let left = self.rest.shape().get(self.axis).copied().unwrap_or(0);
        if left == 0 {
            return None;
        }
        let (block, rest) = self.rest.split_at(self.axis, left.min(self.size)).ok()?;
        self.rest = rest;
        Some(block)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.shape().get(self.axis).map_or(0, |left| left.div_ceil(self.size));
        (n, Some(n))
    }
}

impl<T, const D: usize> ExactSizeIterator for AxisChunks<'_, T, D> {}

/// The iterator of [`MmapArray::chunks`]: blocks of rows, releasing the pages behind it.
///
/// # Examples
///
/// ```
/// # use array_expr_runtime::{io::MmapArray, Order};
/// # let path = std::env::temp_dir().join(format!("ae_doc_mchunks_{}.bin", std::process::id()));
/// # std::fs::write(&path, [1u8; 12]).unwrap();
/// let m = MmapArray::<u8, 2>::open_raw(&path, [4, 3], Order::C, 0)?;
/// let sums: Vec<u32> = m.chunks(3)?.map(|c| c.to_vec().iter().map(|&x| u32::from(x)).sum()).collect();
/// assert_eq!(sums, vec![9, 3]);
/// # drop(m); std::fs::remove_file(&path).ok();
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct MmapChunks<'a, T: Element, const D: usize> {
    inner: AxisChunks<'a, T, D>,
    owner: &'a MmapArray<T, D>,
    /// Byte offset in the mapping up to which pages were released (a multiple of `PAGE`).
    released: usize,
}

impl<T: Element, const D: usize> MmapChunks<'_, T, D> {
    /// Releases the whole pages between the last release point and `upto` (a byte offset).
    fn release_before(&mut self, upto: usize) {
        let upto = upto - upto % PAGE;
        if upto > self.released {
            self.owner.release(self.released, upto);
            self.released = upto;
        }
    }

    /// Byte offset in the mapping of the lowest element of `block` (its first, as strides are
    /// positive).
    fn start_of(&self, block: &ArrayView<'_, T, D>) -> Option<usize> {
        let span = offset_span(&block.shape(), &block.strides()).ok()??;
        let base = self.owner.map.as_ptr() as usize;
        let first = (block.as_ptr() as usize).checked_sub(base)?;
        let lo = span.0.unsigned_abs() * std::mem::size_of::<T>();
        first.checked_sub(lo)
    }
}

impl<'a, T: Element, const D: usize> Iterator for MmapChunks<'a, T, D> {
    type Item = ArrayView<'a, T, D>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.next() {
            Some(block) => {
                if let Some(start) = self.start_of(&block) {
                    self.release_before(start);
                }
                Some(block)
            }
            None => {
                let end = self.owner.start + self.owner.len * std::mem::size_of::<T>();
                self.release_before(end);
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T: Element, const D: usize> ExactSizeIterator for MmapChunks<'_, T, D> {}

impl<T: Element, const D: usize> std::fmt::Debug for MmapChunks<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmapChunks")
            .field("remaining", &self.inner.len())
            .field("released_bytes", &self.released)
            .finish_non_exhaustive()
    }
}
