//! File I/O: NumPy `.npy` files and memory-mapped arrays.
//!
//! - [`read_npy`] / [`write_npy`] load and save whole arrays; [`read_npy_from`] /
//!   [`write_npy_to`] do the same over any `Read` / `Write`; [`NpyWriter`] writes an array
//!   piece by piece in bounded memory; [`NpyHeader`] parses and builds headers.
//! - [`MmapArray`] views an `.npy` or raw binary file in place through a read-only memory map,
//!   and [`MmapArray::chunks`] walks it in blocks of rows with bounded resident memory.
//!
//! Every dtype of [`DType`](crate::DType) is supported, little-endian, in C and Fortran order.
//! Files are read with versions 1.0, 2.0 and 3.0 of the format and written with 1.0, byte for
//! byte as NumPy 2's `np.save` writes them. Malformed, truncated or lying files are errors,
//! never panics or out-of-bounds reads, and no buffer is sized from a header before the header
//! has been checked against the input's length.
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::io::{read_npy, write_npy, MmapArray};
//! use array_expr_runtime::Array;
//!
//! let path = std::env::temp_dir().join(format!("ae_doc_io_{}.npy", std::process::id()));
//! let a = Array::<f64, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) as f64);
//! write_npy(&path, &a.view())?;
//! assert_eq!(read_npy::<f64, 2>(&path)?, a);
//! let m = MmapArray::<f64, 2>::open_npy(&path)?;
//! assert_eq!(m.view(), a.view());
//! # drop(m);
//! std::fs::remove_file(&path).ok();
//! # Ok::<(), array_expr_runtime::Error>(())
//! ```

mod dict;
mod header;
mod mmap;
mod npy;

pub use header::{NpyHeader, MAGIC, MAX_HEADER_LEN};
pub use mmap::{AxisChunks, MmapArray, MmapChunks};
pub use npy::{read_npy, read_npy_from, write_npy, write_npy_to, NpyWriter};
