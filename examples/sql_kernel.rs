//! A fused kernel as a SQL function: DataFusion plans and runs the query, `array_expr!` does
//! the arithmetic, once per record batch, over Arrow's buffers without copying them.
//!
//! The example writes a CSV file of sensor readings, registers two kernels with DataFusion (a
//! scalar UDF and, for the reduction, an aggregate UDF; their Arrow types come from the
//! `NAME_SIGNATURE` constants the macro generates), runs SQL over the file and checks every
//! result against the same kernels called directly on the same data. Then it times the fused
//! UDF against DataFusion evaluating the same formula from its own built-in functions, on the
//! table loaded into memory (paired, alternating runs; best of five).
//!
//! The same registration works wherever DataFusion runs, including its distributed runners
//! (e.g. Ballista), which is how these kernels scale past one machine.
//!
//! ```text
//! cargo run --release --features datafusion --example sql_kernel              # 4M rows
//! cargo run --release --features datafusion --example sql_kernel -- --small   # 50k rows, for CI
//! ```

mod support;

use array_expr::array_expr;
use array_expr::interop::arrow::as_view_dyn;
use array_expr::interop::datafusion::{KernelUdaf, KernelUdf};
use array_expr::Array;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemTable;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use std::error::Error;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

array_expr! {
    /// A reading's deviation from its reference, scaled, soft-clipped and weighted: one pass.
    pub fn residual(x: f64[n], w: f64[n], s: f64) -> f64[n] {
        tanh((x - w) * s) * sqrt(abs(w) + 1.0)
    }

    /// Sum of squared deviations: a reduction, fused with its producer.
    pub fn sse(x: f64[n], w: f64[n]) -> f64 {
        sum((x - w) * (x - w))
    }
}

const USAGE: &str = "usage: sql_kernel [--small]";
const SENSORS: usize = 8;
const SCALE: f64 = 0.5;

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("sensor", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
        Field::new("w", DataType::Float64, false),
    ])
}

/// Writes `id,sensor,x,w` rows. Rust prints the shortest decimal that parses back to the same
/// f64, so the SQL side reads exactly the values the direct calls use.
fn write_csv(path: &std::path::Path, x: &[f64], w: &[f64]) -> Result<(), Box<dyn Error>> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "id,sensor,x,w")?;
    for (i, (x, w)) in x.iter().zip(w).enumerate() {
        writeln!(f, "{i},{},{x},{w}", i % SENSORS)?;
    }
    f.flush()?;
    Ok(())
}

fn register(ctx: &SessionContext) -> Result<(), Box<dyn Error>> {
    let udf = KernelUdf::new(RESIDUAL_SIGNATURE, |a| residual(a.array(0)?, a.array(1)?, a.scalar(2)?))?;
    ctx.register_udf(udf.into_udf());
    let udaf = KernelUdaf::new(SSE_SIGNATURE, |a| sse(a.array(0)?, a.array(1)?), |p, q| p + q)?;
    ctx.register_udaf(udaf.into_udaf());
    Ok(())
}

async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, Box<dyn Error>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Column `i` of all batches, read through zero-copy views.
fn f64_column(batches: &[RecordBatch], i: usize) -> Result<Vec<f64>, Box<dyn Error>> {
    let mut out = Vec::new();
    for b in batches {
        out.extend_from_slice(&as_view_dyn::<f64>(b.column(i).as_ref(), "column")?.to_vec());
    }
    Ok(out)
}

fn i64_column(batches: &[RecordBatch], i: usize) -> Result<Vec<i64>, Box<dyn Error>> {
    let mut out = Vec::new();
    for b in batches {
        out.extend_from_slice(&as_view_dyn::<i64>(b.column(i).as_ref(), "column")?.to_vec());
    }
    Ok(out)
}

/// The scalar UDF, row by row, against the direct call: bit-identical.
async fn check_rows(ctx: &SessionContext, x: &[f64], w: &[f64]) -> Result<(), Box<dyn Error>> {
    let sql = format!("SELECT id, residual(x, w, {SCALE}) AS r FROM readings ORDER BY id");
    let out = query(ctx, &sql).await?;
    let direct = residual(x, w, SCALE)?.to_vec();
    let got = f64_column(&out, 1)?;
    let same = got.len() == direct.len() && got.iter().zip(&direct).all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "{sql}\n  {} rows in {} batches; bit-identical to residual(&x, &w, {SCALE}): {same}",
        got.len(),
        out.len()
    );
    if !same {
        return Err("the UDF's rows differ from the direct kernel call".into());
    }
    Ok(())
}

/// The aggregate UDF, overall and per sensor, against the direct call (merged per batch, so
/// equal within the sum's rounding bound rather than bit for bit).
async fn check_aggregates(ctx: &SessionContext, x: &[f64], w: &[f64]) -> Result<(), Box<dyn Error>> {
    let sql = "SELECT sensor, sse(x, w) AS sse FROM readings GROUP BY sensor ORDER BY sensor";
    let out = query(ctx, sql).await?;
    let (sensors, got) = (i64_column(&out, 0)?, f64_column(&out, 1)?);
    println!("{sql}");
    let mut worst = 0.0f64;
    for (s, g) in sensors.iter().zip(&got) {
        let s = usize::try_from(*s)?;
        let (xs, ws): (Vec<f64>, Vec<f64>) =
            x.iter().zip(w).skip(s).step_by(SENSORS).map(|(a, b)| (*a, *b)).unzip();
        let want = sse(&xs, &ws)?;
        worst = worst.max((g - want).abs() / want);
        println!("  sensor {s}: {g:.12e}  direct {want:.12e}");
    }
    let total = f64_column(&query(ctx, "SELECT sse(x, w) FROM readings").await?, 0)?;
    let want = sse(x, w)?;
    let rel = total.first().map_or(f64::INFINITY, |t| (t - want).abs() / want);
    println!(
        "SELECT sse(x, w) FROM readings\n  {:.15e}  direct {want:.15e}  (relative difference {rel:.1e})",
        total.first().copied().unwrap_or(f64::NAN)
    );
    worst = worst.max(rel);
    if sensors.len() != SENSORS || worst > 1e-12 {
        return Err(format!(
            "aggregates differ from the direct calls (worst relative difference {worst:.1e})"
        )
        .into());
    }
    Ok(())
}

/// Best of five, alternating: the fused UDF and DataFusion's built-in functions, summed so only
/// one row leaves the query.
async fn time_against_builtins(ctx: &SessionContext, rows: usize) -> Result<(), Box<dyn Error>> {
    let fused = format!("SELECT sum(residual(x, w, {SCALE})) FROM mem");
    let builtin = format!("SELECT sum(tanh((x - w) * {SCALE}) * sqrt(abs(w) + 1.0)) FROM mem");
    let (mut best_f, mut best_b) = (f64::INFINITY, f64::INFINITY);
    let (mut sum_f, mut sum_b) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        sum_f = f64_column(&query(ctx, &fused).await?, 0)?;
        best_f = best_f.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        sum_b = f64_column(&query(ctx, &builtin).await?, 0)?;
        best_b = best_b.min(t.elapsed().as_secs_f64());
    }
    println!("timing over {rows} rows in memory (best of 5, alternating):");
    println!("  {fused}: {:.2} ms", best_f * 1e3);
    println!("  {builtin}: {:.2} ms", best_b * 1e3);
    println!("  built-in / fused: {:.2}x", best_b / best_f);
    let (f, b) = (sum_f.first().copied().unwrap_or(f64::NAN), sum_b.first().copied().unwrap_or(f64::NAN));
    if (f - b).abs() > 1e-9 * f.abs().max(1.0) {
        return Err(format!("the fused and built-in sums disagree: {f} vs {b}").into());
    }
    Ok(())
}

async fn run_async(rows: usize) -> Result<(), Box<dyn Error>> {
    let x = Array::<f64, 1>::random_normal([rows], 7, 0.0, 1.0).to_vec();
    let w = Array::<f64, 1>::random_normal([rows], 8, 0.0, 0.5).to_vec();
    let file = support::TempFile(
        std::env::temp_dir().join(format!("array_expr_sql_kernel_{}.csv", std::process::id())),
    );
    write_csv(&file.0, &x, &w)?;
    let ctx = SessionContext::new();
    register(&ctx)?;
    let path = file.0.to_str().ok_or("the temporary path is not UTF-8")?;
    let schema = schema();
    ctx.register_csv("readings", path, CsvReadOptions::new().schema(&schema)).await?;
    println!(
        "{rows} readings written to {path}; kernels {RESIDUAL_SIGNATURE} and {SSE_SIGNATURE} registered\n"
    );
    check_rows(&ctx, &x, &w).await?;
    check_aggregates(&ctx, &x, &w).await?;
    let batches = query(&ctx, "SELECT x, w FROM readings").await?;
    let mem_schema = batches.first().map(RecordBatch::schema).ok_or("no batches")?;
    ctx.register_table("mem", Arc::new(MemTable::try_new(mem_schema, vec![batches])?))?;
    time_against_builtins(&ctx, rows).await
}

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 0)? else { return Ok(()) };
    let rows = if args.small { 50_000 } else { 4_000_000 };
    tokio::runtime::Builder::new_current_thread().build()?.block_on(run_async(rows))
}

fn main() -> ExitCode {
    support::main("sql_kernel", run)
}
