//! Fuzzing with proptest, against independent models: `.npy` files whose header lies about the
//! shape, dtype or rank (read from memory, from a file and through a memory map), truncated and
//! byte-mutated files through the memory map, and views built from random shapes, strides,
//! offsets and buffer lengths, then sliced, indexed, permuted, broadcast and reshaped with
//! random arguments. Nothing may panic; a call succeeds exactly when the model says it should;
//! every element of every view that is accepted lies inside the buffer (checked by address).
//! `.ci/valgrind.sh` runs this file under memcheck as well.
//!
//! `FUZZ_CASES=n` sets the number of cases per property (default 1000).

use array_expr::io::{read_npy, read_npy_from, MmapArray, NpyHeader};
use array_expr::{ArrayView, ArrayViewMut, DType, Error, Order, Slice};
use proptest::prelude::*;
use std::path::PathBuf;

fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let k = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ae_fuzz_{}_{k}.npy", std::process::id()));
        std::fs::write(&p, bytes).expect("temp file");
        TempFile(p)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const DIMS: [usize; 10] = [0, 1, 2, 3, 5, 7, 1000, 1 << 31, 1 << 62, usize::MAX];

/// What reading a file with this header as `f32` of rank 2 must do: `Ok(elements)` or `Err`.
fn npy_model(dtype: DType, shape: &[usize], data_len: usize) -> Option<usize> {
    if dtype != DType::F32 || shape.len() != 2 {
        return None;
    }
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let bytes = n.checked_mul(4).filter(|&b| b <= isize::MAX as usize)?;
    (data_len >= bytes).then_some(n)
}

fn file_bytes(dtype: DType, shape: &[usize], order: Order, data_len: usize) -> Vec<u8> {
    let mut bytes = NpyHeader::new(dtype, shape, order).to_bytes();
    bytes.extend((0..data_len).map(|i| (i * 7 % 251) as u8 & 0x3F));
    bytes
}

/// Reads every element (an out-of-bounds read would fault or show under valgrind).
fn touch_all<T: Copy>(v: ArrayView<'_, T, 2>) -> usize {
    let mut n = 0;
    v.for_each_ref(|x| {
        std::hint::black_box(*x);
        n += 1;
    });
    n
}

fn check_read(res: Result<usize, Error>, want: Option<usize>, what: &str) -> Result<(), TestCaseError> {
    match (res, want) {
        (Ok(n), Some(w)) => prop_assert_eq!(n, w, "{}", what),
        (Err(_), None) => {}
        (Ok(n), None) => prop_assert!(false, "{what}: read {n} elements of a file that lies"),
        (Err(e), Some(w)) => prop_assert!(false, "{what}: valid file with {w} elements rejected: {e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn lying_npy_headers(
        dtype in prop::sample::select(DType::ALL.to_vec()),
        shape in prop::collection::vec(prop::sample::select(DIMS.to_vec()), 0..4),
        fortran in any::<bool>(),
        slack in 0usize..12,
        short in any::<bool>(),
    ) {
        let order = if fortran { Order::F } else { Order::C };
        let full: Option<usize> = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).and_then(|n| n.checked_mul(4));
        // data exactly as long as the shape needs (when small), a few bytes short, or a few over
        let data_len = match full {
            Some(b) if b <= 4096 && short => b.saturating_sub(slack),
            Some(b) if b <= 4096 => b + slack,
            _ => slack * 8,
        };
        let bytes = file_bytes(dtype, &shape, order, data_len);
        let want = npy_model(dtype, &shape, data_len);
        let from_mem = read_npy_from::<f32, 2, _>(&bytes[..]).map(|a| touch_all(a.view()));
        check_read(from_mem, want, "read_npy_from")?;
        let file = TempFile::new(&bytes);
        check_read(read_npy::<f32, 2>(&file.0).map(|a| touch_all(a.view())), want, "read_npy")?;
        let mapped = MmapArray::<f32, 2>::open_npy(&file.0).map(|m| {
            prop_assert_eq!(m.as_slice().len(), m.len());
            Ok(touch_all(m.view()))
        });
        match mapped {
            Ok(r) => check_read(Ok(r?), want, "open_npy")?,
            Err(e) => check_read(Err(e), want, "open_npy")?,
        }
    }

    #[test]
    fn mapped_files_cut_or_mutated(cut in 0usize..200, at in 0usize..200, byte in any::<u8>(), mutate in any::<bool>()) {
        let mut bytes = file_bytes(DType::F32, &[3, 5], Order::C, 60);
        let n = bytes.len();
        if mutate {
            bytes[at % n] = byte;
        } else {
            bytes.truncate(cut % (n + 1));
        }
        let file = TempFile::new(&bytes);
        if let Ok(m) = MmapArray::<f32, 2>::open_npy(&file.0) {
            let need = m.len() * 4;
            prop_assert!(need <= bytes.len(), "mapped {} elements of a {}-byte file", m.len(), bytes.len());
            prop_assert_eq!(touch_all(m.view()), m.len());
        }
        if let Ok(a) = read_npy::<f32, 2>(&file.0) {
            prop_assert!(a.len() * 4 <= bytes.len());
        }
    }
}

// ---------------------------------------------------------------- views

/// The model of `from_shape_strides`: the view is valid when its byte size fits and every
/// element it reaches lies in the buffer (and, for a mutable view, no two indices alias).
fn view_model(len: usize, shape: [usize; 3], strides: [isize; 3], offset: usize, exclusive: bool) -> bool {
    let Some(n) = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) else { return false };
    if n.checked_mul(4).is_none_or(|b| b > isize::MAX as usize) {
        return false;
    }
    if n == 0 {
        return true;
    }
    let (mut lo, mut hi) = (offset as i128, offset as i128);
    for k in 0..3 {
        let reach = (shape[k] as i128 - 1) * strides[k] as i128;
        if reach < 0 {
            lo += reach
        } else {
            hi += reach
        }
    }
    if lo < 0 || hi >= len as i128 {
        return false;
    }
    !exclusive || distinct(shape, strides, n)
}

fn distinct(shape: [usize; 3], strides: [isize; 3], n: usize) -> bool {
    if n > 4096 {
        return false; // more indices than a buffer of at most 64 elements can hold apart
    }
    let mut seen = std::collections::BTreeSet::new();
    every(shape, |i| {
        seen.insert((0..3).map(|k| i[k] as i128 * strides[k] as i128).sum::<i128>());
    });
    seen.len() == n
}

/// The runtime's documented sufficient test for mutable views: axes longer than 1, sorted by
/// |stride|, each stride exceeds the span of the smaller ones.
fn sorted_strides_apart(shape: [usize; 3], strides: [isize; 3]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut axes: Vec<(u128, u128)> = (0..3)
        .filter(|&k| shape[k] > 1)
        .map(|k| (strides[k].unsigned_abs() as u128, shape[k] as u128))
        .collect();
    axes.sort_unstable();
    let mut span = 0u128;
    for (s, n) in axes {
        if s <= span {
            return false;
        }
        span += s * (n - 1);
    }
    true
}

fn every(shape: [usize; 3], mut f: impl FnMut([usize; 3])) {
    for a in 0..shape[0] {
        for b in 0..shape[1] {
            for c in 0..shape[2] {
                f([a, b, c]);
            }
        }
    }
}

/// Every element address of `v` lies inside `buf` (checked for views of up to 4096 elements).
fn inside<const D: usize>(v: &ArrayView<'_, f32, D>, buf: &[f32]) -> Result<(), TestCaseError> {
    if v.is_empty() || v.len() > 4096 {
        return Ok(());
    }
    let range = buf.as_ptr_range();
    let mut bad = None;
    let mut count = 0;
    v.for_each_ref(|x| {
        count += 1;
        if !range.contains(&(x as *const f32)) {
            bad = Some(x as *const f32);
        }
    });
    prop_assert_eq!(count, v.len());
    prop_assert!(bad.is_none(), "element at {:?} outside the buffer {:?}", bad, range);
    Ok(())
}

fn arb_stride() -> impl Strategy<Value = isize> {
    prop_oneof![4 => -6isize..7, 1 => prop::sample::select(vec![isize::MIN, isize::MAX, 1 << 40, -(1 << 40), 64, -64])]
}

fn arb_dim() -> impl Strategy<Value = usize> {
    prop_oneof![6 => 0usize..5, 1 => prop::sample::select(vec![1 << 20, 1 << 40, usize::MAX / 2, usize::MAX])]
}

fn arb_slice() -> impl Strategy<Value = Slice> {
    let bound =
        prop_oneof![Just(None), (-8isize..9).prop_map(Some), Just(Some(isize::MIN)), Just(Some(isize::MAX))];
    let step = prop_oneof![4 => -3isize..4, 1 => prop::sample::select(vec![isize::MIN, isize::MAX, 0])];
    (bound.clone(), bound, step).prop_map(|(a, b, s)| Slice::new(a, b, s))
}

/// A random derived view; `Err` and `Ok` are both fine, a panic is not.
fn derive<'a>(
    v: ArrayView<'a, f32, 3>,
    op: u8,
    a: usize,
    b: usize,
    s: [Slice; 3],
) -> Option<ArrayView<'a, f32, 3>> {
    match op % 7 {
        0 => v.slice(s).ok(),
        1 => v.index_axis::<2>(a, b).ok()?.insert_axis::<3>(b % 4).ok(),
        2 => v.permute_axes([a % 4, b % 4, (a + b) % 4]).ok(),
        3 => v.invert_axis(a).ok(),
        4 => v.split_at(a, b).ok().map(|(x, y)| if b % 2 == 0 { x } else { y }),
        5 => v.index_axis::<2>(a % 3, 0).ok()?.broadcast_to([b % 5, a % 3 + 1, b % 3]).ok(),
        _ => v.reshape([a % 5, b % 5, a % 3], if b % 2 == 0 { Order::C } else { Order::F }).ok(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn views_from_random_geometry(
        len in 0usize..64,
        shape in [arb_dim(), arb_dim(), arb_dim()],
        strides in [arb_stride(), arb_stride(), arb_stride()],
        offset in prop_oneof![4 => 0usize..70, 1 => prop::sample::select(vec![usize::MAX, isize::MAX as usize, 1 << 40])],
        ops in prop::collection::vec((any::<u8>(), 0usize..6, 0usize..9, [arb_slice(), arb_slice(), arb_slice()]), 0..5),
    ) {
        let buf: Vec<f32> = (0..len).map(|i| i as f32).collect();
        let res = ArrayView::from_shape_strides(&buf, shape, strides, offset);
        prop_assert_eq!(res.is_ok(), view_model(len, shape, strides, offset, false), "read-only view");
        if let Ok(mut v) = res {
            inside(&v, &buf)?;
            for (op, a, b, s) in ops {
                if let Some(d) = derive(v, op, a, b, s) {
                    inside(&d, &buf)?;
                    v = d;
                }
            }
        }
        let mut mbuf = buf.clone();
        let res = ArrayViewMut::from_shape_strides(&mut mbuf, shape, strides, offset);
        // sound: never a view that aliases or leaves the buffer; complete up to the documented
        // sufficient non-overlap test (interleaved axes that happen not to alias are refused)
        let exact = view_model(len, shape, strides, offset, true);
        let documented = view_model(len, shape, strides, offset, false) && sorted_strides_apart(shape, strides);
        prop_assert!(res.is_err() || exact, "mutable view accepted but it aliases or leaves the buffer");
        prop_assert!(res.is_ok() || !documented, "mutable view refused although its strides are apart");
        if let Ok(mut m) = res {
            // every element written once: a view that aliased would double some
            m.for_each_mut(|x| *x += 1000.0);
            let changed = mbuf.iter().zip(&buf).filter(|(a, b)| a != b).count();
            let n: usize = shape.iter().product();
            prop_assert_eq!(changed, n);
            prop_assert!(mbuf.iter().zip(&buf).all(|(a, b)| a == b || *a == b + 1000.0));
        }
    }
}
