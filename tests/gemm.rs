//! GEMM, matmul, gemv and dot against naive reference loops, over random shapes (0 and 1
//! included), all four transpose combinations, C/F order, stepped, reversed and broadcast
//! views, and alpha/beta values; integer matmul exactly (wrapping); shape errors verbatim.
//!
//! Tolerances: with integer-valued inputs in [-8, 8] and alpha, beta in {0, 1, -2.5, 0.5},
//! every product and partial sum is exact in f32 and f64 (sizes up to 17), so those runs
//! compare exactly. With real inputs the bound is the standard one for a k-term dot product
//! plus the alpha/beta update: |got - naive| <= 2·(k + 2)·ε·(|alpha|·Σ|a·b| + |beta·c|).

use array_expr::gemm::{dot, gemm, gemv, matmul, matmul_into, matvec, GemmElement};
use array_expr::{diagnostics, Array, ArrayView, ArrayViewMut, ErrorKind, Order, Slice};
use proptest::prelude::*;
use proptest::sample::select;

/// Element types under test, with the reference arithmetic.
trait TestNum: GemmElement {
    fn of(v: f64) -> Self;
    fn f(self) -> f64;
    /// Multiplication in the dtype's own arithmetic (wrapping for integers).
    fn wmul(self, o: Self) -> Self;
    /// Addition in the dtype's own arithmetic (wrapping for integers).
    fn wadd(self, o: Self) -> Self;
    /// Equal, with NaN equal to NaN.
    fn same(self, o: Self) -> bool;
    /// A value that marks padding (NaN for floats).
    const PAD: Self;
}

macro_rules! test_float {
    ($($t:ty),*) => {$(
        impl TestNum for $t {
            fn of(v: f64) -> Self { v as $t }
            fn f(self) -> f64 { self as f64 }
            fn wmul(self, o: Self) -> Self { self * o }
            fn wadd(self, o: Self) -> Self { self + o }
            fn same(self, o: Self) -> bool { self == o || (self.is_nan() && o.is_nan()) }
            const PAD: Self = <$t>::NAN;
        }
    )*};
}
test_float!(f32, f64);

macro_rules! test_int {
    ($($t:ty),*) => {$(
        impl TestNum for $t {
            fn of(v: f64) -> Self { v as $t }
            fn f(self) -> f64 { self as f64 }
            fn wmul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn wadd(self, o: Self) -> Self { self.wrapping_add(o) }
            fn same(self, o: Self) -> bool { self == o }
            const PAD: Self = 77;
        }
    )*};
}
test_int!(i8, i16, i32, i64, u8, u16, u32, u64);

/// How an operand is stored relative to its logical shape.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// Packed, row-major.
    C,
    /// Packed, column-major.
    F,
    /// Every other row and column of a larger array, starting at 1 (strides 2 and 2·cols).
    Step2,
    /// Both axes reversed (negative strides).
    Reversed,
    /// Every other column, walking backwards (stride -2).
    NegStep,
}

const LAYOUTS: &[Layout] = &[Layout::C, Layout::F, Layout::Step2, Layout::Reversed, Layout::NegStep];

/// Storage plus the recipe for the view: `layout` on the stored matrix, then `.t()` if
/// `transposed` (the stored matrix is then the transpose of the logical one).
#[derive(Debug, Clone)]
struct Stored<T: TestNum> {
    data: Array<T, 2>,
    layout: Layout,
    transposed: bool,
}

/// Applies a storage recipe to an `ArrayView` or `ArrayViewMut` (both have the same methods).
macro_rules! shaped {
    ($v:expr, $layout:expr, $transposed:expr) => {{
        let v = $v;
        let v = match $layout {
            Layout::C | Layout::F => v,
            Layout::Step2 => v.slice([Slice::from(1..).step_by(2), Slice::from(1..).step_by(2)]).unwrap(),
            Layout::Reversed => v.invert_axis(0).unwrap().invert_axis(1).unwrap(),
            Layout::NegStep => v.slice([Slice::full(), Slice::full().step_by(-2)]).unwrap(),
        };
        if $transposed {
            v.reversed_axes()
        } else {
            v
        }
    }};
}

impl<T: TestNum> Stored<T> {
    /// Stores the logical matrix `vals` with the recipe; every element outside the view is PAD.
    fn new(vals: &Array<T, 2>, (layout, transposed): (Layout, bool)) -> Self {
        let [r, c] = vals.shape();
        let [s0, s1] = if transposed { [c, r] } else { [r, c] };
        let dims = match layout {
            Layout::C | Layout::F | Layout::Reversed => [s0, s1],
            Layout::Step2 => [2 * s0 + 1, 2 * s1 + 1],
            Layout::NegStep => [s0, 2 * s1],
        };
        let order = if layout == Layout::F { Order::F } else { Order::C };
        let data = Array::from_shape_vec_order(dims, vec![T::PAD; dims[0] * dims[1]], order).unwrap();
        let mut s = Stored { data, layout, transposed };
        s.view_mut().assign(&vals.view()).unwrap();
        s
    }

    fn view(&self) -> ArrayView<'_, T, 2> {
        shaped!(self.data.view(), self.layout, self.transposed)
    }

    fn view_mut(&mut self) -> ArrayViewMut<'_, T, 2> {
        shaped!(self.data.view_mut(), self.layout, self.transposed)
    }
}

/// Integer values in [-8, 8] (exact in every float product and sum used here).
fn small_ints<T: TestNum>(shape: [usize; 2], seed: u64) -> Array<T, 2> {
    let u = Array::<f64, 2>::random_uniform(shape, seed, -8.0, 9.0);
    Array::from_fn(shape, |i| T::of(u[i].floor()))
}

/// Naive triple loop in f64: alpha·A·B + beta·C0, C0 not read when beta == 0.
fn naive_f64<T: TestNum>(
    alpha: f64,
    a: &Array<T, 2>,
    b: &Array<T, 2>,
    beta: f64,
    c0: &Array<T, 2>,
) -> Vec<f64> {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let s: f64 = (0..k).map(|p| a[[i, p]].f() * b[[p, j]].f()).sum();
            out.push(if beta == 0.0 { alpha * s } else { alpha * s + beta * c0[[i, j]].f() });
        }
    }
    out
}

/// Naive triple loop in the dtype's own (wrapping) arithmetic.
fn naive_wrapping<T: TestNum>(
    alpha: T,
    a: &Array<T, 2>,
    b: &Array<T, 2>,
    beta: T,
    c0: &Array<T, 2>,
) -> Vec<T> {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let s = (0..k).fold(T::ZERO, |s, p| s.wadd(a[[i, p]].wmul(b[[p, j]])));
            out.push(alpha.wmul(s).wadd(beta.wmul(c0[[i, j]])));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    a: (Layout, bool),
    b: (Layout, bool),
    c: (Layout, bool),
    alpha: f64,
    beta: f64,
    seed: u64,
}

fn operand() -> impl Strategy<Value = (Layout, bool)> {
    (select(LAYOUTS), any::<bool>())
}

prop_compose! {
    fn case(max: usize)(
        m in 0..=max, k in 0..=max, n in 0..=max,
        a in operand(), b in operand(), c in operand(),
        alpha in select(&[0.0, 1.0, -2.5, 0.5][..]), beta in select(&[0.0, 1.0, -2.5, 0.5][..]),
        seed in any::<u64>(),
    ) -> Case {
        Case { m, k, n, a, b, c, alpha, beta, seed }
    }
}

/// Runs `gemm` on the case with integer-valued data and checks the whole storage of C: the
/// view holds the exact reference values and every padding element is untouched. With
/// beta == 0, C starts as NaN (it must not be read).
fn check_exact<T: TestNum>(t: &Case) {
    let a = small_ints::<T>([t.m, t.k], t.seed);
    let b = small_ints::<T>([t.k, t.n], t.seed ^ 1);
    let c0 =
        if t.beta == 0.0 { Array::full([t.m, t.n], T::PAD) } else { small_ints::<T>([t.m, t.n], t.seed ^ 2) };
    let (sa, sb) = (Stored::new(&a, t.a), Stored::new(&b, t.b));
    let mut sc = Stored::new(&c0, t.c);
    assert_eq!(sa.view().to_vec(), a.to_vec());
    gemm(T::of(t.alpha), &sa.view(), &sb.view(), T::of(t.beta), &mut sc.view_mut()).unwrap();

    let want = naive_f64(t.alpha, &a, &b, t.beta, &c0);
    let mut expected = sc.clone();
    let want_arr = Array::from_shape_vec([t.m, t.n], want.iter().map(|&v| T::of(v)).collect()).unwrap();
    expected.view_mut().assign(&want_arr.view()).unwrap();
    let (got, exp) = (sc.data.as_slice_memory_order(), expected.data.as_slice_memory_order());
    assert!(got.iter().zip(exp).all(|(&g, &e)| g.same(e)), "got {:?}\nwant {:?}", sc.view(), want);
    let pads = got.iter().filter(|x| x.same(T::PAD)).count();
    assert_eq!(pads, got.len() - t.m * t.n, "padding of C was written");
}

proptest! {
    #[test]
    fn gemm_f64_equals_naive_exactly(t in case(17)) {
        check_exact::<f64>(&t);
    }

    #[test]
    fn gemm_f32_equals_naive_exactly(t in case(17)) {
        check_exact::<f32>(&t);
    }

    #[test]
    fn gemm_i32_wraps_like_naive(t in case(17), alpha: i32, beta in select(&[0, 1, -3, i32::MIN][..])) {
        let a = Array::<i32, 2>::random_uniform([t.m, t.k], t.seed, i32::MIN, i32::MAX);
        let b = Array::<i32, 2>::random_uniform([t.k, t.n], t.seed ^ 1, i32::MIN, i32::MAX);
        let c0 = Array::<i32, 2>::random_uniform([t.m, t.n], t.seed ^ 2, i32::MIN, i32::MAX);
        let (sa, sb, mut sc) = (Stored::new(&a, t.a), Stored::new(&b, t.b), Stored::new(&c0, t.c));
        gemm(alpha, &sa.view(), &sb.view(), beta, &mut sc.view_mut()).unwrap();
        prop_assert_eq!(sc.view().to_vec(), naive_wrapping(alpha, &a, &b, beta, &c0));
    }

    #[test]
    fn gemm_f64_real_values_within_bound(t in case(17)) {
        let a = Array::<f64, 2>::random_uniform([t.m, t.k], t.seed, -1.0, 1.0);
        let b = Array::<f64, 2>::random_uniform([t.k, t.n], t.seed ^ 1, -1.0, 1.0);
        let c0 = Array::<f64, 2>::random_uniform([t.m, t.n], t.seed ^ 2, -1.0, 1.0);
        let (sa, sb, mut sc) = (Stored::new(&a, t.a), Stored::new(&b, t.b), Stored::new(&c0, t.c));
        gemm(t.alpha, &sa.view(), &sb.view(), t.beta, &mut sc.view_mut()).unwrap();
        assert_within_bound(&sc.view().to_vec(), &a, &b, &c0, t.alpha, t.beta, f64::EPSILON);
    }

    #[test]
    fn gemm_f32_real_values_within_bound(t in case(17)) {
        let a = Array::<f32, 2>::random_uniform([t.m, t.k], t.seed, -1.0, 1.0);
        let b = Array::<f32, 2>::random_uniform([t.k, t.n], t.seed ^ 1, -1.0, 1.0);
        let c0 = Array::<f32, 2>::random_uniform([t.m, t.n], t.seed ^ 2, -1.0, 1.0);
        let (sa, sb, mut sc) = (Stored::new(&a, t.a), Stored::new(&b, t.b), Stored::new(&c0, t.c));
        gemm(t.alpha as f32, &sa.view(), &sb.view(), t.beta as f32, &mut sc.view_mut()).unwrap();
        let got: Vec<f64> = sc.view().to_vec().into_iter().map(f64::from).collect();
        assert_within_bound(&got, &a, &b, &c0, t.alpha, t.beta, f32::EPSILON as f64);
    }

    /// The module docs promise the same bits whatever the operands' layouts.
    #[test]
    fn gemm_bits_do_not_depend_on_layout(t in case(17), other in case(17)) {
        let a = Array::<f64, 2>::random_uniform([t.m, t.k], t.seed, -1.0, 1.0);
        let b = Array::<f64, 2>::random_uniform([t.k, t.n], t.seed ^ 1, -1.0, 1.0);
        let c0 = Array::<f64, 2>::random_uniform([t.m, t.n], t.seed ^ 2, -1.0, 1.0);
        let mut results = Vec::new();
        for (la, lb, lc) in [(t.a, t.b, t.c), (other.a, other.b, other.c)] {
            let (sa, sb, mut sc) = (Stored::new(&a, la), Stored::new(&b, lb), Stored::new(&c0, lc));
            gemm(t.alpha, &sa.view(), &sb.view(), t.beta, &mut sc.view_mut()).unwrap();
            results.push(sc.view().to_vec().into_iter().map(f64::to_bits).collect::<Vec<_>>());
        }
        prop_assert_eq!(&results[0], &results[1]);
    }
}

/// |got - naive| <= 2·(k + 2)·eps·(|alpha|·Σ|a·b| + |beta·c|) for every element.
fn assert_within_bound<T: TestNum>(
    got: &[f64],
    a: &Array<T, 2>,
    b: &Array<T, 2>,
    c0: &Array<T, 2>,
    alpha: f64,
    beta: f64,
    eps: f64,
) {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let want = naive_f64(alpha, a, b, beta, c0);
    for i in 0..m {
        for j in 0..n {
            let mag: f64 = (0..k).map(|p| (a[[i, p]].f() * b[[p, j]].f()).abs()).sum();
            let tol = 2.0 * (k as f64 + 2.0) * eps * (alpha.abs() * mag + (beta * c0[[i, j]].f()).abs());
            let (g, w) = (got[i * n + j], want[i * n + j]);
            assert!((g - w).abs() <= tol, "[{i}, {j}] of {m}x{k}x{n}: got {g}, naive {w}, tolerance {tol}");
        }
    }
}

#[test]
fn larger_shapes_all_transposes() {
    for (m, k, n) in [(70, 257, 40), (1, 1000, 1), (300, 5, 300), (1, 64, 129), (129, 64, 1)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = Array::<f64, 2>::random_uniform([m, k], 3, -1.0, 1.0);
                let b = Array::<f64, 2>::random_uniform([k, n], 4, -1.0, 1.0);
                let c0 = Array::<f64, 2>::random_uniform([m, n], 5, -1.0, 1.0);
                let (sa, sb) =
                    (Stored::new(&a, (Layout::Step2, ta)), Stored::new(&b, (Layout::Reversed, tb)));
                let mut sc = Stored::new(&c0, (Layout::NegStep, ta));
                gemm(-2.5, &sa.view(), &sb.view(), 0.5, &mut sc.view_mut()).unwrap();
                assert_within_bound(&sc.view().to_vec(), &a, &b, &c0, -2.5, 0.5, f64::EPSILON);
                // and the same bits as with packed row-major operands
                let mut c = c0.clone();
                gemm(-2.5, &a.view(), &b.view(), 0.5, &mut c.view_mut()).unwrap();
                let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
                assert_eq!(bits(sc.view().to_vec()), bits(c.to_vec()), "{m}x{k}x{n}");
            }
        }
    }
}

#[test]
fn broadcast_inputs_with_zero_strides() {
    let row = Array::<f64, 1>::from_vec(vec![1.0, 2.0, 3.0]);
    let a = row.view().broadcast_to([4, 3]).unwrap(); // every row is [1, 2, 3], strides [0, 1]
    let col = Array::<f64, 2>::from_shape_vec([3, 1], vec![1.0, -1.0, 2.0]).unwrap();
    let b = col.view().broadcast_to([3, 5]).unwrap(); // strides [1, 0]
    assert_eq!((a.strides(), b.strides()), ([0, 1], [1, 0]));
    assert_eq!(matmul(&a, &b).unwrap().to_vec(), vec![5.0; 20]);
    let ai = Array::<i64, 1>::from_vec(vec![1, 2, 3]);
    let bi = Array::<i64, 2>::from_shape_vec([3, 1], vec![1, -1, 2]).unwrap();
    let p =
        matmul(&ai.view().broadcast_to([2, 3]).unwrap(), &bi.view().broadcast_to([3, 2]).unwrap()).unwrap();
    assert_eq!(p.to_vec(), vec![5; 4]);
}

#[test]
fn beta_zero_does_not_read_c_and_alpha_zero_does_not_read_a_b() {
    let a = Array::<f64, 2>::from_shape_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let mut c = Array::<f64, 2>::full([2, 2], f64::NAN);
    gemm(1.0, &a.view(), &a.view(), 0.0, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![7.0, 10.0, 15.0, 22.0]);

    let poisoned = Array::<f64, 2>::full([2, 2], f64::NAN);
    gemm(0.0, &poisoned.view(), &poisoned.view(), -1.0, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![-7.0, -10.0, -15.0, -22.0]);
    gemm(0.0, &poisoned.view(), &poisoned.view(), 0.0, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![0.0; 4]);

    let mut cf = Array::<f32, 2>::full([3, 2], f32::INFINITY);
    matmul_into(&Array::<f32, 2>::ones([3, 4]).view(), &Array::ones([4, 2]).view(), &mut cf.view_mut())
        .unwrap();
    assert_eq!(cf.to_vec(), vec![4.0; 6]);
}

#[test]
fn empty_dimensions() {
    // k = 0: C = beta·C, and zeros (C not read) when beta = 0.
    let a = Array::<f64, 2>::zeros([3, 0]);
    let b = Array::<f64, 2>::zeros([0, 2]);
    let mut c = Array::<f64, 2>::full([3, 2], 4.0);
    gemm(1.0, &a.view(), &b.view(), 2.0, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![8.0; 6]);
    c.fill(f64::NAN);
    gemm(1.0, &a.view(), &b.view(), 0.0, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![0.0; 6]);
    assert_eq!(matmul(&a.view(), &b.view()).unwrap().to_vec(), vec![0.0; 6]);
    // m = 0 or n = 0: nothing to do, empty results of the right shape.
    let p = matmul(&Array::<f32, 2>::zeros([0, 5]).view(), &Array::zeros([5, 3]).view()).unwrap();
    assert_eq!(p.shape(), [0, 3]);
    let p = matmul(&Array::<i8, 2>::zeros([2, 5]).view(), &Array::zeros([5, 0]).view()).unwrap();
    assert_eq!(p.shape(), [2, 0]);
    let mut ci = Array::<u16, 2>::full([2, 2], 3);
    gemm(5, &Array::zeros([2, 0]).view(), &Array::zeros([0, 2]).view(), 2, &mut ci.view_mut()).unwrap();
    assert_eq!(ci.to_vec(), vec![6; 4]);
}

#[test]
fn no_layout_copies_for_any_layout() {
    let a = Array::<f32, 2>::random_uniform([40, 30], 1, -1.0, 1.0);
    let b = Array::<f32, 2>::random_uniform([30, 20], 2, -1.0, 1.0);
    let c0 = Array::<f32, 2>::zeros([40, 20]);
    let before = diagnostics::layout_copies();
    for (la, lb, lc) in
        [(Layout::Reversed, Layout::NegStep, Layout::Step2), (Layout::F, Layout::Step2, Layout::Reversed)]
    {
        let (sa, sb) = (Stored::new(&a, (la, true)), Stored::new(&b, (lb, false)));
        let mut sc = Stored::new(&c0, (lc, true));
        gemm(1.0, &sa.view(), &sb.view(), 1.0, &mut sc.view_mut()).unwrap();
    }
    assert_eq!(diagnostics::layout_copies(), before);
}

#[test]
fn integer_dtypes_wrap() {
    let a = Array::<i8, 2>::from_shape_vec([1, 2], vec![100, -128]).unwrap();
    let b = Array::<i8, 2>::from_shape_vec([2, 1], vec![3, -1]).unwrap();
    // 300 + 128 = 428 = 172 (mod 256) = -84 as i8
    assert_eq!(matmul(&a.view(), &b.view()).unwrap().to_vec(), vec![-84]);
    let u = Array::<u64, 2>::full([1, 3], u64::MAX);
    let v = Array::<u64, 2>::full([3, 1], 2);
    assert_eq!(matmul(&u.view(), &v.view()).unwrap().to_vec(), vec![u64::MAX - 5]);
    check_ints::<i8>(200, true);
    check_ints::<u8>(201, false);
    check_ints::<i16>(202, false);
    check_ints::<u32>(203, false);
    check_ints::<i64>(204, false);
    check_ints::<u64>(205, true);
}

/// Random full-range values, all layouts, with `big` a shape that crosses the blocked kernel's
/// block edges (64 rows, 128 inner, 256 columns).
fn check_ints<T: TestNum + array_expr::RandomElement>(seed: u64, big: bool) {
    let (lo, hi) = (T::of(-1e30), T::of(1e30)); // saturating casts: the type's MIN and MAX
    let shapes: &[_] = if big { &[(70, 130, 260), (3, 1, 2)] } else { &[(3, 1, 2), (17, 17, 17)] };
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        let s = seed + 10 * i as u64;
        let a = Array::<T, 2>::random_uniform([m, k], s, lo, hi);
        let b = Array::<T, 2>::random_uniform([k, n], s + 1, lo, hi);
        let c0 = Array::<T, 2>::random_uniform([m, n], s + 2, lo, hi);
        let (alpha, beta) = (T::of(3.0), T::of(7.0));
        let layout = LAYOUTS[(seed as usize + i) % LAYOUTS.len()];
        let (sa, sb) = (Stored::new(&a, (layout, true)), Stored::new(&b, (Layout::NegStep, false)));
        let mut sc = Stored::new(&c0, (Layout::Step2, i % 2 == 0));
        gemm(alpha, &sa.view(), &sb.view(), beta, &mut sc.view_mut()).unwrap();
        assert_eq!(sc.view().to_vec(), naive_wrapping(alpha, &a, &b, beta, &c0), "{m}x{k}x{n}");
    }
}

#[test]
fn bool_matmul_is_or_of_ands() {
    let a = Array::<bool, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) % 3 == 0);
    let b = Array::<bool, 2>::from_fn([4, 2], |[i, j]| i == 2 * j + 1);
    let want: Vec<bool> = (0..6).map(|x| (0..4).any(|p| a[[x / 2, p]] && b[[p, x % 2]])).collect();
    assert_eq!(matmul(&a.view(), &b.view()).unwrap().to_vec(), want);
    let mut c = Array::<bool, 2>::full([3, 2], true);
    gemm(false, &a.view(), &b.view(), true, &mut c.view_mut()).unwrap();
    assert_eq!(c.to_vec(), vec![true; 6]);
}

#[test]
fn matmul_output_is_c_order_and_into_accepts_f_order() {
    let a = small_ints::<f64>([5, 3], 9);
    let b = small_ints::<f64>([3, 4], 10);
    let p = matmul(&a.view(), &b.view()).unwrap();
    assert!(p.is_c_contiguous());
    let mut f = Array::<f64, 2>::from_shape_vec_order([5, 4], vec![f64::NAN; 20], Order::F).unwrap();
    matmul_into(&a.view(), &b.view(), &mut f.view_mut()).unwrap();
    assert!(f.is_f_contiguous());
    assert_eq!(f.to_vec(), p.to_vec());
    assert_eq!(p.to_vec(), naive_f64(1.0, &a, &b, 0.0, &p));
}

#[test]
fn gemv_and_matvec_match_naive() {
    for (m, k) in [(0, 3), (3, 0), (1, 1), (7, 19), (33, 64)] {
        for (layout, t) in
            [(Layout::C, false), (Layout::F, true), (Layout::Reversed, false), (Layout::Step2, true)]
        {
            let a = small_ints::<f64>([m, k], 11);
            let xs = small_ints::<f64>([1, k], 12);
            let sa = Stored::new(&a, (layout, t));
            let x = xs.view().index_axis::<1>(0, 0).unwrap();
            let want: Vec<f64> = (0..m).map(|i| (0..k).map(|p| a[[i, p]] * xs[[0, p]]).sum()).collect();
            assert_eq!(matvec(&sa.view(), &x).unwrap().to_vec(), want);
            let mut y = Array::<f64, 1>::full([m], 1.0);
            let mut y_rev = y.view_mut().invert_axis(0).unwrap();
            gemv(-2.5, &sa.view(), &x, 0.5, &mut y_rev).unwrap();
            let want_rev: Vec<f64> = want.iter().rev().map(|w| -2.5 * w + 0.5).collect();
            assert_eq!(y.to_vec(), want_rev);
        }
    }
    let mut y = Array::<f32, 1>::full([2], f32::NAN);
    gemv(1.0, &Array::<f32, 2>::ones([2, 3]).view(), &Array::ones([3]).view(), 0.0, &mut y.view_mut())
        .unwrap();
    assert_eq!(y.to_vec(), vec![3.0, 3.0]);
}

#[test]
fn dot_any_strides_same_bits() {
    let x = Array::<f32, 1>::random_uniform([1001], 21, -1.0, 1.0);
    let y = Array::<f32, 1>::random_uniform([1001], 22, -1.0, 1.0);
    let contiguous = dot(&x.view(), &y.view()).unwrap();
    // The same logical vectors through strided and reversed storage.
    let store = |v: &Array<f32, 1>| {
        let mut s = Array::<f32, 1>::full([2 * v.len()], f32::NAN);
        s.view_mut().slice([Slice::full().step_by(-2)]).unwrap().assign(&v.view()).unwrap();
        s
    };
    let (sx, sy) = (store(&x), store(&y));
    let (vx, vy) = (
        sx.view().slice([Slice::full().step_by(-2)]).unwrap(),
        sy.view().slice([Slice::full().step_by(-2)]).unwrap(),
    );
    assert_eq!(vx.strides(), [-2]);
    assert_eq!(dot(&vx, &vy).unwrap().to_bits(), contiguous.to_bits());
    let naive: f64 = x.to_vec().iter().zip(y.to_vec()).map(|(&p, q)| p as f64 * q as f64).sum();
    let mag: f64 = x.to_vec().iter().zip(y.to_vec()).map(|(&p, q)| (p as f64 * q as f64).abs()).sum();
    assert!((contiguous as f64 - naive).abs() <= (1001.0 / 8.0 + 3.0) * f32::EPSILON as f64 * mag);
    assert_eq!(dot(&ArrayView::<f64, 1>::from_slice(&[]), &ArrayView::from_slice(&[])).unwrap(), 0.0);
    let i = Array::<i8, 1>::from_vec(vec![100, 100, 1]);
    assert_eq!(dot(&i.view(), &i.view()).unwrap(), 20001i32 as i8); // wraps
    let bx = Array::<bool, 1>::from_vec(vec![true, false, true]);
    let by = Array::<bool, 1>::from_vec(vec![false, true, true]);
    assert!(dot(&bx.view(), &by.view()).unwrap());
}

/// The error's kind and exact message.
fn message<T>(r: array_expr::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::ShapeMismatch);
            e.to_string()
        }
    }
}

#[test]
fn shape_errors_verbatim() {
    let a = Array::<f64, 2>::zeros([3, 4]);
    let b5 = Array::<f64, 2>::zeros([5, 2]);
    let b = Array::<f64, 2>::zeros([4, 2]);
    assert_eq!(
        message(matmul(&a.view(), &b5.view())),
        "matmul: argument `b` axis 0: expected 4 (the columns of `a`), found 5"
    );
    let mut c = Array::<f64, 2>::full([3, 3], 1.0);
    assert_eq!(
        message(gemm(1.0, &a.view(), &b5.view(), 0.0, &mut c.view_mut())),
        "gemm: argument `b` axis 0: expected 4 (the columns of `a`), found 5"
    );
    assert_eq!(
        message(gemm(1.0, &a.view(), &b.view(), 0.0, &mut c.view_mut())),
        "gemm: argument `c` axis 1: expected 2 (the columns of `b`), found 3"
    );
    assert_eq!(c.to_vec(), vec![1.0; 9], "nothing is written on error");
    let mut c23 = Array::<f64, 2>::zeros([2, 2]);
    assert_eq!(
        message(gemm(1.0, &a.view(), &b.view(), 0.0, &mut c23.view_mut())),
        "gemm: argument `c` axis 0: expected 3 (the rows of `a`), found 2"
    );
    assert_eq!(
        message(matmul_into(&a.view(), &b.view(), &mut c.t_mut())),
        "matmul_into: argument `out` axis 1: expected 2 (the columns of `b`), found 3"
    );
    let x3 = Array::<f64, 1>::zeros([3]);
    let x4 = Array::<f64, 1>::zeros([4]);
    assert_eq!(
        message(dot(&x4.view(), &x3.view())),
        "dot: argument `y` axis 0: expected 4 (the length of `x`), found 3"
    );
    assert_eq!(
        message(matvec(&a.view(), &x3.view())),
        "matvec: argument `x` axis 0: expected 4 (the columns of `a`), found 3"
    );
    let mut y4 = Array::<f64, 1>::zeros([4]);
    assert_eq!(
        message(gemv(1.0, &a.view(), &x4.view(), 0.0, &mut y4.view_mut())),
        "gemv: argument `y` axis 0: expected 3 (the rows of `a`), found 4"
    );
    assert_eq!(
        message(gemv(1.0, &a.view(), &x3.view(), 0.0, &mut y4.view_mut())),
        "gemv: argument `x` axis 0: expected 4 (the columns of `a`), found 3"
    );
}

/// `Array::t` returns a read-only view; this is its mutable counterpart for the tests.
trait TMut<T> {
    fn t_mut(&mut self) -> ArrayViewMut<'_, T, 2>;
}
impl<T: TestNum> TMut<T> for Array<T, 2> {
    fn t_mut(&mut self) -> ArrayViewMut<'_, T, 2> {
        self.view_mut().reversed_axes()
    }
}
