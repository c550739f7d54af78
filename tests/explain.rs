//! The explain plans the macro embeds: exact text for representative kernels.

use array_expr::array_expr;

array_expr! {
    /// Row softmax.
    pub fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }

    fn standardize(x: f32[n, m]) -> f32[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-6)
    }

    fn triad(a: f32[n], b: f32[n], s: f32) -> f32[n] {
        a + s * b
    }

    fn outer(x: f32[n], y: f32[m], b: f32[m]) -> f32[n, m] {
        x[:, newaxis] * y + b
    }

    fn dense(x: f32[n, k], w: f32[k, m], b: f32[m]) -> f32[n, m] {
        max(matmul(x, w) + b, 0.0)
    }

    fn scaled(x: f32[n, k], w: f32[k, m]) -> f32[n, m] {
        matmul(2.0 * x, w)
    }

    fn total(x: f64[n, m]) -> f64 {
        sum(x * x)
    }

    fn update(mut y: f32[n], x: f32[n]) {
        y += 2.0 * x
    }
}

array_expr! {
    fn scaled2(x: f32[n, k], w: f32[k, m], s: f32) -> f32[n, m] {
        -2.0 * matmul(x, w * s)
    }
    fn materialized(x: f32[n, k], w: f32[k, m]) -> f32[n, m] {
        matmul(exp(x), w)
    }
    fn biased(x: f64[n, k], w: f64[k, m], b: f64[m]) -> f64[n, m] {
        b + matmul(x, w) * 0.5
    }
}
/// Softmax: a max pass, a pass staging `exp(x - max)` in the output block, a sum pass over
/// it, and the division in place; all row-local (block of rows by block of rows).
#[test]
fn softmax_plan_is_row_local_with_row_sized_temporaries_and_a_staged_exp() {
    let want = concat!(
        "plan of `softmax(x: f32[n, m]) -> f32[n, m]`: 4 passes, 2 temporaries (8·n bytes), no GEMM call\n",
        "row-local: passes 1-4 run block of rows by block of rows (64 KiB of the output per block, at least 8 rows): every reduction keeps axis 0, so a block's temporaries are complete when its later passes run, and each block of the inputs comes from memory once; where the rows of every array it reads are contiguous (or one value per row), a block runs every pass of one row before the next row (rows under 129 elements a group at a time: up to 16 rows of at most 512 elements together, each pass one kernel call over the group, a reduction's values spread over their rows), so the row stays in L1 and a reduction's value for the row stays in a register, and each row's elementwise passes fetch the next row's inputs into the cache as they compute; otherwise each pass covers the whole block and, on one thread, the elementwise passes of a block fetch the next block's input and output rows; on several threads each task runs every pass of its own blocks\n",
        "pass 1: max over axis 1 -> temporary t1: f32[n, 1] (4·n bytes)\n",
        "  fuses: nothing; SIMD block reduction (f32x8), fixed pairwise tree\n",
        "  reads x: f32[n, m]; writes 4·n bytes\n",
        "  cut: pass 2 reads this reduction elementwise; it must be complete before any of its value is used, so it gets its own pass and a reduced-shape temporary\n",
        "pass 2: elementwise over [n, m] -> out: f32[n, m]\n",
        "  fuses: `-`, exp; SIMD loop (f32x8); over C-order rows, t1 read once per row\n",
        "  stages `exp` in the output block for pass 3 and pass 4: computed once, not recomputed\n",
        "  reads x: f32[n, m], t1: f32[n, 1] (broadcast); writes 4·n·m bytes\n",
        "pass 3: sum over axis 1, accumulating in f64 -> temporary t3: f32[n, 1] (4·n bytes)\n",
        "  fuses: nothing; SIMD block reduction (f32x8), fixed pairwise tree\n",
        "  reads out (staged `exp`): f32[n, m]; writes 4·n bytes\n",
        "  cut: pass 4 reads this reduction elementwise; it must be complete before any of its value is used, so it gets its own pass and a reduced-shape temporary\n",
        "pass 4: elementwise over out: f32[n, m], in place\n",
        "  fuses: `/`; SIMD loop (f32x8)\n",
        "  reads out (current values), t3: f32[n, 1] (broadcast); writes 4·n·m bytes\n",
        "memory traffic (summed over the passes; the later passes of a row block hit in cache): reads 16·n·m + 8·n bytes, writes 8·n·m + 8·n bytes\n",
        "unfused (one array per operation, as NumPy evaluates it): 4 intermediate arrays, 8·n·m + 8·n bytes\n",
    );
    assert_eq!(SOFTMAX_PLAN, want);
    // the plan's figures for the group path are the runtime's (the macro crate cannot read them)
    use array_expr::__private::driver::{BLOCK, GROUP_ROW_LEN, ROW_GROUP};
    let groups = format!("rows under {GROUP_ROW_LEN} elements a group at a time: up to {ROW_GROUP} rows of at most {BLOCK} elements");
    assert!(SOFTMAX_PLAN.contains(&groups), "{groups}");
}

#[test]
fn elementwise_chains_are_one_pass_without_temporaries() {
    assert!(TRIAD_PLAN.starts_with(
        "plan of `triad(a: f32[n], b: f32[n], s: f32) -> f32[n]`: 1 pass, 0 temporaries, no GEMM call\n"
    ));
    assert!(TRIAD_PLAN.contains("\n  fuses: `*`, `+`; SIMD loop (f32x8)\n"));
    assert!(TRIAD_PLAN.contains("memory traffic: reads 8·n bytes, writes 4·n bytes\n"));
    assert!(UPDATE_PLAN.contains("pass 1: elementwise update of y: f32[n], in place\n"));
    assert!(UPDATE_PLAN.contains("reads y (current values), x: f32[n]; writes 4·n bytes\n"));
    assert!(TOTAL_PLAN
        .contains("pass 1: sum over all axes -> out: f64\n  fuses: `*`; SIMD block reduction (f64x4)"));
    // a column broadcast: the splat kernel over C-order rows, said in the plan
    assert!(OUTER_PLAN.contains(
        "\n  fuses: `*`, `+`; SIMD loop (f32x8); over C-order rows, x[axis 0, newaxis] read once per row\n"
    ));
}

#[test]
fn column_statistics_keep_m_sized_temporaries() {
    assert!(STANDARDIZE_PLAN.starts_with("plan of `standardize(x: f32[n, m]) -> f32[n, m]`: 3 passes, 2 temporaries (8·m bytes), no GEMM call\n"));
    assert!(STANDARDIZE_PLAN.contains("\n  recomputes `-` (cheaper than a full-size temporary)\n"));
}

#[test]
fn gemm_plans_show_epilogues_alpha_and_prefill() {
    // relu(X @ W + b): GEMM writes the output, one epilogue pass runs over it in place
    assert!(DENSE_PLAN.starts_with("plan of `dense(x: f32[n, k], w: f32[k, m], b: f32[m]) -> f32[n, m]`: 2 passes, 0 temporaries, 1 GEMM call\n"));
    assert!(DENSE_PLAN.contains(
        "pass 2: elementwise epilogue over out: f32[n, m], in place\n  fuses: `+`, max; SIMD loop (f32x8)\n"
    ));
    // scalar factors fold into alpha: no temporary for `2.0 * x`
    assert!(SCALED_PLAN.contains("1 pass, 0 temporaries, 1 GEMM call"));
    assert!(SCALED_PLAN.contains("alpha = 2.0, beta = 0"));
    assert!(SCALED2_PLAN.contains("alpha = -2.0 · s, beta = 0"));
    // an addend pre-fills the output, GEMM accumulates with beta = 1
    assert!(BIASED_PLAN.contains("pass 1: elementwise over [n, m] -> out: f64[n, m]\n  fuses: nothing; SIMD loop (f64x4)\n  reads b: f64[m] (broadcast)"));
    assert!(BIASED_PLAN.contains("pass 2: GEMM x[n, k] @ w[k, m] (matrixmultiply, alpha = 0.5, beta = 1 (output pre-filled with the addend)"));
}

#[test]
fn an_expression_operand_of_gemm_is_a_visible_temporary() {
    assert!(MATERIALIZED_PLAN
        .contains("-> temporary t1: f32[n, k] (4·n·k bytes)\n  fuses: exp; SIMD loop (f32x8)"));
    assert!(MATERIALIZED_PLAN.contains("cut: an operand of a matrix product must be in memory for GEMM, so this expression is materialized once for pass 2\n"));
}
