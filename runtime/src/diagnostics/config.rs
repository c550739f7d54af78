//! `show_config()`: what this build and this machine will do, and what may go wrong.

use crate::parallel::{self, ThreadBudget};
use std::fmt;

/// Thread variables of other libraries that share the cores with array-expr.
const OTHER_VARS: [&str; 5] =
    ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS", "MATMUL_NUM_THREADS"];

/// Rank of a SIMD level among those the kernels use (higher does more per instruction).
fn rank(level: &str) -> u8 {
    match level {
        "avx2+fma" => 5,
        "avx2" => 4,
        "avx" => 3,
        "sse4.1" => 2,
        "sse2" => 1,
        _ => 0,
    }
}

/// The best level the kernels could use on this CPU, and the CPU's relevant features.
fn cpu_simd() -> (&'static str, Vec<&'static str>) {
    #[cfg(target_arch = "x86_64")]
    {
        let all: [(&str, bool); 6] = [
            ("sse2", true),
            ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
            ("avx", std::is_x86_feature_detected!("avx")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("fma", std::is_x86_feature_detected!("fma")),
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
        ];
        let has = |n: &str| all.iter().any(|&(f, on)| f == n && on);
        let level = match () {
            _ if has("avx2") && has("fma") => "avx2+fma",
            _ if has("avx2") => "avx2",
            _ if has("avx") => "avx",
            _ if has("sse4.1") => "sse4.1",
            _ => "sse2",
        };
        (level, all.iter().filter(|f| f.1).map(|f| f.0).collect())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        ("other", Vec::new())
    }
}

/// The configuration report [`show_config`] returns: print it (`Display`) for people, or use
/// [`Config::to_key_value`] / [`Config::to_json`] for machines.
///
/// # Examples
///
/// ```
/// let c = array_expr_runtime::diagnostics::show_config();
/// assert!(c.to_string().starts_with("array-expr "));
/// assert!(c.to_key_value().contains("threads.budget="));
/// assert!(c.to_json().starts_with('{'));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Crate version.
    pub version: &'static str,
    /// SIMD level the kernels were compiled for (`array_expr_kernels::simd_level()`).
    pub simd_compiled: &'static str,
    /// Best SIMD level the kernels could use on this CPU (run-time detection).
    pub simd_cpu: &'static str,
    /// The CPU's SIMD features that matter here.
    pub cpu_features: Vec<&'static str>,
    /// The GEMM implementation and how it is threaded.
    pub gemm: String,
    /// The thread budget in force on the calling thread, and its source.
    pub budget: ThreadBudget,
    /// Hardware threads of the machine.
    pub machine_threads: usize,
    /// Threads rayon's global pool will have (`RAYON_NUM_THREADS` or the machine), unless the
    /// program builds its own global pool first.
    pub rayon_threads: usize,
    /// Whether large write-only passes use streaming stores.
    pub streaming_stores: bool,
    /// The output pool: its limit, what it holds, how often it served an output
    /// ([`crate::alloc`]).
    pub output_pool: crate::alloc::PoolStats,
    /// Whether counters are on.
    pub counters: bool,
    /// `ARRAY_EXPR_NUM_THREADS` and the other libraries' thread variables, with their values
    /// when set.
    pub env: Vec<(&'static str, Option<String>)>,
    /// Problems found: a CPU that could run a faster build, oversubscription, ignored values.
    pub warnings: Vec<String>,
}

/// Reports the build, the CPU, GEMM, the thread budget and the thread variables of other
/// libraries, with warnings (see [`Config`]). Log it at process start. It reads the
/// environment and the CPU's features only: it starts no threads and allocates no pool.
///
/// # Examples
///
/// ```
/// let config = array_expr_runtime::diagnostics::show_config();
/// println!("{config}");
/// for w in &config.warnings {
///     eprintln!("array-expr: {w}");
/// }
/// ```
pub fn show_config() -> Config {
    let (simd_cpu, cpu_features) = cpu_simd();
    let env: Vec<(&'static str, Option<String>)> = std::iter::once(parallel::ENV_VAR)
        .chain(OTHER_VARS)
        .chain([crate::alloc::POOL_ENV_VAR])
        .map(|v| (v, std::env::var(v).ok()))
        .collect();
    let var = |name: &str| env.iter().find(|e| e.0 == name).and_then(|e| e.1.as_deref());
    let machine_threads = parallel::machine_threads();
    let rayon_threads = positive(var("RAYON_NUM_THREADS")).unwrap_or(machine_threads);
    let mut c = Config {
        version: env!("CARGO_PKG_VERSION"),
        simd_compiled: array_expr_kernels::simd_level(),
        simd_cpu,
        cpu_features,
        gemm: format!(
            "matrixmultiply 0.3 sgemm/dgemm (micro-kernel picked at run time; this CPU: {simd_cpu}); \
             row blocks on the array-expr budget, matrixmultiply's own threading off; integers: blocked loop"
        ),
        budget: parallel::thread_budget(),
        machine_threads,
        rayon_threads,
        streaming_stores: crate::driver::streaming_stores(),
        output_pool: crate::alloc::pool_stats(),
        counters: super::counters_enabled(),
        env,
        warnings: Vec::new(),
    };
    c.warnings = warnings(&c);
    c
}

/// A positive integer value, if `v` is one.
fn positive(v: Option<&str>) -> Option<usize> {
    v?.trim().parse().ok().filter(|&n: &usize| n > 0)
}

fn warnings(c: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if rank(c.simd_cpu) > rank(c.simd_compiled) {
        w.push(format!(
            "this CPU supports {} but the kernels were compiled for {}: build with RUSTFLAGS=\"-C target-cpu=native\" \
             (or x86-64-v3) for faster kernels",
            c.simd_cpu, c.simd_compiled
        ));
    }
    let var = |name: &str| c.env.iter().find(|e| e.0 == name).and_then(|e| e.1.clone());
    let pool_var = crate::alloc::POOL_ENV_VAR;
    if let Some(v) = var(pool_var).filter(|v| crate::alloc::parse_bytes(v).is_none()) {
        w.push(format!(
            "{pool_var}={v:?} is not a byte count (digits with an optional K, M or G) and is ignored: the output pool keeps up to {} MiB",
            c.output_pool.limit >> 20
        ));
    }
    if let Some(v) = var(parallel::ENV_VAR).filter(|v| positive(Some(v)).is_none()) {
        w.push(format!("{}={v:?} is not a positive integer and is ignored", parallel::ENV_VAR));
    }
    let (budget, cores) = (c.budget.threads, c.machine_threads);
    if budget > cores {
        w.push(format!(
            "the thread budget {budget} exceeds the {cores} hardware threads: passes oversubscribe the cores"
        ));
    }
    if budget > c.rayon_threads {
        w.push(format!(
            "the thread budget {budget} exceeds rayon's pool of {}: passes use at most that many threads",
            c.rayon_threads
        ));
    }
    for name in OTHER_VARS {
        let Some(raw) = var(name) else { continue };
        let Some(n) = positive(Some(&raw)) else { continue };
        if name == "MATMUL_NUM_THREADS" {
            if n > 1 {
                w.push(format!(
                    "MATMUL_NUM_THREADS={n} has no effect on array-expr's GEMM (matrixmultiply's `threading` feature is off); \
                     if another crate turns it on, each GEMM task starts its own threads: set it to 1"
                ));
            }
        } else if n > cores {
            w.push(format!(
                "{name}={n} exceeds the {cores} hardware threads: that library oversubscribes the cores"
            ));
        } else if name != "RAYON_NUM_THREADS" && n > 1 && budget > 1 && n + budget > cores {
            w.push(format!(
                "{name}={n} and an array-expr budget of {budget} on {cores} hardware threads: when both run at once they \
                 oversubscribe the cores; set one of them to 1 or give each a share"
            ));
        }
    }
    w
}

impl Config {
    /// The report as `(key, value)` pairs (warnings as `warning.0`, `warning.1`, ...).
    fn pairs(&self) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("version", self.version.to_string()),
            ("simd.compiled", self.simd_compiled.to_string()),
            ("simd.cpu", self.simd_cpu.to_string()),
            ("simd.cpu_features", self.cpu_features.join(" ")),
            ("gemm", self.gemm.clone()),
            ("threads.budget", self.budget.threads.to_string()),
            ("threads.source", self.budget.source.to_string()),
            ("threads.machine", self.machine_threads.to_string()),
            ("threads.rayon_pool", self.rayon_threads.to_string()),
            ("threads.nested", "single-threaded inside a rayon worker".to_string()),
            ("streaming_stores", self.streaming_stores.to_string()),
            ("output_pool.limit_bytes", self.output_pool.limit.to_string()),
            ("output_pool.retained_bytes", self.output_pool.retained_bytes.to_string()),
            ("output_pool.reused", self.output_pool.reused.to_string()),
            ("output_pool.fresh", self.output_pool.fresh.to_string()),
            ("counters", self.counters.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        p.extend(self.env.iter().map(|(k, v)| (format!("env.{k}"), v.clone().unwrap_or_default())));
        p.extend(self.warnings.iter().enumerate().map(|(i, w)| (format!("warning.{i}"), w.clone())));
        p
    }

    /// One `key=value` line per item (unset variables have an empty value).
    ///
    /// # Examples
    ///
    /// ```
    /// let kv = array_expr_runtime::diagnostics::show_config().to_key_value();
    /// assert!(kv.lines().any(|l| l.starts_with("simd.compiled=")));
    /// ```
    pub fn to_key_value(&self) -> String {
        self.pairs().iter().map(|(k, v)| format!("{k}={}\n", v.replace('\n', " "))).collect()
    }

    /// The report as one JSON object of strings (`warnings` is an array of strings).
    ///
    /// # Examples
    ///
    /// ```
    /// let json = array_expr_runtime::diagnostics::show_config().to_json();
    /// assert!(json.contains("\"threads.budget\":"));
    /// assert!(json.ends_with('}'));
    /// ```
    pub fn to_json(&self) -> String {
        let items = self.pairs().into_iter().filter(|(k, _)| !k.starts_with("warning."));
        let mut fields: Vec<String> =
            items.map(|(k, v)| format!("{}:{}", json_str(&k), json_str(&v))).collect();
        let warns: Vec<String> = self.warnings.iter().map(|w| json_str(w)).collect();
        fields.push(format!("\"warnings\":[{}]", warns.join(",")));
        format!("{{{}}}", fields.join(","))
    }
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "array-expr {}", self.version)?;
        writeln!(f, "  simd compiled for : {}", self.simd_compiled)?;
        writeln!(f, "  simd this cpu     : {} ({})", self.simd_cpu, self.cpu_features.join(" "))?;
        writeln!(f, "  gemm              : {}", self.gemm)?;
        let b = self.budget;
        writeln!(
            f,
            "  threads           : {} (from {}); machine {}, rayon pool {}",
            b.threads, b.source, self.machine_threads, self.rayon_threads
        )?;
        writeln!(f, "  nested regions    : single-threaded inside a rayon worker (one parallel layer)")?;
        let on = |b: bool| if b { "on" } else { "off" };
        writeln!(
            f,
            "  streaming stores  : {} (write-only outputs >= {} MiB, read-and-write passes' >= {} MiB)",
            on(self.streaming_stores),
            crate::driver::STREAM_MIN_BYTES >> 20,
            crate::driver::STREAM_RW_MIN_BYTES >> 20
        )?;
        let p = self.output_pool;
        if p.limit == 0 {
            writeln!(f, "  output pool       : off (every large kernel output is fresh memory)")?;
        } else {
            writeln!(
                f,
                "  output pool       : keeps up to {} MiB of dropped arrays >= {} MiB for kernel outputs; holds {} MiB in {} buffers; {} outputs reused one, {} took fresh memory",
                p.limit >> 20,
                crate::alloc::POOL_MIN_BYTES >> 20,
                p.retained_bytes >> 20,
                p.buffers,
                p.reused,
                p.fresh
            )?;
        }
        writeln!(f, "  counters          : {}", on(self.counters))?;
        for (k, v) in &self.env {
            writeln!(f, "  env {k:<22}: {}", v.as_deref().unwrap_or("(unset)"))?;
        }
        match self.warnings.len() {
            0 => writeln!(f, "  warnings          : none"),
            _ => self.warnings.iter().try_for_each(|w| writeln!(f, "  warning: {w}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::BudgetSource;

    fn config(budget: usize, cores: usize, env: &[(&'static str, &str)]) -> Config {
        let mut c = show_config();
        c.simd_cpu = c.simd_compiled;
        c.budget = ThreadBudget { threads: budget, source: BudgetSource::Api };
        c.machine_threads = cores;
        c.rayon_threads = cores;
        c.env = env.iter().map(|(k, v)| (*k, Some(v.to_string()))).collect();
        c
    }

    #[test]
    fn oversubscription_is_named() {
        let w = warnings(&config(2, 2, &[("OMP_NUM_THREADS", "2"), ("MKL_NUM_THREADS", "1")]));
        assert_eq!(w, vec![
            "OMP_NUM_THREADS=2 and an array-expr budget of 2 on 2 hardware threads: when both run at once they \
             oversubscribe the cores; set one of them to 1 or give each a share"
        ]);
        let w =
            warnings(&config(8, 2, &[("ARRAY_EXPR_NUM_THREADS", "lots"), ("OPENBLAS_NUM_THREADS", "16")]));
        assert_eq!(w, vec![
            "ARRAY_EXPR_NUM_THREADS=\"lots\" is not a positive integer and is ignored".to_string(),
            "the thread budget 8 exceeds the 2 hardware threads: passes oversubscribe the cores".to_string(),
            "the thread budget 8 exceeds rayon's pool of 2: passes use at most that many threads".to_string(),
            "OPENBLAS_NUM_THREADS=16 exceeds the 2 hardware threads: that library oversubscribes the cores".to_string(),
        ]);
        assert!(warnings(&config(1, 2, &[("OMP_NUM_THREADS", "2")])).is_empty());
    }

    #[test]
    fn a_pool_size_that_is_not_a_byte_count_is_named() {
        let mut c = config(1, 2, &[("ARRAY_EXPR_POOL_BYTES", "1.5G")]);
        c.output_pool.limit = crate::alloc::DEFAULT_POOL_LIMIT;
        assert_eq!(warnings(&c), vec![
            "ARRAY_EXPR_POOL_BYTES=\"1.5G\" is not a byte count (digits with an optional K, M or G) and is ignored: \
             the output pool keeps up to 256 MiB"
        ]);
        for fine in ["0", "512M", "1073741824"] {
            assert!(warnings(&config(1, 2, &[("ARRAY_EXPR_POOL_BYTES", fine)])).is_empty(), "{fine}");
        }
    }

    #[test]
    fn machine_forms_carry_every_item() {
        let mut c = config(2, 2, &[("OMP_NUM_THREADS", "a\"b")]);
        c.warnings = vec!["line\none".into()];
        let kv = c.to_key_value();
        assert!(kv.contains("threads.budget=2\nthreads.source=set_num_threads\n"), "{kv}");
        assert!(kv.contains("env.OMP_NUM_THREADS=a\"b\n") && kv.ends_with("warning.0=line one\n"), "{kv}");
        let json = c.to_json();
        assert!(json.contains(r#""env.OMP_NUM_THREADS":"a\"b""#), "{json}");
        assert!(json.ends_with(r#""warnings":["line\u000aone"]}"#), "{json}");
        let text = c.to_string();
        assert!(
            text.contains("  threads           : 2 (from set_num_threads); machine 2, rayon pool 2\n"),
            "{text}"
        );
    }
}
