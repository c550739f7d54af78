//! Memory-mapped arrays: `.npy` and raw files equal what `read_npy` reads, chunked passes equal
//! whole-array passes, and bad files are errors.

use array_expr::io::{read_npy, write_npy, AxisChunks, MmapArray};
use array_expr::{Array, Element, ErrorKind, Order};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp dir, unique to this process and call, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("array_expr_mmap_{}_{n}_{tag}", std::process::id());
        TempPath(std::env::temp_dir().join(name))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

fn sample<T: Element, const D: usize>(shape: [usize; D], order: Order, f: fn(usize) -> T) -> Array<T, D> {
    let mut i = 0;
    let a = Array::from_fn(shape, |_| {
        i += 1;
        f(i - 1)
    });
    a.view().to_owned_order(order)
}

fn npy_equals_read_npy<T: Element, const D: usize>(a: &Array<T, D>) {
    let path = TempPath::new("eq.npy");
    write_npy(&path, &a.view()).unwrap();
    let m = MmapArray::<T, D>::open_npy(&path).unwrap();
    let r: Array<T, D> = read_npy(&path).unwrap();
    assert_eq!(m.view(), r.view());
    assert_eq!(m.view().strides(), r.strides());
    assert_eq!(m.as_slice(), r.as_slice_memory_order());
    assert_eq!((m.shape(), m.len(), m.is_empty()), (a.shape(), a.len(), a.is_empty()));
}

#[test]
fn npy_files_map_like_read_npy() {
    for order in [Order::C, Order::F] {
        npy_equals_read_npy(&sample([7, 5], order, |i| i as f32 * 0.5));
        npy_equals_read_npy(&sample([3, 4, 2], order, |i| i as f64 - 3.0));
        npy_equals_read_npy(&sample([2, 3, 2, 2], order, |i| (i * 7) as i16));
        npy_equals_read_npy(&sample([9], order, |i| i as u64));
        npy_equals_read_npy(&sample([4, 4], order, |i| i % 2 == 0));
        npy_equals_read_npy(&sample([0, 3], order, |i| i as u8));
        npy_equals_read_npy(&sample([], order, |_| -5i32));
    }
}

#[test]
fn raw_files_with_offset_and_order() {
    let a = sample([6, 4], Order::C, |i| (i as i32) * 3 - 20);
    let mut bytes = vec![0xAB; 8]; // an 8-byte preamble to skip
    for x in a.as_slice_memory_order() {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.extend_from_slice(&[0xCD; 3]); // trailing bytes are ignored
    let path = TempPath::new("raw.bin");
    std::fs::write(&path, &bytes).unwrap();
    let m = MmapArray::<i32, 2>::open_raw(&path, [6, 4], Order::C, 8).unwrap();
    assert_eq!(m.view(), a.view());
    // the same bytes read as F order are the transpose of the [4, 6] C reading
    let f = MmapArray::<i32, 2>::open_raw(&path, [4, 6], Order::F, 8).unwrap();
    assert_eq!(f.view().t().to_vec(), a.to_vec());
    assert_eq!(f.order(), Order::F);
}

#[test]
fn chunked_sums_equal_full_sums() {
    let (rows, cols) = (1037, 61);
    let a = sample([rows, cols], Order::C, |i| ((i * 7919) % 1000) as f32 * 0.001);
    let path = TempPath::new("sum.npy");
    write_npy(&path, &a.view()).unwrap();
    let m = MmapArray::<f32, 2>::open_npy(&path).unwrap();

    let mut full = vec![0.0f64; cols];
    for (k, x) in m.as_slice().iter().enumerate() {
        full[k % cols] += f64::from(*x);
    }
    for block in [1, 64, 100, rows, rows + 5] {
        let mut sums = vec![0.0f64; cols];
        let mut seen = 0;
        let chunks = m.chunks(block).unwrap();
        assert_eq!(chunks.len(), rows.div_ceil(block));
        for c in chunks {
            assert!(c.shape()[0] <= block && c.shape()[1] == cols);
            seen += c.shape()[0];
            for row in c.as_slice_memory_order().unwrap().chunks_exact(cols) {
                for (s, x) in sums.iter_mut().zip(row) {
                    *s += f64::from(*x);
                }
            }
        }
        assert_eq!(seen, rows);
        assert_eq!(sums, full, "block {block}"); // same order of additions: bit-identical
    }
    // released pages read back with the same contents
    assert_eq!(m.view(), a.view());
    m.release_pages();
    assert_eq!(m.view(), a.view());
}

#[test]
fn earlier_chunks_stay_valid_after_release() {
    let a = sample([4096, 8], Order::C, |i| i as u32);
    let path = TempPath::new("keep.npy");
    write_npy(&path, &a.view()).unwrap();
    let m = MmapArray::<u32, 2>::open_npy(&path).unwrap();
    let blocks: Vec<_> = m.chunks(100).unwrap().collect(); // every block released by now
    let joined: Vec<u32> = blocks.iter().flat_map(|b| b.to_vec()).collect();
    assert_eq!(joined, a.to_vec());
}

#[test]
fn f_order_files_chunk_along_any_axis() {
    let a = sample([50, 7, 3], Order::F, |i| i as i64);
    let path = TempPath::new("f.npy");
    write_npy(&path, &a.view()).unwrap();
    let m = MmapArray::<i64, 3>::open_npy(&path).unwrap();
    let rows: i64 = m.chunks(16).unwrap().map(|c| c.to_vec().iter().sum::<i64>()).sum();
    let last: i64 = AxisChunks::new(m.view(), 2, 2).unwrap().map(|c| c.to_vec().iter().sum::<i64>()).sum();
    let total: i64 = a.to_vec().iter().sum();
    assert_eq!((rows, last), (total, total));
    let slabs: Vec<[usize; 3]> = AxisChunks::new(m.view(), 2, 2).unwrap().map(|c| c.shape()).collect();
    assert_eq!(slabs, vec![[50, 7, 2], [50, 7, 1]]);
}

#[test]
fn rewriting_a_mapped_file_keeps_the_old_mapping() {
    let path = TempPath::new("swap.npy");
    write_npy(&path, &sample([1000], Order::C, |i| i as f64).view()).unwrap();
    let old = MmapArray::<f64, 1>::open_npy(&path).unwrap();
    write_npy(&path, &sample([10], Order::C, |_| 1.0f64).view()).unwrap();
    assert_eq!(old.as_slice()[999], 999.0); // renamed into place: the old inode is intact
    assert_eq!(read_npy::<f64, 1>(&path).unwrap().to_vec(), vec![1.0; 10]);
}

#[test]
fn bad_files_are_errors() {
    let a = sample([4, 4], Order::C, |i| i as f64);
    let path = TempPath::new("bad.npy");
    write_npy(&path, &a.view()).unwrap();
    let name = path.0.display().to_string();

    let e = MmapArray::<f32, 2>::open_npy(&path).unwrap_err();
    assert_eq!(e.to_string(), format!("file `{name}`: dtype is `<f8` (f64), expected f32"));
    let e = MmapArray::<f64, 1>::open_npy(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ShapeMismatch);

    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let e = MmapArray::<f64, 2>::open_npy(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert_eq!(
        e.to_string(),
        format!(
            "file `{name}`: data is truncated: shape [4, 4] of f64 needs 128 bytes after the header, found 127"
        )
    );

    let e = MmapArray::<f64, 2>::open_raw(&path, [4, 4], Order::C, 4).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.to_string(), "argument `offset`: 4 is not a multiple of the alignment of f64 (8 bytes)");
    let e = MmapArray::<f64, 2>::open_raw(&path, [4, 4], Order::C, 128).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("file `{name}`: data is truncated: shape [4, 4] of f64 at byte 128 needs 128 bytes, the file has 255")
    );
    let e = MmapArray::<u8, 2>::open_raw(&path, [usize::MAX, 2], Order::C, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
    let e = MmapArray::<u8, 1>::open_raw(&path, [1], Order::C, usize::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);

    std::fs::write(&path, [0u8, 1, 1, 7]).unwrap();
    let e = MmapArray::<bool, 1>::open_raw(&path, [4], Order::C, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("file `{name}`: bool element 3 (in file order) is the byte 7, expected 0 or 1")
    );
    assert_eq!(
        MmapArray::<bool, 1>::open_raw(&path, [3], Order::C, 0).unwrap().view().to_vec(),
        [false, true, true]
    );

    let e = MmapArray::<u8, 1>::open_npy(path.0.with_extension("missing")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[test]
fn misaligned_npy_data_is_an_error() {
    // a valid version 1.0 file whose header is not padded: data at byte 10 + 58 = 68
    let text = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(text);
    bytes.extend_from_slice(&[0; 16]);
    let path = TempPath::new("align.npy");
    std::fs::write(&path, &bytes).unwrap();
    let e = MmapArray::<f64, 1>::open_npy(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert!(e.to_string().contains("not aligned for f64"), "{e}");
    assert_eq!(read_npy::<f64, 1>(&path).unwrap().to_vec(), vec![0.0, 0.0]); // read_npy copes
}

#[test]
fn chunk_arguments_are_checked() {
    let path = TempPath::new("args.bin");
    std::fs::write(&path, [1u8; 6]).unwrap();
    let m = MmapArray::<u8, 2>::open_raw(&path, [3, 2], Order::C, 0).unwrap();
    assert_eq!(m.chunks(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let s = MmapArray::<u8, 0>::open_raw(&path, [], Order::C, 5).unwrap();
    assert_eq!(s.view().to_vec(), vec![1]);
    assert_eq!(s.chunks(1).unwrap_err().kind(), ErrorKind::OutOfBounds);
    let empty = MmapArray::<u8, 2>::open_raw(&path, [0, 2], Order::C, 6).unwrap();
    assert_eq!(empty.chunks(4).unwrap().count(), 0);
}
