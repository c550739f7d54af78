//! Out-of-core column statistics over a memory-mapped `.npy` file larger than the memory the
//! process uses.
//!
//! 1. Streams a 16384 x 16384 `f32` array (1 GiB) to an `.npy` file row by row with
//!    `NpyWriter`, keeping the column sums of the values it generates.
//! 2. Maps the file with `MmapArray` and computes per-column sums and means in blocks of rows
//!    (accumulating in `f64`); the iterator releases the pages of finished blocks.
//! 3. Checks the sums against those from step 1 (same additions in the same order, so they
//!    must be bit-identical) and prints the file size, the times and the peak resident set size
//!    (`VmHWM` from `/proc/self/status`), which stays far below the file size.
//!
//! ```text
//! cargo run --release --example out_of_core            # 1 GiB
//! cargo run --example out_of_core -- --small           # 4 MB, for CI (or ARRAY_EXPR_SMALL=1)
//! cargo run --release --example out_of_core -- --keep-pages   # no page release, to compare
//! ```
//!
//! The file goes to the system temp dir and is removed at the end, also on error. Right after
//! writing, the file's pages sit in the kernel's page cache, so the pass reads memory, not disk;
//! the page cache belongs to the kernel and is not counted in the process's RSS.

use array_expr::io::{AxisChunks, MmapArray, NpyWriter};
use array_expr::{ArrayView, Order};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

/// Bytes per block of rows in the mapped pass.
const BLOCK_BYTES: usize = 16 << 20;

/// In the full-size run, a peak RSS above this fails the example: memory must stay bounded.
const RSS_LIMIT: u64 = 256 << 20;

/// Removes the file when dropped, so an error on the way still cleans up.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The element at row `i`, column `j`: multiples of 1/1024 in [-0.5, 0.5), exact in `f32`.
fn value(i: usize, j: usize) -> f32 {
    ((i * 31 + j * 17) % 1024) as f32 / 1024.0 - 0.5
}

/// Writes the array row by row; returns the column sums of the values written.
fn write_file(path: &PathBuf, rows: usize, cols: usize) -> Result<Vec<f64>, Box<dyn Error>> {
    let mut writer = NpyWriter::<f32, _>::create(path, &[rows, cols], Order::C)?;
    let mut sums = vec![0.0f64; cols];
    let mut row = vec![0.0f32; cols];
    for i in 0..rows {
        for (j, (x, s)) in row.iter_mut().zip(&mut sums).enumerate() {
            *x = value(i, j);
            *s += f64::from(*x);
        }
        writer.write_slice(&row)?;
    }
    writer.finish()?;
    Ok(sums)
}

/// Per-column sums of the mapped file, block of rows by block of rows. With `keep_pages` the
/// blocks come from a plain `AxisChunks` over the view, which does not release pages: that is
/// the comparison showing what the release buys (the RSS then grows to the file size).
fn column_sums(
    map: &MmapArray<f32, 2>,
    block_rows: usize,
    keep_pages: bool,
) -> Result<(Vec<f64>, usize), Box<dyn Error>> {
    let cols = map.shape()[1];
    let mut sums = vec![0.0f64; cols];
    let mut blocks = 0;
    let mut add_block = |block: ArrayView<'_, f32, 2>| -> Result<(), Box<dyn Error>> {
        let data = block.as_slice_memory_order().ok_or("a block of whole rows is contiguous")?;
        for row in data.chunks_exact(cols) {
            for (s, &x) in sums.iter_mut().zip(row) {
                *s += f64::from(x);
            }
        }
        blocks += 1;
        Ok(())
    };
    if keep_pages {
        AxisChunks::new(map.view(), 0, block_rows)?.try_for_each(&mut add_block)?;
    } else {
        map.chunks(block_rows)?.try_for_each(&mut add_block)?;
    }
    Ok((sums, blocks))
}

/// A `/proc/self/status` field in bytes (Linux), e.g. `VmHWM` (peak RSS) or `VmRSS`.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

fn rss_text(field: &str) -> String {
    proc_status_bytes(field).map_or_else(|| "n/a".to_string(), |b| format!("{:.1} MiB", mib(b)))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep_pages = args.iter().any(|a| a == "--keep-pages");
    let small = args.iter().any(|a| a == "--small")
        || std::env::var_os("ARRAY_EXPR_SMALL").is_some_and(|v| !v.is_empty() && v != "0");
    let (rows, cols) = if small { (1024, 1000) } else { (16384, 16384) };
    let path = std::env::temp_dir().join(format!("array_expr_out_of_core_{}.npy", std::process::id()));
    let _cleanup = RemoveOnDrop(path.clone());

    let t = Instant::now();
    let expected = write_file(&path, rows, cols)?;
    let write_time = t.elapsed().as_secs_f64();
    let file_len = std::fs::metadata(&path)?.len();
    let gib = file_len as f64 / (1u64 << 30) as f64;
    println!("out_of_core: {rows} x {cols} f32, file {} ({file_len} bytes, {gib:.3} GiB)", path.display());
    println!(
        "  write     {write_time:7.3} s  {:6.2} GiB/s  (peak RSS so far {})",
        gib / write_time,
        rss_text("VmHWM")
    );

    let t = Instant::now();
    let map = MmapArray::<f32, 2>::open_npy(&path)?;
    // a few blocks even for the small file, so the chunked path is what runs
    let block_rows = if small { 100 } else { (BLOCK_BYTES / (cols * 4)).max(1) };
    let (sums, blocks) = column_sums(&map, block_rows, keep_pages)?;
    let pass_time = t.elapsed().as_secs_f64();
    println!(
        "  mmap pass {pass_time:7.3} s  {:6.2} GiB/s  ({blocks} blocks of {block_rows} rows, {:.2} MiB each)",
        gib / pass_time,
        mib((block_rows * cols * 4) as u64)
    );

    let means: Vec<f64> = sums.iter().map(|s| s / rows as f64).collect();
    let matches = sums.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "  column means: [{:.6}, {:.6}, ..., {:.6}]; sums equal those computed while writing: {}",
        means[0],
        means[1],
        means[cols - 1],
        if matches { "yes" } else { "NO" }
    );
    let peak = proc_status_bytes("VmHWM");
    println!(
        "  peak RSS (VmHWM) {}, RSS now {}: {} of the file size",
        rss_text("VmHWM"),
        rss_text("VmRSS"),
        peak.map_or_else(|| "n/a".to_string(), |p| format!("{:.1}%", 100.0 * p as f64 / file_len as f64))
    );
    if !matches {
        return Err("column sums of the mapped pass differ from the sums computed while writing".into());
    }
    if let Some(p) = peak.filter(|&p| !small && !keep_pages && p > RSS_LIMIT) {
        return Err(format!("peak RSS {:.1} MiB exceeds the {} MiB bound", mib(p), RSS_LIMIT >> 20).into());
    }
    Ok(())
}
