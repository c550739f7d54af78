"""Generate the polynomial coefficients used by kernels/src/math/*.rs.

Each approximation is a near-minimax fit (Chebyshev interpolation in 100-digit
arithmetic via mpmath.chebyfit) of a smooth helper function on the reduced
interval of the range reduction named next to it. Run: python3 coeffs.py
The printed arrays are pasted into the Rust sources, ascending degree.
"""
import mpmath as mp

mp.mp.dps = 100

def fit(name, f, lo, hi, n):
    coeffs, err = mp.chebyfit(f, [lo, hi], n, error=True)
    asc = list(reversed(coeffs))
    print(f"// {name}: interval [{mp.nstr(lo, 6)}, {mp.nstr(hi, 6)}], degree {n - 1}, fit error {mp.nstr(err, 3)}")
    print("[" + ", ".join(repr(float(c)) for c in asc) + "]")

ln2 = mp.log(2)
# exp(r) = 1 + r + r^2 * P(r), |r| <= ln2/2
P_exp = lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2
fit("exp f32 P", P_exp, -ln2 / 2, ln2 / 2, 5)
fit("exp f64 P", P_exp, -ln2 / 2, ln2 / 2, 11)
# 2^r = 1 + r * Q(r), |r| <= 1/2
Q_exp2 = lambda r: (mp.power(2, r) - 1) / r if r != 0 else ln2
fit("exp2 f32 Q", Q_exp2, -0.5, 0.5, 6)
fit("exp2 f64 Q", Q_exp2, -0.5, 0.5, 12)
# expm1(r) = r + r^2/2 + r^3 * P(r), |r| <= ln2/2
P_em1 = lambda r: (mp.expm1(r) - r - r**2 / 2) / r**3 if r != 0 else mp.mpf(1) / 6
fit("expm1 f32 P", P_em1, -ln2 / 2, ln2 / 2, 5)
fit("expm1 f64 P", P_em1, -ln2 / 2, ln2 / 2, 10)
# ln(1+f) = f - f^2/2 + f^3 * P(f), f in [sqrt(1/2)-1, sqrt(2)-1]
P_ln = lambda f: (mp.log1p(f) - f + f**2 / 2) / f**3 if f != 0 else mp.mpf(1) / 3
fit("ln f32 P", P_ln, mp.sqrt(0.5) - 1, mp.sqrt(2) - 1, 9)
# ln(1+f) = 2s + s*R(z), s = f/(2+f), z = s^2 in [0, ((sqrt2-1)/(sqrt2+1))^2]; R(z) = z * Rz(z)
smax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
Rz = lambda z: (2 * mp.atanh(mp.sqrt(z)) - 2 * mp.sqrt(z)) / (mp.sqrt(z) * z) if z != 0 else mp.mpf(2) / 3
fit("ln f64 Rz", Rz, mp.mpf(0), smax**2, 8)
# sin(r) = r + r^3 * S(r^2), cos(r) = 1 - r^2/2 + r^4 * C(r^2), |r| <= pi/4
S = lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z)) / (z * mp.sqrt(z)) if z != 0 else -mp.mpf(1) / 6
C = lambda z: (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2 if z != 0 else mp.mpf(1) / 24
fit("sin f32 S", S, mp.mpf(0), (mp.pi / 4) ** 2, 4)
fit("sin f64 S", S, mp.mpf(0), (mp.pi / 4) ** 2, 7)
fit("cos f32 C", C, mp.mpf(0), (mp.pi / 4) ** 2, 4)
fit("cos f64 C", C, mp.mpf(0), (mp.pi / 4) ** 2, 7)
# tanh(x) = x + x^3 * T(x^2), |x| <= 0.625
T = lambda z: (mp.tanh(mp.sqrt(z)) - mp.sqrt(z)) / (z * mp.sqrt(z)) if z != 0 else -mp.mpf(1) / 3
fit("tanh f32 T", T, mp.mpf(0), mp.mpf(0.625) ** 2, 6)
fit("tanh f64 T", T, mp.mpf(0), mp.mpf(0.625) ** 2, 12)

def split(name, v, bits):
    """v = hi + lo where hi keeps `bits` significant bits (so n * hi is exact for small n)."""
    e = mp.floor(mp.log(abs(v), 2))
    scale = mp.mpf(2) ** (bits - 1 - e)
    hi = mp.floor(v * scale) / scale
    print(f"// {name}: hi has {bits} significant bits")
    print(f"hi = {float(hi)!r}, lo = {float(v - hi)!r}, lo2 = {float(v - hi - mp.mpf(float(v - hi)))!r}")

split("ln2 for f32", ln2, 16)
split("ln2 for f64", ln2, 42)
p1 = mp.pi / 2
e = mp.floor(mp.log(p1, 2)); s = mp.mpf(2) ** (33 - 1 - e); h1 = mp.floor(p1 * s) / s
rest = p1 - h1
e = mp.floor(mp.log(rest, 2)); s = mp.mpf(2) ** (33 - 1 - e); h2 = mp.floor(rest * s) / s
print("// pi/2 in three parts (33, 33, 53 bits)")
print(f"p1 = {float(h1)!r}, p2 = {float(h2)!r}, p3 = {float(rest - h2)!r}")
print(f"log10(2) split: ", end=""); split("log10 2", mp.log10(2), 40)
