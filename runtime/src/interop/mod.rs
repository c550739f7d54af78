//! Interop with columnar engines: the kernel contract as data ([`signature`], always built),
//! zero-copy Arrow conversions (feature `arrow`), kernels as DataFusion functions (feature
//! `datafusion`).
#[cfg(feature = "arrow")]
pub mod arrow;
#[cfg(feature = "datafusion")]
pub mod datafusion;
pub mod signature;
