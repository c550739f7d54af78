//! Differential tests: every vector operation equals the scalar reference lane by lane, for every
//! dtype and every length 0..=3*LANES+1, on edge values and seeded random values.

#![allow(clippy::needless_range_loop)] // lane-indexed comparisons read clearer with indices
use array_expr_kernels::reduce;
use array_expr_kernels::SimdElem;

mod common;
use common::Rng;

/// Random and edge values of a dtype.
trait Gen: SimdElem {
    fn edges() -> Vec<Self>;
    fn random(rng: &mut Rng) -> Self;
    /// Same value, or both NaN.
    fn same(a: Self, b: Self) -> bool {
        a == b || (Self::is_nan(a) && Self::is_nan(b))
    }
}

macro_rules! gen_int {
    ($($t:ty),*) => {$(
        impl Gen for $t {
            fn edges() -> Vec<Self> {
                vec![0, 1, 2, 7, <$t>::MIN, <$t>::MAX, <$t>::MIN.wrapping_add(1), <$t>::MAX - 1, (0 as $t).wrapping_sub(1)]
            }
            fn random(rng: &mut Rng) -> Self {
                match rng.next() % 4 {
                    0 => (rng.next() % 9) as $t,
                    1 => (rng.next() as $t).wrapping_sub(4) % 16,
                    _ => rng.next() as $t,
                }
            }
        }
    )*};
}
gen_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! gen_float {
    ($t:ty, $bits:ty) => {
        impl Gen for $t {
            fn edges() -> Vec<Self> {
                vec![
                    0.0,
                    -0.0,
                    1.0,
                    -1.0,
                    0.5,
                    <$t>::INFINITY,
                    <$t>::NEG_INFINITY,
                    <$t>::NAN,
                    <$t>::MIN_POSITIVE,
                    -<$t>::MIN_POSITIVE,
                    <$t>::from_bits(1),
                    -<$t>::from_bits(3),
                    <$t>::MAX,
                    <$t>::MIN,
                    <$t>::EPSILON,
                    3.0,
                ]
            }
            fn random(rng: &mut Rng) -> Self {
                match rng.next() % 3 {
                    0 => <$t>::from_bits(rng.next() as $bits),
                    1 => ((rng.unit() - 0.5) * 200.0) as $t,
                    _ => (rng.next() % 7) as $t - 3.0,
                }
            }
            fn same(a: Self, b: Self) -> bool {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            }
        }
    };
}
gen_float!(f32, u32);
gen_float!(f64, u64);

impl Gen for bool {
    fn edges() -> Vec<Self> {
        vec![false, true, true, false]
    }
    fn random(rng: &mut Rng) -> Self {
        rng.next() % 2 == 0
    }
}

/// Inputs mixing edge values (in every position) and random values.
fn values<T: Gen>(seed: u64, n: usize) -> Vec<T> {
    let mut rng = Rng::new(seed);
    let e = T::edges();
    (0..n)
        .map(|i| if rng.next() % 3 == 0 { e[(i + seed as usize) % e.len()] } else { T::random(&mut rng) })
        .collect()
}

fn lanes_of<T: SimdElem>(v: T::V) -> Vec<T> {
    T::to_array(v).as_ref().to_vec()
}

fn check_binary<T: Gen>(name: &str, a: &[T], b: &[T], vf: fn(T::V, T::V) -> T::V, sf: fn(T, T) -> T) {
    let got = lanes_of::<T>(vf(T::load(a), T::load(b)));
    for k in 0..T::LANES {
        let (x, y) = (a.get(k).copied().unwrap_or(T::ZERO), b.get(k).copied().unwrap_or(T::ZERO));
        assert!(T::same(got[k], sf(x, y)), "{name}({x:?}, {y:?}) lane {k}: {:?} != {:?}", got[k], sf(x, y));
    }
}

fn check_mask<T: Gen>(name: &str, a: &[T], b: &[T], vf: fn(T::V, T::V) -> T::V, sf: fn(&T, &T) -> bool) {
    let mut m = vec![false; T::LANES];
    T::store_mask(vf(T::load(a), T::load(b)), &mut m);
    for k in 0..T::LANES {
        let (x, y) = (a.get(k).copied().unwrap_or(T::ZERO), b.get(k).copied().unwrap_or(T::ZERO));
        assert_eq!(m[k], sf(&x, &y), "{name}({x:?}, {y:?}) lane {k}");
    }
}

fn elementwise<T: Gen>() {
    for n in 0..=3 * T::LANES + 1 {
        for seed in 0..6 {
            let a: Vec<T> = values(seed * 31 + n as u64, n);
            let b: Vec<T> = values(seed * 77 + n as u64 + 1, n);
            // Loads and stores of every tail length.
            let mut out = vec![T::ONE; n];
            let mut i = 0;
            while i < n {
                T::store(T::load(&a[i..]), &mut out[i..]);
                i += T::LANES;
            }
            assert!(a.iter().zip(&out).all(|(x, y)| T::same(*x, *y)), "load/store n={n}");
            let fill = T::ONE;
            let v = lanes_of::<T>(T::load_or(&a, fill));
            for k in 0..T::LANES {
                assert!(T::same(v[k], a.get(k).copied().unwrap_or(fill)));
            }
            // Lane-wise arithmetic on the first vector.
            check_binary::<T>("add", &a, &b, T::vadd, T::add);
            check_binary::<T>("sub", &a, &b, T::vsub, T::sub);
            check_binary::<T>("mul", &a, &b, T::vmul, T::mul);
            check_binary::<T>("div", &a, &b, T::vdiv, T::div);
            check_binary::<T>("rem", &a, &b, T::vrem, T::rem);
            check_binary::<T>("min", &a, &b, T::vmin, T::min);
            check_binary::<T>("max", &a, &b, T::vmax, T::max);
            check_binary::<T>("neg", &a, &b, |x, _| T::vneg(x), |x, _| T::neg(x));
            check_binary::<T>("abs", &a, &b, |x, _| T::vabs(x), |x, _| T::abs(x));
            check_mask::<T>("eq", &a, &b, T::veq, T::eq);
            check_mask::<T>("ne", &a, &b, T::vne, T::ne);
            check_mask::<T>("lt", &a, &b, T::vlt, T::lt);
            check_mask::<T>("le", &a, &b, T::vle, T::le);
            check_mask::<T>("gt", &a, &b, T::vgt, T::gt);
            check_mask::<T>("ge", &a, &b, T::vge, T::ge);
            // Masks from bools, select, any/all.
            let bools: Vec<bool> = values(seed + 5, n);
            let m = T::load_mask(&bools);
            let sel = lanes_of::<T>(T::vselect(m, T::load(&a), T::load(&b)));
            for k in 0..T::LANES {
                let want =
                    if bools.get(k) == Some(&true) { a[k] } else { b.get(k).copied().unwrap_or(T::ZERO) };
                assert!(T::same(sel[k], want), "select lane {k}");
            }
            let live = &bools[..n.min(T::LANES)];
            assert_eq!(T::mask_any(m), live.iter().any(|&x| x));
            assert_eq!(T::mask_all(m), live.len() == T::LANES && live.iter().all(|&x| x));
            // Strided gathers and scatters, including negative, zero and out-of-range strides.
            for (base, stride) in
                [(0usize, 1isize), (1, 2), (n.saturating_sub(1), -1), (2, 0), (3, -3), (0, 5)]
            {
                let g = lanes_of::<T>(T::gather_or(&a, base, stride, n, fill));
                for k in 0..T::LANES {
                    let idx = base as isize + k as isize * stride;
                    let want = if k < n && idx >= 0 && (idx as usize) < n { a[idx as usize] } else { fill };
                    assert!(T::same(g[k], want), "gather n={n} base={base} stride={stride} lane {k}");
                }
                let mut s = b.clone();
                let mut want = b.clone();
                T::scatter(T::load(&a), &mut s, base, stride, T::LANES);
                for k in 0..T::LANES {
                    let idx = base as isize + k as isize * stride;
                    if idx >= 0 && (idx as usize) < n {
                        want[idx as usize] = a.get(k).copied().unwrap_or(T::ZERO);
                    }
                }
                assert!(
                    s.iter().zip(&want).all(|(x, y)| T::same(*x, *y)),
                    "scatter n={n} base={base} stride={stride}"
                );
            }
        }
    }
}

/// Reference reductions in plain scalar loops.
fn reductions<T: Gen>() {
    for n in (0..=3 * T::LANES + 1).chain([255, 256, 257, 4095, 4096, 4097, 9000]) {
        for seed in 0..4 {
            let a: Vec<T> = values(seed + 1000 * n as u64, n);
            let fmin = a.iter().copied().reduce(T::min);
            let fmax = a.iter().copied().reduce(T::max);
            assert!(opt_same(reduce::min(&a), fmin), "min n={n}");
            assert!(opt_same(reduce::max(&a), fmax), "max n={n}");
            assert_eq!(reduce::argmin(&a), arg_ref(&a, |x, y| x < y), "argmin n={n} {a:?}");
            assert_eq!(reduce::argmax(&a), arg_ref(&a, |x, y| x > y), "argmax n={n}");
            // Strided and broadcast views give exactly the contiguous result of their elements.
            let rev: Vec<T> = a.iter().rev().copied().collect();
            let s = reduce::reduce_strided(reduce::Sum, &a, n.saturating_sub(1), -1, n);
            assert!(T::same(s, reduce::sum(&rev)), "strided sum n={n}");
            let am = reduce::reduce_strided(reduce::ArgMax, &a, n.saturating_sub(1), -1, n);
            assert_eq!(am, reduce::argmax(&rev));
            if let Some(&x0) = a.first() {
                let bc = vec![x0; n];
                let s = reduce::reduce_strided(reduce::Sum, &a, 0, 0, n);
                assert!(T::same(s, reduce::sum(&bc)), "broadcast sum n={n}");
                let p = reduce::reduce_strided(reduce::Prod, &a, 0, 0, n);
                assert!(T::same(p, reduce::prod(&bc)), "broadcast prod n={n}");
            }
        }
    }
}

fn opt_same<T: Gen>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => T::same(x, y) || (x == T::ZERO && y == T::ZERO),
        (None, None) => true,
        _ => false,
    }
}

fn arg_ref<T: Gen>(a: &[T], better: fn(&T, &T) -> bool) -> Option<usize> {
    if let Some(i) = a.iter().position(|&x| T::is_nan(x)) {
        return Some(i);
    }
    let mut best: Option<usize> = None;
    for (i, x) in a.iter().enumerate() {
        if best.is_none_or(|b| better(x, &a[b])) {
            best = Some(i);
        }
    }
    best
}

macro_rules! for_each_dtype {
    ($($t:ident),*) => {$(
        mod $t {
            #[test]
            fn elementwise() {
                super::elementwise::<$t>();
            }
            #[test]
            fn reductions() {
                super::reductions::<$t>();
            }
        }
    )*};
}
for_each_dtype!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, bool);

/// Integer sums wrap and are exact regardless of order.
#[test]
fn integer_sums_match_wrapping_reference() {
    let a: Vec<i32> = values(9, 10_001);
    assert_eq!(reduce::sum(&a), a.iter().fold(0i32, |s, &x| s.wrapping_add(x)));
    assert_eq!(reduce::prod(&a), a.iter().fold(1i32, |s, &x| s.wrapping_mul(x)));
    let b: Vec<u8> = values(10, 5000);
    assert_eq!(reduce::sum(&b), b.iter().fold(0u8, |s, &x| s.wrapping_add(x)));
}

#[test]
fn any_all() {
    for n in 0..100 {
        let mut v = vec![false; n];
        assert!(!reduce::any(&v));
        assert_eq!(reduce::all(&v), n == 0);
        if n > 0 {
            v[n - 1] = true;
            assert!(reduce::any(&v));
            v.iter_mut().for_each(|x| *x = true);
            assert!(reduce::all(&v));
        }
    }
}

/// Every vector math function over slices of every tail length, lane by lane against the scalar
/// reference (`std`), within the accuracy bound of the crate docs; NaN, infinities and signed
/// zeros must match exactly.
macro_rules! math_tails {
    ($name:ident, $t:ident, $ulp:ident) => {
        #[test]
        fn $name() {
            use array_expr_kernels::{math, FloatMath};
            type F = fn(<$t as SimdElem>::V) -> <$t as SimdElem>::V;
            type S = fn($t) -> $t;
            let fns: [(&str, F, S, u64); 20] = [
                ("exp", math::exp, FloatMath::exp, 2),
                ("exp2", math::exp2, FloatMath::exp2, 2),
                ("expm1", math::expm1, FloatMath::expm1, 2),
                ("ln", math::ln, FloatMath::ln, 2),
                ("log2", math::log2, FloatMath::log2, 2),
                ("log10", math::log10, FloatMath::log10, 2),
                ("log1p", math::log1p, FloatMath::log1p, 2),
                ("sin", math::sin, FloatMath::sin, 2),
                ("cos", math::cos, FloatMath::cos, 2),
                ("tan", math::tan, FloatMath::tan, 4),
                ("tanh", math::tanh, FloatMath::tanh, 4),
                ("sinh", math::sinh, FloatMath::sinh, 4),
                ("cosh", math::cosh, FloatMath::cosh, 4),
                ("sigmoid", math::sigmoid, FloatMath::sigmoid, 4),
                ("sqrt", math::sqrt, FloatMath::sqrt, 0),
                ("floor", math::floor, FloatMath::floor, 0),
                ("ceil", math::ceil, FloatMath::ceil, 0),
                ("round", math::round, FloatMath::round, 0),
                ("square", math::square, FloatMath::square, 0),
                ("powi3", |v| math::powi(v, -3), |x| x.powi(-3), 0),
            ];
            for n in 0..=3 * <$t>::LANES + 1 {
                for seed in 0..8 {
                    let x: Vec<$t> = values(seed * 13 + n as u64, n);
                    for (name, vf, sf, bound) in fns {
                        let mut out = vec![0.0; n];
                        let mut i = 0;
                        while i < n {
                            <$t>::store(vf(<$t>::load(&x[i..])), &mut out[i..]);
                            i += <$t>::LANES;
                        }
                        for (k, (&xi, &got)) in x.iter().zip(&out).enumerate() {
                            let want = sf(xi);
                            let e = common::$ulp(got, want);
                            assert!(e <= bound, "{name}({xi:e}) lane {k} n={n}: {got:e} vs {want:e}");
                        }
                    }
                }
            }
        }
    };
}
math_tails!(math_tails_f32, f32, ulp32);
math_tails!(math_tails_f64, f64, ulp64);

/// A lane's value does not depend on the other lanes of its vector: each function of a vector
/// holding an input beside values outside its fast range (NaN, infinities, zero, negatives,
/// huge values) gives that input the bits it gets beside copies of itself. (A vector with one
/// such lane used to go through std whole, its other lanes one ulp off for about 3% of
/// inputs.)
macro_rules! lanes_independent {
    ($name:ident, $t:ident) => {
        #[test]
        fn $name() {
            use array_expr_kernels::{math, SimdElem};
            type F = fn(<$t as SimdElem>::V) -> <$t as SimdElem>::V;
            let fns: [(&str, F); 12] = [
                ("exp", math::exp),
                ("expm1", math::expm1),
                ("sigmoid", math::sigmoid),
                ("sinh", math::sinh),
                ("cosh", math::cosh),
                ("ln", math::ln),
                ("log2", math::log2),
                ("log10", math::log10),
                ("log1p", math::log1p),
                ("sin", math::sin),
                ("cos", math::cos),
                ("tan", math::tan),
            ];
            let odd: [$t; 7] = [<$t>::NAN, <$t>::INFINITY, <$t>::NEG_INFINITY, 0.0, -3.0, 1e30, -1e30];
            for (name, f) in fns {
                for i in 0..4000 {
                    let x = (i as $t - 1000.0) * 0.0173 + 0.0011;
                    let alone = <$t>::to_array(f(<$t>::splat(x)));
                    for (j, &o) in odd.iter().enumerate() {
                        let mut a = [o; <$t>::LANES];
                        a[j % <$t>::LANES] = x;
                        let got = <$t>::to_array(f(<$t>::from_array(a)));
                        let (g, w) = (got[j % <$t>::LANES], alone[0]);
                        assert!(
                            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                            "{name}({x:e}) beside {o:e}: {g:e}, alone {w:e}"
                        );
                    }
                }
            }
            // pow: x^1.37 beside lanes that leave its fast range (x <= 0, a huge power)
            for i in 1..4000 {
                let x = i as $t * 0.0173;
                let alone = <$t>::to_array(math::pow(<$t>::splat(x), <$t>::splat(1.37)))[0];
                for (j, &o) in odd.iter().enumerate() {
                    let mut a = [o; <$t>::LANES];
                    let mut b = [300.0 as $t; <$t>::LANES];
                    a[j % <$t>::LANES] = x;
                    b[j % <$t>::LANES] = 1.37;
                    let got =
                        <$t>::to_array(math::pow(<$t>::from_array(a), <$t>::from_array(b)))[j % <$t>::LANES];
                    assert_eq!(
                        got.to_bits(),
                        alone.to_bits(),
                        "pow({x:e}, 1.37) beside {o:e}: {got:e}, alone {alone:e}"
                    );
                }
            }
        }
    };
}
lanes_independent!(lanes_are_independent_f32, f32);
lanes_independent!(lanes_are_independent_f64, f64);
