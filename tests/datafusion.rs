//! Kernels as DataFusion functions (feature `datafusion`): SQL over in-memory tables of several
//! record batches (odd sizes, nulls) gives what the same kernel gives when called directly.

use array_expr::diagnostics::layout_copies;
use array_expr::interop::datafusion::{KernelUdaf, KernelUdf, NullPolicy};
use array_expr::{array_expr, Array, DType};
use datafusion::arrow::array::{
    Array as _, ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, RecordBatch,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::sync::{Arc, Mutex};

array_expr! {
    /// Several fused operations and a scalar parameter.
    pub fn score(x: f64[n], w: f64[n], s: f64) -> f64[n] {
        tanh((x - w) * s) + sqrt(abs(w))
    }

    /// An f32 kernel: SQL's f64 literals are cast to its type.
    fn blend(a: f32[n], b: f32[n]) -> f32[n] {
        0.25 * a + 0.75 * b
    }

    /// A mask result becomes an Arrow Boolean column.
    fn positive(k: i64[n]) -> bool[n] {
        k > 0
    }

    /// A reduction: the aggregate UDF.
    fn sumsq(x: f64[n], w: f64[n]) -> f64 {
        sum((x - w) * (x - w))
    }

    /// An exact reduction (max), so any batch split gives the same answer.
    fn biggest(k: i64[n]) -> i64 {
        max(k)
    }

    /// Rank 2: no column type for it.
    fn row_norms(m: f32[n, d]) -> f32[n] {
        sum(m * m, axis = 1)
    }
}

const ROWS: usize = 1340;
const BATCHES: [usize; 3] = [1000, 333, 7];

/// The table's columns: `id`, `grp` = id % 3, `x`, `w` (null every 17th row), `a`, `k`.
struct Data {
    x: Vec<f64>,
    w: Vec<Option<f64>>,
    a: Vec<f32>,
    k: Vec<i64>,
}

fn data() -> Data {
    let n = ROWS;
    Data {
        x: (0..n).map(|i| (i as f64 * 0.37).sin() * 3.0).collect(),
        w: (0..n).map(|i| (i % 17 != 5).then(|| (i as f64 * 0.11).cos())).collect(),
        a: (0..n).map(|i| i as f32 * 0.5 - 100.0).collect(),
        k: (0..n).map(|i| (i as i64 * 7919) % 1001 - 500).collect(),
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("grp", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
        Field::new("w", DataType::Float64, true),
        Field::new("a", DataType::Float32, false),
        Field::new("k", DataType::Int64, false),
    ]))
}

fn batch(d: &Data, lo: usize, hi: usize) -> RecordBatch {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(lo as i64..hi as i64)),
        Arc::new(Int64Array::from_iter_values((lo..hi).map(|i| i as i64 % 3))),
        Arc::new(Float64Array::from(d.x[lo..hi].to_vec())),
        Arc::new(Float64Array::from(d.w[lo..hi].to_vec())),
        Arc::new(Float32Array::from(d.a[lo..hi].to_vec())),
        Arc::new(Int64Array::from(d.k[lo..hi].to_vec())),
    ];
    RecordBatch::try_new(schema(), cols).unwrap()
}

/// A session with table `t` split into `sizes` batches, and the kernels registered.
fn session(d: &Data, sizes: &[usize]) -> SessionContext {
    let mut batches = Vec::new();
    let mut lo = 0;
    for &n in sizes {
        batches.push(batch(d, lo, lo + n));
        lo += n;
    }
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    ctx.register_table("t", Arc::new(MemTable::try_new(schema(), vec![batches]).unwrap())).unwrap();
    ctx.register_udf(
        KernelUdf::new(SCORE_SIGNATURE, |a| score(a.array(0)?, a.array(1)?, a.scalar(2)?))
            .unwrap()
            .into_udf(),
    );
    ctx.register_udf(
        KernelUdf::new(SCORE_SIGNATURE, |a| score(a.array(0)?, a.array(1)?, a.scalar(2)?))
            .unwrap()
            .with_name("score_strict")
            .with_null_policy(NullPolicy::Reject)
            .into_udf(),
    );
    ctx.register_udf(
        KernelUdf::new(BLEND_SIGNATURE, |a| blend(a.array(0)?, a.array(1)?)).unwrap().into_udf(),
    );
    ctx.register_udf(KernelUdf::new(POSITIVE_SIGNATURE, |a| positive(a.array(0)?)).unwrap().into_udf());
    ctx.register_udaf(
        KernelUdaf::new(SUMSQ_SIGNATURE, |a| sumsq(a.array(0)?, a.array(1)?), |p, q| p + q)
            .unwrap()
            .into_udaf(),
    );
    ctx.register_udaf(
        KernelUdaf::new(BIGGEST_SIGNATURE, |a| biggest(a.array(0)?), i64::max).unwrap().into_udaf(),
    );
    ctx
}

fn query(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async { ctx.sql(sql).await?.collect().await })
}

/// Column `i` of every batch, concatenated.
fn column<A: Clone + 'static>(batches: &[RecordBatch], i: usize) -> Vec<A> {
    batches.iter().map(|b| b.column(i).as_any().downcast_ref::<A>().unwrap().clone()).collect()
}

fn w_filled(d: &Data) -> Vec<f64> {
    d.w.iter().map(|v| v.unwrap_or(0.0)).collect()
}

#[test]
fn the_signature_constant_states_the_contract() {
    assert_eq!(SCORE_SIGNATURE.to_string(), "score(x: f64[n], w: f64[n], s: f64) -> out: f64[n]");
    assert_eq!(SUMSQ_SIGNATURE.to_string(), "sumsq(x: f64[n], w: f64[n]) -> out: f64");
    assert_eq!(ROW_NORMS_SIGNATURE.inputs[0].rank(), Some(2));
    assert_eq!(POSITIVE_SIGNATURE.outputs[0].dtype, DType::Bool);
}

#[test]
fn a_scalar_udf_gives_each_row_the_direct_kernel_result_and_nulls_where_an_argument_is_null() {
    let d = data();
    let ctx = session(&d, &BATCHES);
    let out = query(&ctx, "SELECT id, score(x, w, 2.5) AS s FROM t ORDER BY id").unwrap();
    let direct = score(&d.x, &w_filled(&d), 2.5).unwrap().to_vec();
    let mut row = 0;
    for s in column::<Float64Array>(&out, 1) {
        for i in 0..s.len() {
            match d.w[row] {
                None => assert!(s.is_null(i), "row {row} has a null `w`"),
                Some(_) => assert_eq!(s.value(i).to_bits(), direct[row].to_bits(), "row {row}"),
            }
            row += 1;
        }
    }
    assert_eq!(row, ROWS);
}

#[test]
fn literals_broadcast_to_array_operands_and_only_widening_casts_are_implicit() {
    let d = data();
    let ctx = session(&d, &BATCHES);
    let out = query(&ctx, "SELECT blend(a, CAST(1.5 AS FLOAT)) FROM t ORDER BY id").unwrap();
    let direct = blend(&d.a, &vec![1.5f32; ROWS]).unwrap().to_vec();
    let got: Vec<f32> = column::<Float32Array>(&out, 0).iter().flat_map(|c| c.values().to_vec()).collect();
    assert_eq!(got, direct);
    let e = query(&ctx, "SELECT blend(a, 1.5) FROM t").unwrap_err().to_string();
    assert!(
        e.contains("No function matches the given name and argument types 'blend(Float32, Float64)'"),
        "{e}"
    );

    let out = query(&ctx, "SELECT score(x, x, 2) FROM t ORDER BY id").unwrap();
    let direct = score(&d.x, &d.x, 2.0).unwrap().to_vec();
    let got: Vec<f64> = column::<Float64Array>(&out, 0).iter().flat_map(|c| c.values().to_vec()).collect();
    assert_eq!(got, direct, "the integer literal 2 widened to the kernel's f64");

    let out = query(&ctx, "SELECT score(x, NULL, 1.0) FROM t").unwrap();
    assert!(
        column::<Float64Array>(&out, 0).iter().all(|c| c.null_count() == c.len()),
        "a NULL literal nulls every row"
    );
}

#[test]
fn a_mask_kernel_returns_a_boolean_column() {
    let d = data();
    let out = query(&session(&d, &BATCHES), "SELECT positive(k) FROM t ORDER BY id").unwrap();
    let got: Vec<bool> =
        column::<BooleanArray>(&out, 0).iter().flat_map(|c| c.values().iter().collect::<Vec<_>>()).collect();
    assert_eq!(got, d.k.iter().map(|&k| k > 0).collect::<Vec<_>>());
}

#[test]
fn null_rejection_and_misuse_fail_the_query_with_the_kernel_s_message() {
    let d = data();
    let ctx = session(&d, &BATCHES);
    let e = query(&ctx, "SELECT score_strict(x, w, 1.0) FROM t").unwrap_err();
    assert!(
        e.to_string().ends_with(
            "argument `w` (column `w`) of kernel `score`: 59 null(s), and the UDF rejects nulls (NullPolicy::Reject)"
        ),
        "{e}"
    );
    let e = query(&ctx, "SELECT score(x, w, x) FROM t").unwrap_err();
    assert!(
        e.to_string().ends_with(
            "argument `s` of kernel `score`: the kernel takes one value here; pass a literal, not a column"
        ),
        "{e}"
    );
    let out = query(&ctx, "SELECT score_strict(x, x, 1.0) FROM t WHERE w IS NOT NULL").unwrap();
    assert_eq!(out.iter().map(RecordBatch::num_rows).sum::<usize>(), ROWS - 79);
}

#[test]
fn kernels_that_do_not_fit_a_function_are_rejected_when_the_udf_is_made() {
    let m = Array::<f32, 2>::from_fn([2, 3], |[i, j]| (i + j) as f32);
    assert_eq!(row_norms(&m).unwrap().to_vec(), vec![5.0, 14.0]);
    let e = KernelUdf::new(ROW_NORMS_SIGNATURE, |a| Ok(Array::<f32, 1>::zeros([a.rows()]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "kernel `row_norms` parameter `m: f32[n, d]`: rank 2 has no column type; UDFs take rank-1 arrays and scalars"
    );
    let e = KernelUdf::new(SUMSQ_SIGNATURE, |_| Ok(Array::<f64, 1>::zeros([0]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "kernel `sumsq`: a scalar UDF returns one rank-1 array, the kernel returns (out: f64)"
    );
    let e = KernelUdaf::<f32>::new(SUMSQ_SIGNATURE, |_| Ok(0.0), |p, q| p + q).unwrap_err();
    assert_eq!(e.to_string(), "kernel `sumsq` returns f64, but the aggregate was built for f32");
    let e = KernelUdaf::<f64>::new(SCORE_SIGNATURE, |_| Ok(0.0), |p, q| p + q).unwrap_err();
    assert_eq!(e.to_string(), "kernel `score` parameter `s: f64`: an aggregate takes rank-1 columns only");
}

/// `layout_copies` is process-wide: the aggregate tests count one at a time.
static COUNTING: Mutex<()> = Mutex::new(());

#[test]
fn an_aggregate_over_one_batch_equals_the_direct_call_and_skips_null_rows_with_one_counted_copy() {
    let _g = COUNTING.lock().unwrap_or_else(|e| e.into_inner());
    let d = data();
    let ctx = session(&d, &[ROWS]);
    let before = layout_copies();
    let out = query(&ctx, "SELECT sumsq(x, w) FROM t").unwrap();
    let after = layout_copies();
    assert_eq!(after.copies - before.copies, 2, "x and w each filtered once");
    assert_eq!(after.bytes - before.bytes, 2 * 8 * (ROWS as u64 - 79));
    let (x, w): (Vec<f64>, Vec<f64>) = d.x.iter().zip(&d.w).filter_map(|(x, w)| Some((*x, (*w)?))).unzip();
    let got = column::<Float64Array>(&out, 0)[0].value(0);
    assert_eq!(got.to_bits(), sumsq(&x, &w).unwrap().to_bits());
}

#[test]
fn an_aggregate_over_batches_and_groups_merges_partials() {
    let _g = COUNTING.lock().unwrap_or_else(|e| e.into_inner());
    let d = data();
    let ctx = session(&d, &BATCHES);
    let out = query(&ctx, "SELECT grp, sumsq(x, w), biggest(k) FROM t GROUP BY grp ORDER BY grp").unwrap();
    let (grp, ss, big) =
        (column::<Int64Array>(&out, 0), column::<Float64Array>(&out, 1), column::<Int64Array>(&out, 2));
    let (grp, ss, big) = (&grp[0], &ss[0], &big[0]);
    assert_eq!(grp.values().to_vec(), vec![0, 1, 2]);
    for g in 0..3 {
        let rows = || (0..ROWS).filter(move |i| i % 3 == g);
        let (x, w): (Vec<f64>, Vec<f64>) = rows().filter_map(|i| Some((d.x[i], d.w[i]?))).unzip();
        let want = sumsq(&x, &w).unwrap();
        let got = ss.value(g);
        assert!((got - want).abs() <= want * 1e-13, "group {g}: {got} vs {want}");
        let k: Vec<i64> = rows().map(|i| d.k[i]).collect();
        assert_eq!(big.value(g), biggest(&k).unwrap(), "group {g}");
    }
    let out = query(&ctx, "SELECT biggest(k) FROM t WHERE id < 0").unwrap();
    assert!(column::<Int64Array>(&out, 0)[0].is_null(0), "the aggregate of no rows is NULL");
}
