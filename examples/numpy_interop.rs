//! NumPy in, NumPy out: read an `.npy` file NumPy wrote, run an `array_expr!` kernel (a
//! numerically stable row softmax), write the result as an `.npy` file NumPy reads back.
//!
//! ```text
//! cargo run --release --example numpy_interop -- x.npy y.npy   # your file (2-D float32/float64)
//! cargo run --release --example numpy_interop                  # makes its own input (128 MiB)
//! cargo run --release --example numpy_interop -- --small       # 1000 x 64, for CI
//! ```
//!
//! The NumPy side (`examples/numpy_interop_check.py` runs the same check for C and Fortran
//! order, float32 and float64):
//!
//! ```python
//! import numpy as np, subprocess
//! x = np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)
//! np.save("x.npy", x)                      # np.asfortranarray(x) works too: no copy on our side
//! subprocess.run(["cargo", "run", "--release", "--example", "numpy_interop", "--", "x.npy", "y.npy"], check=True)
//! y = np.load("y.npy")                     # float32, shape (1000, 64), C order
//! e = np.exp(x - x.max(axis=1, keepdims=True))
//! np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
//! ```
//!
//! The dtype and rank come from the file's header; a file of another dtype or rank is an error
//! that names it (no panic, no conversion). The array is used in the layout it was stored in:
//! a Fortran-order file stays F-order in memory and the kernel reads it with its strides (no
//! copy). The result is C order, written byte for byte as `np.save` writes it. The example reads
//! the written file back and checks it bit for bit, and checks that every row sums to 1.

mod support;

use array_expr::io::{read_npy, write_npy, NpyHeader};
use array_expr::{array_expr, Array, DType, Element, Order};
use std::error::Error;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use support::{fmt_bytes, TempFile};

array_expr! {
    /// Row softmax in float32: a max pass, an exp-sum pass (temporaries of `n` elements) and
    /// the output pass.
    pub fn softmax_f32(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }

    /// The same in float64.
    pub fn softmax_f64(x: f64[n, m]) -> f64[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
}

/// A float dtype this example handles: its kernel and the tolerance of a row sum.
trait Float: Element + Into<f64> {
    const ROW_SUM_TOL: f64;
    fn softmax(x: &Array<Self, 2>) -> Result<Array<Self, 2>, array_expr::Error>;
}

impl Float for f32 {
    const ROW_SUM_TOL: f64 = 1e-5;
    fn softmax(x: &Array<f32, 2>) -> Result<Array<f32, 2>, array_expr::Error> {
        softmax_f32(x)
    }
}

impl Float for f64 {
    const ROW_SUM_TOL: f64 = 1e-12;
    fn softmax(x: &Array<f64, 2>) -> Result<Array<f64, 2>, array_expr::Error> {
        softmax_f64(x)
    }
}

/// Largest `|row sum - 1|` of a 2-D C-order result.
fn worst_row_sum<T: Float>(y: &Array<T, 2>) -> f64 {
    let m = y.shape()[1].max(1);
    let rows = y.as_slice_memory_order().chunks(m);
    rows.map(|r| (r.iter().map(|&v| v.into()).sum::<f64>() - 1.0).abs()).fold(0.0, f64::max)
}

/// Read, compute, write, read back and check.
fn process<T: Float>(input: &Path, output: &Path) -> Result<(), Box<dyn Error>> {
    let t = Instant::now();
    let x = read_npy::<T, 2>(input)?;
    let read = t.elapsed().as_secs_f64();
    let layout = if x.is_c_contiguous() {
        "C"
    } else if x.is_f_contiguous() {
        "F"
    } else {
        "strided"
    };
    let t = Instant::now();
    let y = T::softmax(&x)?;
    let compute = t.elapsed().as_secs_f64();
    let t = Instant::now();
    write_npy(output, &y.view())?;
    let write = t.elapsed().as_secs_f64();
    let back = read_npy::<T, 2>(output)?;
    let bytes = x.len() * std::mem::size_of::<T>();
    println!("  in memory: {layout} order as stored (no copy); {}", fmt_bytes(bytes));
    println!("  read  {:8.2} ms  {:6.2} GB/s", read * 1e3, support::gbs(bytes, read));
    println!(
        "  softmax {:6.2} ms  {:6.2} GB/s (read + write)",
        compute * 1e3,
        support::gbs(2 * bytes, compute)
    );
    println!(
        "  write {:8.2} ms  {:6.2} GB/s -> {}",
        write * 1e3,
        support::gbs(bytes, write),
        output.display()
    );
    let same = back.as_slice_memory_order().iter().zip(y.as_slice_memory_order()).all(|(a, b)| a == b);
    let worst = worst_row_sum(&y);
    println!("  read back equal: {same}; largest |row sum - 1| = {worst:.2e}");
    if !same || worst.is_nan() || worst > T::ROW_SUM_TOL {
        return Err(format!("check failed: read back equal {same}, |row sum - 1| up to {worst:.2e}").into());
    }
    Ok(())
}

/// A float32 input with a wide range per row (so the max subtraction matters), in `order`.
fn make_input(path: &Path, rows: usize, cols: usize, order: Order) -> Result<(), Box<dyn Error>> {
    let x = Array::<f32, 2>::random_uniform([rows, cols], 5, -40.0, 40.0);
    write_npy(path, &x.view().to_owned_order(order).view())?;
    Ok(())
}

const USAGE: &str =
    "usage: numpy_interop [--small] [IN.npy [OUT.npy]]  (IN: a 2-D float32 or float64 .npy file)";

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 2)? else { return Ok(()) };
    let made_out = TempFile::new("numpy_interop_out");
    let output = args.positional.get(1).map_or(made_out.0.clone(), |p| Path::new(p).to_path_buf());
    if let Some(p) = args.positional.first() {
        return convert(Path::new(p), &output);
    }
    // No input given: make one in C order and one in Fortran order (np.asfortranarray).
    let (rows, cols) = if args.small { (1000, 64) } else { (131_072, 256) };
    for order in [Order::C, Order::F] {
        let made_in = TempFile::new(&format!("numpy_interop_in_{order:?}"));
        make_input(&made_in.0, rows, cols, order)?;
        convert(&made_in.0, &output)?;
    }
    Ok(())
}

/// Reads the header to learn dtype and rank, then runs [`process`] for that dtype.
fn convert(input: &Path, output: &Path) -> Result<(), Box<dyn Error>> {
    let file = std::fs::File::open(input).map_err(|e| format!("cannot open `{}`: {e}", input.display()))?;
    let header = NpyHeader::read_from(std::io::BufReader::new(file))
        .map_err(|e| format!("`{}` is not a readable .npy file: {e}", input.display()))?;
    let (dtype, shape) = (header.dtype(), header.shape().to_vec());
    println!(
        "numpy_interop: {} holds {} {:?}, {} order, format {}.{}",
        input.display(),
        dtype.npy_descr(),
        shape,
        if header.fortran_order() { "F" } else { "C" },
        header.version().0,
        header.version().1
    );
    match (dtype, shape.len()) {
        (DType::F32, 2) => process::<f32>(input, output),
        (DType::F64, 2) => process::<f64>(input, output),
        (d, r) => Err(format!(
            "`{}` holds a {r}-D `{}` ({}) array; this example takes a 2-D float32 or float64 array \
             (in NumPy: `np.save(path, x.astype(np.float32))`)",
            input.display(),
            d.npy_descr(),
            d.name()
        )
        .into()),
    }
}

fn main() -> ExitCode {
    support::main("numpy_interop", run)
}
