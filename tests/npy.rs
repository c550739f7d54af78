//! `.npy` reading and writing: round trips for every dtype, both orders and ranks 0..=4, exact
//! error messages, and property tests feeding the reader random, truncated and lying input.
//!
//! `numpy_interop` is driven by `.ci/numpy_check.py` (it needs NumPy) and is ignored otherwise.

use array_expr::io::{read_npy, read_npy_from, write_npy, write_npy_to, NpyHeader, NpyWriter};
use array_expr::{Array, ArrayView, DType, Element, ErrorKind, Order, Slice};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp dir, unique to this process and call, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("array_expr_npy_{}_{n}_{tag}.npy", std::process::id());
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

/// Deterministic test values; `.ci/numpy_check.py` computes the same ones with NumPy.
trait Sample: Element {
    fn sample(i: usize) -> Self;
}

macro_rules! sample_float {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                (i as f64 * 0.25 - 7.5) as $t
            }
        }
    )*};
}
sample_float!(f32, f64);

macro_rules! sample_int {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                (i as i64 * 37 + 11) as $t
            }
        }
    )*};
}
sample_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Sample for bool {
    fn sample(i: usize) -> Self {
        i % 3 == 0
    }
}

/// An array of `shape` in `order` whose element at C-order position `i` is `sample(i)`.
fn sample_array<T: Sample, const D: usize>(shape: [usize; D], order: Order) -> Array<T, D> {
    let mut i = 0;
    let c = Array::from_fn(shape, |_| {
        i += 1;
        T::sample(i - 1)
    });
    c.view().to_owned_order(order)
}

fn header_of(path: &TempPath) -> NpyHeader {
    NpyHeader::from_bytes(&std::fs::read(path).expect("read back")).expect("header")
}

/// Writes `view` to a file and to memory, reads both back, and checks values, shape, the
/// order recorded in the header and the order of the array read back.
fn check_round_trip<T: Element, const D: usize>(view: &ArrayView<'_, T, D>, want_f: bool) {
    let path = TempPath::new(T::DTYPE.name());
    write_npy(&path, view).expect("write_npy");
    let header = header_of(&path);
    assert_eq!(header.dtype(), T::DTYPE);
    assert_eq!(header.shape(), &view.shape()[..]);
    assert_eq!(header.fortran_order(), want_f, "shape {:?}", view.shape());
    let back: Array<T, D> = read_npy(&path).expect("read_npy");
    assert_eq!(back.shape(), view.shape());
    assert_eq!(back.to_vec(), view.to_vec());
    if want_f {
        assert!(back.is_f_contiguous() && !back.is_c_contiguous());
    } else {
        assert!(back.is_c_contiguous());
    }

    let mut bytes = Vec::new();
    write_npy_to(&mut bytes, view).expect("write_npy_to");
    assert_eq!(bytes, std::fs::read(&path).expect("file bytes"));
    let back: Array<T, D> = read_npy_from(&bytes[..]).expect("read_npy_from");
    assert_eq!(back.to_vec(), view.to_vec());
}

fn round_trip_layouts<T: Sample, const D: usize>(shape: [usize; D]) {
    let c = sample_array::<T, D>(shape, Order::C);
    check_round_trip(&c.view(), false);
    let f = sample_array::<T, D>(shape, Order::F);
    check_round_trip(&f.view(), f.is_f_contiguous() && !f.is_c_contiguous());
    if D > 0 {
        // a reversed first axis is neither C- nor F-contiguous: written in C order
        let reversed = c.view().invert_axis(0).expect("axis 0");
        check_round_trip(&reversed, false);
    }
}

fn round_trip_all_ranks<T: Sample>() {
    round_trip_layouts::<T, 0>([]);
    for s in [[0], [1], [5]] {
        round_trip_layouts::<T, 1>(s);
    }
    for s in [[0, 3], [3, 0], [1, 4], [4, 1], [3, 5]] {
        round_trip_layouts::<T, 2>(s);
    }
    for s in [[2, 3, 4], [2, 0, 4], [1, 3, 1]] {
        round_trip_layouts::<T, 3>(s);
    }
    for s in [[2, 3, 2, 3], [0, 0, 0, 0], [3, 1, 2, 1]] {
        round_trip_layouts::<T, 4>(s);
    }
}

macro_rules! round_trip_tests {
    ($($name:ident: $t:ty),* $(,)?) => {$(
        #[test]
        fn $name() {
            round_trip_all_ranks::<$t>();
        }
    )*};
}

round_trip_tests! {
    round_trip_bool: bool,
    round_trip_i8: i8,
    round_trip_i16: i16,
    round_trip_i32: i32,
    round_trip_i64: i64,
    round_trip_u8: u8,
    round_trip_u16: u16,
    round_trip_u32: u32,
    round_trip_u64: u64,
    round_trip_f32: f32,
    round_trip_f64: f64,
}

#[test]
fn float_specials_keep_their_bits() {
    let values = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 5e-324, f64::MAX];
    let a = Array::from_vec(values.to_vec());
    let mut bytes = Vec::new();
    write_npy_to(&mut bytes, &a.view()).unwrap();
    let back: Array<f64, 1> = read_npy_from(&bytes[..]).unwrap();
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(back.to_vec()), bits(values.to_vec()));
}

#[test]
fn f_contiguous_view_is_written_as_stored() {
    let a = sample_array::<i32, 3>([2, 3, 4], Order::C);
    let t = a.view().permute_axes([2, 1, 0]).unwrap(); // F-contiguous, shape [4, 3, 2]
    let path = TempPath::new("fview");
    write_npy(&path, &t).unwrap();
    assert!(header_of(&path).fortran_order());
    let bytes = std::fs::read(&path).unwrap();
    let data: Vec<i32> =
        bytes[128..].chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(data, a.as_slice_memory_order()); // the memory as it was, not transposed
    let back: Array<i32, 3> = read_npy(&path).unwrap();
    assert_eq!(back.to_vec(), t.to_vec());
}

#[test]
fn strided_and_broadcast_views_are_written_in_c_order() {
    let a = sample_array::<u16, 2>([6, 5], Order::C);
    let v = a.view().slice([Slice::from(1..).step_by(2), Slice::full().step_by(-2)]).unwrap();
    check_round_trip(&v, false);
    let row = Array::from_vec(vec![1.5f32, 2.5, 3.5]);
    check_round_trip(&row.view().broadcast_to([4, 3]).unwrap(), false);
}

#[test]
fn data_larger_than_one_read_chunk() {
    let a = sample_array::<f64, 2>([300, 1000], Order::F);
    check_round_trip(&a.view(), true);
    let b = sample_array::<bool, 1>([3 << 20], Order::C);
    check_round_trip(&b.view(), false);
}

#[test]
fn several_arrays_in_one_stream() {
    let a = sample_array::<i8, 2>([2, 3], Order::C);
    let b = sample_array::<f32, 1>([4], Order::C);
    let mut bytes = Vec::new();
    write_npy_to(&mut bytes, &a.view()).unwrap();
    write_npy_to(&mut bytes, &b.view()).unwrap();
    let mut stream = &bytes[..];
    assert_eq!(read_npy_from::<i8, 2, _>(&mut stream).unwrap(), a);
    assert_eq!(read_npy_from::<f32, 1, _>(&mut stream).unwrap(), b);
    assert!(stream.is_empty());
}

#[test]
fn npy_writer_checks_counts_and_cleans_up() {
    let path = TempPath::new("writer");
    let mut w = NpyWriter::<u8, _>::create(&path, &[2, 2], Order::C).unwrap();
    w.write_slice(&[1, 2, 3]).unwrap();
    let e = w.write_slice(&[4, 5]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.to_string(),
        format!(
            "file `{}`: writing 2 more elements exceeds the 1 remaining of shape [2, 2]",
            path.0.display()
        )
    );
    let e = w.finish().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("file `{}`: 1 elements of shape [2, 2] were never written", path.0.display())
    );
    let mut tmp = path.0.clone().into_os_string();
    tmp.push(".tmp");
    assert!(!path.0.exists() && !Path::new(&tmp).exists());
}

#[test]
fn write_error_names_the_file() {
    let path = std::env::temp_dir().join("array_expr_no_such_dir").join("x.npy");
    let e = write_npy(&path, &Array::<u8, 1>::zeros([1]).view()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().starts_with(&format!("file `{}`: ", path.display())), "{e}");
}

/// Bytes of a `.npy` file with `text` as its header dict (padded like NumPy).
fn file_with_dict(text: &str, data: &[u8]) -> Vec<u8> {
    let mut header = text.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn write_bytes(tag: &str, bytes: &[u8]) -> TempPath {
    let path = TempPath::new(tag);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn exact_error_messages() {
    let a = sample_array::<f64, 2>([2, 3], Order::C);
    let path = TempPath::new("msg");
    write_npy(&path, &a.view()).unwrap();
    let name = path.0.display().to_string();

    let e = read_npy::<f32, 2>(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert_eq!(e.to_string(), format!("file `{name}`: dtype is `<f8` (f64), expected f32"));

    let e = read_npy::<f64, 3>(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ShapeMismatch);
    assert_eq!(e.to_string(), format!("file `{name}`: array has rank 2 (shape [2, 3]), expected rank 3"));

    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 5);
    let short = write_bytes("short", &bytes);
    let e = read_npy::<f64, 2>(&short).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert_eq!(
        e.to_string(),
        format!(
            "file `{}`: data is truncated: shape [2, 3] of f64 needs 48 bytes after the header, \
             found 43",
            short.0.display()
        )
    );
    let e = read_npy_from::<f64, 2, _>(&bytes[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`.npy` stream: data is truncated: shape [2, 3] of f64 needs 48 bytes after the header, \
         found 43"
    );

    let e = read_npy_from::<f64, 2, _>(&b"PK\x03\x04 zip file"[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`.npy` stream: not a `.npy` file (it does not start with the magic string `\\x93NUMPY`)"
    );

    let mut v4 = std::fs::read(&path).unwrap();
    v4[6] = 4;
    let e = read_npy_from::<f64, 2, _>(&v4[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`.npy` stream: unsupported `.npy` format version 4.0 (this reader knows 1.0, 2.0 and 3.0)"
    );

    let bad_bool = file_with_dict("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", &[1, 0, 2, 1]);
    let e = read_npy_from::<bool, 1, _>(&bad_bool[..]).unwrap_err();
    assert_eq!(e.to_string(), "`.npy` stream: bool element 2 (in file order) is the byte 2, expected 0 or 1");

    let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (2 3), }";
    let e = read_npy_from::<f64, 2, _>(&file_with_dict(text, &[0; 48])[..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert_eq!(
        e.to_string(),
        "`.npy` stream: malformed `.npy` header: expected `,` (a one-element shape tuple is \
         written `(n,)`) at byte 53 (found `3`) in \
         `{'descr': '<f8', 'fortran_order': False, 'shape': (2 3), }`"
    );

    let text = "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }";
    let e = read_npy_from::<i32, 1, _>(&file_with_dict(text, &[0; 4])[..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert_eq!(
        e.to_string(),
        "`.npy` stream: big-endian dtype `>i4` is not supported; convert it in NumPy with \
         `a.astype('<i4')`"
    );

    let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    let e = read_npy_from::<f64, 2, _>(&file_with_dict(text, &[])[..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
    assert_eq!(
        e.to_string(),
        "`.npy` stream: shape [4294967296, 4294967296] has more elements than fit in usize"
    );
}

#[test]
fn lying_header_length_against_a_file() {
    let text = "{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }";
    let mut bytes = file_with_dict(text, &[1, 2, 3]);
    bytes[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
    let path = write_bytes("lying", &bytes);
    let e = read_npy::<u8, 1>(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "file `{}`: `.npy` header length 65535 reaches past the end of the input (131 bytes)",
            path.0.display()
        )
    );
}

#[test]
fn huge_shape_over_short_data_does_not_allocate() {
    // 2^40 bytes claimed, 16 present: an error after reading 16 bytes, not a 1 TiB allocation
    let text = "{'descr': '<u1', 'fortran_order': False, 'shape': (1048576, 1048576), }";
    let bytes = file_with_dict(text, &[7; 16]);
    let e = read_npy_from::<u8, 2, _>(&bytes[..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert!(e.to_string().contains("found 16"), "{e}");
    let path = write_bytes("huge", &bytes);
    let e = read_npy::<u8, 2>(&path).unwrap_err();
    assert!(e.to_string().contains("found 16"), "{e}");
}

#[test]
fn other_versions_are_read() {
    let text = b"{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }\n";
    for major in [2u8, 3] {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[major, 0]);
        bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
        bytes.extend_from_slice(text);
        for x in [1i16, 2, 3, 4] {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        let a: Array<i16, 2> = read_npy_from(&bytes[..]).unwrap();
        assert_eq!(a.to_vec(), vec![1, 3, 2, 4]);
        assert!(a.is_f_contiguous());
    }
}

/// Error kinds a reader may return for bad input.
fn is_input_error(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Format | ErrorKind::DType | ErrorKind::ShapeMismatch | ErrorKind::Overflow)
}

fn valid_file() -> Vec<u8> {
    let mut bytes = Vec::new();
    write_npy_to(&mut bytes, &sample_array::<f32, 2>([3, 4], Order::C).view()).unwrap();
    bytes
}

/// A shape tuple in Python syntax, with `ws` around the numbers and an optional trailing comma.
fn shape_text(dims: &[usize], ws: &str, trailing: bool) -> String {
    let items: Vec<String> = dims.iter().map(|d| format!("{ws}{d}{ws}")).collect();
    let comma = if dims.len() == 1 || (trailing && !dims.is_empty()) { "," } else { "" };
    format!("({}{comma})", items.join(","))
}

prop_compose! {
    /// A valid header dict in any key order and spacing, with the values it encodes.
    fn valid_dict()(
        dtype in prop::sample::select(DType::ALL.to_vec()),
        fortran in any::<bool>(),
        dims in prop::collection::vec(0usize..100_000, 0..5),
        order in Just([0usize, 1, 2]).prop_shuffle(),
        ws in prop::sample::select(vec!["", " ", "  ", "\t", "\n ", "\r\n"]),
        quote in prop::sample::select(vec!["'", "\""]),
        trailing in any::<bool>(),
    ) -> (String, DType, bool, Vec<usize>) {
        let q = |s: &str| format!("{quote}{s}{quote}");
        let fortran_text = if fortran { "True" } else { "False" };
        let entries = [
            format!("{}{ws}:{ws}{}", q("descr"), q(dtype.npy_descr())),
            format!("{}:{ws}{fortran_text}", q("fortran_order")),
            format!("{}:{ws}{}", q("shape"), shape_text(&dims, ws, trailing)),
        ];
        let body: Vec<&str> = order.iter().map(|&i| entries[i].as_str()).collect();
        let tail = if trailing { format!(",{ws}") } else { String::new() };
        let text = format!("{{{ws}{}{tail}}}", body.join(&format!(",{ws}")));
        (text, dtype, fortran, dims)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_are_rejected(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let e = read_npy_from::<f32, 2, _>(&bytes[..]).unwrap_err();
        prop_assert!(is_input_error(e.kind()), "{e}");
    }

    #[test]
    fn random_bytes_after_the_magic_are_rejected(
        version in prop::sample::select(vec![[1u8, 0], [2, 0], [3, 0]]),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut file = b"\x93NUMPY".to_vec();
        file.extend_from_slice(&version);
        file.extend_from_slice(&bytes);
        let path = write_bytes("fuzz", &file);
        for result in [read_npy_from::<u8, 1, _>(&file[..]), read_npy::<u8, 1>(&path)] {
            if let Err(e) = result {
                prop_assert!(is_input_error(e.kind()), "{e}");
            }
        }
    }

    #[test]
    fn truncated_files_are_format_errors(cut in 0usize..176) {
        let bytes = valid_file();
        prop_assume!(cut < bytes.len());
        let e = read_npy_from::<f32, 2, _>(&bytes[..cut]).unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::Format, "{}", e);
        let path = write_bytes("cut", &bytes[..cut]);
        let e = read_npy::<f32, 2>(&path).unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::Format, "{}", e);
    }

    #[test]
    fn mutated_files_never_panic(at in 0usize..176, byte in any::<u8>()) {
        let mut bytes = valid_file();
        let n = bytes.len();
        bytes[at % n] = byte;
        if let Err(e) = read_npy_from::<f32, 2, _>(&bytes[..]) {
            prop_assert!(is_input_error(e.kind()), "{e}");
        }
    }

    #[test]
    fn lying_header_lengths_are_rejected(len in any::<u32>(), major in 2u8..4) {
        let mut bytes = valid_file();
        let text = bytes.split_off(10);
        bytes[6] = major;
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(&text);
        let path = write_bytes("len", &bytes);
        for result in [read_npy_from::<f32, 2, _>(&bytes[..]), read_npy::<f32, 2>(&path)] {
            if let Err(e) = result {
                prop_assert!(is_input_error(e.kind()), "{e}");
            }
        }
    }

    #[test]
    fn oversized_shapes_are_errors(dims in prop::collection::vec(any::<usize>(), 2)) {
        let text = format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}",
            dims[0], dims[1]
        );
        let bytes = file_with_dict(&text, &[0; 64]);
        match read_npy_from::<f64, 2, _>(&bytes[..]) {
            Ok(a) => prop_assert!(a.len() * 8 <= 64),
            Err(e) => prop_assert!(
                matches!(e.kind(), ErrorKind::Overflow | ErrorKind::Format), "{e}"
            ),
        }
    }

    #[test]
    fn valid_dicts_parse((text, dtype, fortran, dims) in valid_dict()) {
        let bytes = file_with_dict(&text, &[]);
        let h = NpyHeader::from_bytes(&bytes).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(h.dtype(), dtype);
        prop_assert_eq!(h.fortran_order(), fortran);
        prop_assert_eq!(h.shape(), &dims[..]);
        prop_assert_eq!(h.data_offset(), bytes.len());
    }

    #[test]
    fn edited_dicts_never_panic(
        (text, ..) in valid_dict(),
        at in any::<prop::sample::Index>(),
        edit in prop::sample::select(vec![
            "", "'", "\"", ",", ":", "(", ")", "{", "}", "[", "-", "0", "L", "\\", "\u{e9}", "\0",
            "True", "'x'", "99999999999999999999999",
        ]),
        delete in any::<bool>(),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        if delete && i < chars.len() {
            chars.remove(i);
        }
        let mut edited: String = chars[..i].iter().collect();
        edited.push_str(edit);
        edited.extend(&chars[i..]);
        if let Err(e) = NpyHeader::from_bytes(&file_with_dict(&edited, &[])) {
            prop_assert!(is_input_error(e.kind()), "{e}");
        }
    }
}

/// NumPy interop, driven by `.ci/numpy_check.py` (which sets `NPY_CHECK_DIR`): reads every
/// `np_*.npy` file NumPy wrote there, checks dtype, shape, order and values, checks that the
/// `bad_<kind>_*.npy` files fail with that kind, and writes `rs_*.npy` files for NumPy to check.
#[test]
#[ignore = "needs NumPy: run `python3 .ci/numpy_check.py`"]
fn numpy_interop() {
    let Some(dir) = std::env::var_os("NPY_CHECK_DIR") else {
        eprintln!("NPY_CHECK_DIR is not set; run `python3 .ci/numpy_check.py`");
        return;
    };
    let dir = PathBuf::from(dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("NPY_CHECK_DIR")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let (mut read, mut rejected) = (0, 0);
    for name in &names {
        let Some(stem) = name.strip_suffix(".npy") else { continue };
        if let Some(spec) = stem.strip_prefix("np_") {
            interop_case(&dir, spec);
            read += 1;
        } else if let Some(rest) = stem.strip_prefix("bad_") {
            interop_bad(&dir.join(name), rest);
            rejected += 1;
        }
    }
    for dtype in ["f32", "f64"] {
        interop_specials(&dir, dtype);
    }
    assert!(read > 0, "no np_*.npy files in {}", dir.display());
    eprintln!("numpy_interop: read {read} NumPy files, rejected {rejected} bad files");
}

/// `spec` is `{dtype}_{order}_{shape}[_{tag}]` with shape `AxBxC` or `scalar`.
fn interop_case(dir: &Path, spec: &str) {
    let parts: Vec<&str> = spec.split('_').collect();
    let [dtype, order, shape, ..] = parts[..] else { panic!("bad interop file name np_{spec}.npy") };
    let shape: Vec<usize> = match shape {
        "scalar" => vec![],
        s => s.split('x').map(|d| d.parse().expect("shape digit")).collect(),
    };
    let order = if order == "F" { Order::F } else { Order::C };
    let src = dir.join(format!("np_{spec}.npy"));
    let out = |layout: &str| dir.join(format!("rs_{dtype}_{layout}_{}.npy", &spec[dtype.len() + 3..]));
    let outs = [out(if order == Order::F { "F" } else { "C" }), out("S")];
    match dtype {
        "bool" => interop_rank::<bool>(&src, &shape, order, &outs),
        "i8" => interop_rank::<i8>(&src, &shape, order, &outs),
        "i16" => interop_rank::<i16>(&src, &shape, order, &outs),
        "i32" => interop_rank::<i32>(&src, &shape, order, &outs),
        "i64" => interop_rank::<i64>(&src, &shape, order, &outs),
        "u8" => interop_rank::<u8>(&src, &shape, order, &outs),
        "u16" => interop_rank::<u16>(&src, &shape, order, &outs),
        "u32" => interop_rank::<u32>(&src, &shape, order, &outs),
        "u64" => interop_rank::<u64>(&src, &shape, order, &outs),
        "f32" => interop_rank::<f32>(&src, &shape, order, &outs),
        "f64" => interop_rank::<f64>(&src, &shape, order, &outs),
        other => panic!("unknown dtype `{other}` in np_{spec}.npy"),
    }
}

fn interop_rank<T: Sample>(src: &Path, shape: &[usize], order: Order, outs: &[PathBuf; 2]) {
    match shape.len() {
        0 => interop_check::<T, 0>(src, [], order, outs),
        1 => interop_check::<T, 1>(src, [shape[0]], order, outs),
        2 => interop_check::<T, 2>(src, [shape[0], shape[1]], order, outs),
        3 => interop_check::<T, 3>(src, [shape[0], shape[1], shape[2]], order, outs),
        4 => interop_check::<T, 4>(src, [shape[0], shape[1], shape[2], shape[3]], order, outs),
        r => panic!("rank {r} is not covered"),
    }
}

/// Reads a NumPy file and compares it with the expected array; writes the expected array in the
/// same order (`outs[0]`) and reversed along axis 0 from a strided view (`outs[1]`).
fn interop_check<T: Sample, const D: usize>(
    src: &Path,
    shape: [usize; D],
    order: Order,
    outs: &[PathBuf; 2],
) {
    let want = sample_array::<T, D>(shape, order);
    let got: Array<T, D> = read_npy(src).unwrap_or_else(|e| panic!("reading NumPy's {}: {e}", src.display()));
    assert_eq!(got.shape(), shape, "{}", src.display());
    assert_eq!(got.to_vec(), want.to_vec(), "{}", src.display());
    if order == Order::F && !want.is_c_contiguous() {
        assert!(got.is_f_contiguous(), "{} should read as F order", src.display());
    }
    write_npy(&outs[0], &want.view()).expect("writing rs_ file");
    if D > 0 {
        let reversed = want.view().invert_axis(0).expect("axis 0");
        write_npy(&outs[1], &reversed).expect("writing strided rs_ file");
    }
}

/// `bad_{kind}_{what}.npy` must fail to read as rank-1 f64 with that error kind.
fn interop_bad(path: &Path, rest: &str) {
    let kind = match rest.split('_').next() {
        Some("dtype") => ErrorKind::DType,
        Some("format") => ErrorKind::Format,
        Some("shape") => ErrorKind::ShapeMismatch,
        other => panic!("unknown expected kind {other:?} in {}", path.display()),
    };
    let e = read_npy::<f64, 1>(path).expect_err("a bad file must not read");
    assert_eq!(e.kind(), kind, "{}: {e}", path.display());
}

/// NaN, infinities, signed zero, subnormals and extremes, bit for bit, both ways.
fn interop_specials(dir: &Path, dtype: &str) {
    let src = dir.join(format!("special_{dtype}.npy"));
    let out = dir.join(format!("rs_special_{dtype}.npy"));
    match dtype {
        "f32" => {
            let want = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 1e-45, f32::MAX, f32::MIN];
            let got: Array<f32, 1> = read_npy(&src).expect("special_f32");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.to_vec()), bits(&want));
            write_npy(&out, &Array::from_vec(want.to_vec()).view()).expect("rs_special_f32");
        }
        _ => {
            let want = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 5e-324, f64::MAX, f64::MIN];
            let got: Array<f64, 1> = read_npy(&src).expect("special_f64");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.to_vec()), bits(&want));
            write_npy(&out, &Array::from_vec(want.to_vec()).view()).expect("rs_special_f64");
        }
    }
}
