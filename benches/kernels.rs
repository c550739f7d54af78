//! Placeholder until the kernels benchmark lands.
fn main() {}
