//! File I/O: NumPy `.npy` files and memory-mapped arrays.
