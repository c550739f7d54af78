//! Matrix products through `matrixmultiply`.
