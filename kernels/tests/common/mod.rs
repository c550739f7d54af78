//! Shared test helpers: a seeded generator, special values, ulp distances.
#![allow(dead_code)]

/// SplitMix64: tiny, seeded, good enough to scatter test inputs.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub(crate) const F32_SPECIALS: [f32; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE,
    1e-45,
    -1e-45,
    f32::MAX,
    f32::MIN,
    f32::EPSILON,
    0.5,
    88.72,
];
pub(crate) const F64_SPECIALS: [f64; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
    f64::MAX,
    f64::MIN,
    f64::EPSILON,
    0.5,
    709.78,
];

/// Distance in ulps; `u64::MAX` for a NaN/non-NaN mismatch, an infinity mismatch or a zero of
/// the wrong sign.
pub(crate) fn ulp32(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
    }
    if a.is_infinite() || b.is_infinite() || a == 0.0 || b == 0.0 {
        if a == b && a.is_sign_negative() == b.is_sign_negative() {
            return 0;
        }
        if a.is_infinite() || b.is_infinite() || (a == 0.0 && b == 0.0) {
            return u64::MAX;
        }
    }
    let o = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            -(i & 0x7fff_ffff) as i64
        } else {
            i as i64
        }
    };
    (o(a) - o(b)).unsigned_abs()
}

pub(crate) fn ulp64(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
    }
    if a.is_infinite() || b.is_infinite() || a == 0.0 || b == 0.0 {
        if a == b && a.is_sign_negative() == b.is_sign_negative() {
            return 0;
        }
        if a.is_infinite() || b.is_infinite() || (a == 0.0 && b == 0.0) {
            return u64::MAX;
        }
    }
    let o = |x: f64| {
        let i = x.to_bits() as i64;
        if i < 0 {
            -((i & 0x7fff_ffff_ffff_ffff) as i128)
        } else {
            i as i128
        }
    };
    (o(a) - o(b)).unsigned_abs().min(u64::MAX as u128 - 1) as u64
}
