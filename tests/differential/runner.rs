//! Runs one generated kernel over every size set, layout and thread count, and compares each
//! result element with the reference.

use super::data::{mix, Gen, Held, Layout, LAYOUTS};
use super::reduce::{Cx, Table};
use super::values::{F, I};
use array_expr::{parallel, Array, Result};
use std::cell::Cell;

/// Symbol sizes `[n, m, k]` each kernel runs at: empty, all-ones, odd small sizes around the
/// SIMD widths (8 f32 lanes, 32 u8 lanes), and one long axis each past the 512-element
/// reduction block.
pub(crate) const SIZES: [[usize; 3]; 8] =
    [[3, 5, 2], [1, 1, 1], [0, 4, 3], [4, 0, 2], [9, 17, 3], [33, 2, 5], [530, 2, 3], [2, 3, 530]];

/// Thread counts every case runs at, unless `DIFFERENTIAL_THREADS` lists others (`1,3`;
/// `.ci/valgrind.sh` runs one count, where every case costs fifty times more). Every case runs
/// at each, with the split threshold lowered to [`SPLIT_WORK`], and must give the same bits at
/// every count.
pub(crate) const THREADS: [usize; 4] = [1, 2, 3, 4];

/// The thread counts of this run (see [`THREADS`]).
fn thread_counts() -> Vec<usize> {
    match std::env::var("DIFFERENTIAL_THREADS") {
        Ok(list) => list
            .split(',')
            .map(|t| t.trim().parse().expect("DIFFERENTIAL_THREADS lists thread counts, e.g. `1,3`"))
            .collect(),
        Err(_) => THREADS.to_vec(),
    }
}

/// Bytes (or GEMM flops) of work per task at which a pass splits during the tests: small
/// enough that the test sizes split as arrays of megabytes do.
pub(crate) const SPLIT_WORK: usize = 64;

/// Arrays of at least this many elements always lead to a parallel region at 2 or more
/// threads (a run of more than one 512-element block splits), so a kernel that made one
/// must have started a region.
const SPLITS_FROM: usize = 530;

/// Runs `f` with the kernels' thread budget set to `threads` and the split threshold lowered.
pub(crate) fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    parallel::with_threads(threads, || parallel::with_min_task_work(SPLIT_WORK, f))
}

/// One run of a kernel: sizes, operand layouts, data seed.
pub(crate) struct Case {
    /// Sizes of the symbols `n`, `m`, `k`.
    pub(crate) z: [usize; 3],
    /// The layout of every operand, or `None` for a different one per operand.
    pub(crate) layout: Option<Layout>,
    /// The data seed.
    pub(crate) seed: u64,
    /// Whether the data includes NaN, infinities, signed zeros, subnormals, extreme integers.
    pub(crate) specials: bool,
    /// The most elements of any array operand the case made.
    largest: Cell<usize>,
}

impl Case {
    fn layout_for(&self, slot: u64) -> Layout {
        self.layout.unwrap_or(LAYOUTS[(mix(self.seed, 1000 + slot) % LAYOUTS.len() as u64) as usize])
    }

    /// Whether a node of the kernel would hold more elements than the budget: kernels whose
    /// shapes repeat a symbol (`[n, n, n]`) skip the long size sets.
    pub(crate) fn too_big(&self, node_sizes: &[usize]) -> bool {
        node_sizes.iter().any(|&s| s > 20_000)
    }

    fn note(&self, shape: &[usize]) {
        self.largest.set(self.largest.get().max(shape.iter().product()));
    }

    /// Array operand number `slot`.
    pub(crate) fn input<T: Gen, const D: usize>(&self, slot: u64, shape: [usize; D]) -> Held<T, D> {
        self.note(&shape);
        Held::new(shape, self.layout_for(slot), mix(self.seed, slot), self.specials)
    }

    /// An operand that is also written (an in-place update): never a broadcast.
    pub(crate) fn inout<T: Gen, const D: usize>(&self, slot: u64, shape: [usize; D]) -> Held<T, D> {
        self.note(&shape);
        let l = self.layout_for(slot);
        let l = if l == Layout::Broadcast { Layout::Strided } else { l };
        Held::new(shape, l, mix(self.seed, slot), self.specials)
    }

    /// Scalar operand number `slot`.
    pub(crate) fn scalar<T: Gen>(&self, slot: u64) -> T {
        T::gen(mix(self.seed ^ 0x5CA1_AB1E, slot), self.specials)
    }

    /// A destination for an `_into` call, filled with the sentinel.
    pub(crate) fn output<T: Gen, const D: usize>(&self, shape: [usize; D]) -> Held<T, D> {
        self.output_at(0, shape)
    }

    /// Destination number `j` of an `_into` call with several outputs.
    pub(crate) fn output_at<T: Gen, const D: usize>(&self, j: u64, shape: [usize; D]) -> Held<T, D> {
        let l = self.layout_for(77 + j);
        let l = if l == Layout::Broadcast { Layout::Reversed } else { l };
        Held::place(Array::from_fn(shape, |_| T::sentinel()), l, self.seed)
    }
}

/// Element types whose results can be checked against a reference value.
pub(crate) trait Check: Gen {
    /// The reference value type.
    type Ref: Copy + std::fmt::Debug;
    /// `Some(true)` pass, `Some(false)` fail, `None` undecidable (skipped).
    fn verdict(got: Self, want: Self::Ref) -> Option<bool>;
    /// The value's bits, to compare results across thread counts.
    fn bits(self) -> u64;
}

fn float_verdict(got: f64, w: F) -> Option<bool> {
    if w.bad {
        return None;
    }
    Some(if w.v.is_nan() {
        got.is_nan()
    } else if w.e == 0.0 || w.v.is_infinite() {
        got == w.v
    } else {
        (got - w.v).abs() <= w.e
    })
}

impl Check for f32 {
    type Ref = F;
    fn verdict(got: Self, want: F) -> Option<bool> {
        float_verdict(got as f64, want)
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Check for f64 {
    type Ref = F;
    fn verdict(got: Self, want: F) -> Option<bool> {
        float_verdict(got, want)
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

macro_rules! check_exact {
    ($($t:ident),*) => {$(
        impl Check for $t {
            type Ref = I<$t>;
            fn verdict(got: Self, want: I<$t>) -> Option<bool> {
                if want.bad { None } else { Some(got == want.v) }
            }
            fn bits(self) -> u64 {
                self as u64
            }
        }
    )*};
}
check_exact!(i8, i16, i32, i64, u8, u16, u32, u64, bool);

/// The outcome of one case: counts and the first failures.
pub(crate) struct Report<'c> {
    /// Where the reference records the errors it expects.
    pub(crate) cx: &'c Cx,
    /// Elements compared and equal within the bound.
    pub(crate) passed: usize,
    /// Elements the bound could not decide.
    pub(crate) skipped: usize,
    /// Descriptions of the failures.
    pub(crate) failures: Vec<String>,
    /// Every result element's bits and every outcome, in call order: equal at every thread count.
    pub(crate) bits: Vec<u64>,
}

impl<'c> Report<'c> {
    /// A report for a case whose reference runs with `cx`.
    pub(crate) fn new(cx: &'c Cx) -> Self {
        Report { cx, passed: 0, skipped: 0, failures: Vec::new(), bits: Vec::new() }
    }

    fn fail(&mut self, msg: String) {
        if self.failures.len() < 6 {
            self.failures.push(msg);
        }
    }

    /// Checks the kernel's error against the reference; true when the values should be compared.
    fn outcome<X>(&mut self, what: &str, res: &Result<X>, empty: bool) -> bool {
        self.bits.push(match res {
            Ok(_) => u64::MAX,
            Err(e) => hash(&e.to_string()),
        });
        let must = self.cx.must.borrow();
        let may = self.cx.may.borrow();
        match res {
            Ok(_) if must.is_empty() || empty => true,
            Ok(_) => {
                self.fail(format!("{what}: expected an error in {must:?}, got Ok"));
                false
            }
            Err(e) if must.contains(&e.to_string()) || may.contains(&e.to_string()) => false,
            Err(e) if empty && (e.to_string().contains("overflows") || e.to_string().contains("empty")) => {
                false
            }
            Err(e) => {
                self.fail(format!("{what}: unexpected error `{e}` (expected {must:?} / maybe {may:?})"));
                false
            }
        }
    }

    fn compare<T: Check, const R: usize>(&mut self, what: &str, got: &Array<T, R>, want: &Table<T::Ref, R>) {
        if got.shape() != want.shape() {
            self.fail(format!("{what}: shape {:?}, expected {:?}", got.shape(), want.shape()));
            return;
        }
        super::data::for_each_index(got.shape(), |i| {
            self.bits.push(got[i].bits());
            match T::verdict(got[i], want.at(i)) {
                Some(true) => self.passed += 1,
                None => self.skipped += 1,
                Some(false) => self.fail(format!("{what} at {i:?}: got {:?}, want {:?}", got[i], want.at(i))),
            }
        });
    }

    /// Checks an allocating call.
    pub(crate) fn array<T: Check, const R: usize>(
        &mut self,
        res: Result<Array<T, R>>,
        want: &Table<T::Ref, R>,
    ) {
        let empty = want.shape().contains(&0);
        if self.outcome("allocating call", &res, empty) {
            if let Ok(got) = res {
                self.compare("allocating call", &got, want);
            }
        }
    }

    /// Checks a call with a scalar result.
    pub(crate) fn scalar<T: Check>(&mut self, res: Result<T>, want: &Table<T::Ref, 0>) {
        if self.outcome("scalar result", &res, false) {
            if let Ok(got) = res {
                self.compare("scalar result", &Array::full([], got), want);
            }
        }
    }

    /// Checks an `_into` or in-place call that wrote `out`.
    pub(crate) fn written<T: Check, const R: usize>(
        &mut self,
        what: &str,
        res: Result<()>,
        out: &Held<T, R>,
        want: &Table<T::Ref, R>,
    ) {
        let empty = want.shape().contains(&0);
        if self.status(what, res, empty) {
            self.contents(what, out, want);
        }
    }

    /// Checks the outcome of a call that writes several outputs (`empty`: one of them is
    /// empty); true when their contents should be compared with [`Report::contents`].
    pub(crate) fn status(&mut self, what: &str, res: Result<()>, empty: bool) -> bool {
        self.outcome(what, &res, empty)
    }

    /// Compares destination `out` of a call that succeeded, and checks nothing outside it
    /// was written.
    pub(crate) fn contents<T: Check, const R: usize>(
        &mut self,
        what: &str,
        out: &Held<T, R>,
        want: &Table<T::Ref, R>,
    ) {
        self.compare(what, &out.current(), want);
        if !out.gaps_untouched() {
            self.fail(format!("{what}: wrote outside the destination view"));
        }
    }

    /// Checks the error of a call with several results that failed (`empty`: one of them is
    /// empty).
    pub(crate) fn error(&mut self, e: array_expr::Error, empty: bool) {
        self.outcome::<()>("allocating call", &Err(e), empty);
    }
}

/// Runs `body` for kernel `name` over every size set, layout and thread count; panics with
/// the failures, when a thread count changes a bit of a result, when no case split over
/// threads although one made an array that must split, or when the bound leaves too many
/// elements undecided.
pub(crate) fn run(name: &str, body: &dyn Fn(&Case, &mut Report<'_>)) {
    let mut tally = Tally::default();
    for (si, &z) in SIZES.iter().enumerate() {
        let long = z.iter().any(|&d| d > 100);
        let layouts: Vec<Option<Layout>> = if long {
            vec![Some(Layout::C), Some(Layout::Reversed), None]
        } else {
            LAYOUTS.iter().copied().map(Some).chain([None, None]).collect()
        };
        for (li, &layout) in layouts.iter().enumerate() {
            let seed = mix(hash(name), (si * 64 + li) as u64);
            let case = Case { z, layout, seed, specials: (si + li) % 2 == 1, largest: Cell::new(0) };
            let mut first: Option<Vec<u64>> = None;
            for &threads in &thread_counts() {
                let bits = run_case(name, &case, threads, body, &mut tally);
                match &first {
                    None => first = Some(bits),
                    Some(one) => {
                        if let Some(msg) = differ(one, &bits) {
                            tally
                                .failures
                                .push(format!("{} threads {threads}: {msg}", describe(name, &case)));
                        }
                    }
                }
            }
        }
    }
    tally.finish(name);
}

/// Counts over all cases of one kernel.
#[derive(Default)]
struct Tally {
    passed: usize,
    skipped: usize,
    failures: Vec<String>,
    /// Parallel regions the kernel started at 2 or more threads.
    regions: u64,
    /// Whether a case at 2 or more threads made an array that must split.
    must_split: bool,
}

impl Tally {
    fn finish(self, name: &str) {
        let Tally { passed, skipped, failures, regions, must_split } = self;
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
        let total = (passed + skipped).max(1);
        println!("{name}: {passed} elements compared, {skipped} undecidable, {regions} parallel regions");
        assert!(
            skipped * 2 <= total,
            "{name}: the error bound left {skipped} of {total} elements undecided; the kernel is too ill-conditioned to test"
        );
        assert!(
            regions > 0 || !must_split,
            "{name}: arrays of {SPLITS_FROM}+ elements at 2-4 threads, but no pass split over threads"
        );
    }
}

/// Runs one case at `threads` threads; returns the bits of its results.
fn run_case(
    name: &str,
    case: &Case,
    threads: usize,
    body: &dyn Fn(&Case, &mut Report<'_>),
    tally: &mut Tally,
) -> Vec<u64> {
    let cx = Cx::default();
    let mut rep = Report::new(&cx);
    let before = parallel::regions_started().1;
    case.largest.set(0);
    with_threads(threads, || body(case, &mut rep));
    if threads > 1 {
        tally.regions += parallel::regions_started().1 - before;
        tally.must_split |= case.largest.get() >= SPLITS_FROM;
    }
    tally.passed += rep.passed;
    tally.skipped += rep.skipped;
    for f in rep.failures {
        tally.failures.push(format!("{} threads {threads}: {f}", describe(name, case)));
    }
    rep.bits
}

fn describe(name: &str, case: &Case) -> String {
    format!(
        "{name} sizes [n, m, k] = {:?}, layout {}, seed {:#x}, specials {}",
        case.z,
        case.layout.map_or("mixed".to_string(), |l| format!("{l:?}")),
        case.seed,
        case.specials
    )
}

/// Where two runs' result bits first differ, if they do.
fn differ(one: &[u64], other: &[u64]) -> Option<String> {
    if one.len() != other.len() {
        return Some(format!("{} result values, {} at 1 thread", other.len(), one.len()));
    }
    let at = one.iter().zip(other).position(|(a, b)| a != b)?;
    Some(format!("value #{at} has bits {:#x}, {:#x} at 1 thread", other[at], one[at]))
}

pub(crate) fn hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3))
}
