//! Placeholder until the gemm benchmark lands.
fn main() {}
