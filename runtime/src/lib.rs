//! Runtime of array-expr: strided arrays and views, shape binding, GEMM, `.npy` and
//! memory-mapped files, and diagnostics.
//!
//! # Arrays and layouts
//!
//! [`Array<T, D>`] owns its elements; [`ArrayView`] and [`ArrayViewMut`] borrow them. The rank
//! `D` is a const generic, so generated kernels know it at compile time. Strides are counted in
//! elements and signed: a negative stride walks an axis backwards, a zero stride repeats one
//! element along a broadcast axis (only read-only views can have those). Views are made by
//! [`slice`](ArrayView::slice), [`index_axis`](ArrayView::index_axis),
//! [`permute_axes`](ArrayView::permute_axes) / [`t`](ArrayView::t),
//! [`insert_axis`](ArrayView::insert_axis), [`broadcast_to`](ArrayView::broadcast_to),
//! [`reshape`](ArrayView::reshape) and [`split_at`](ArrayView::split_at); none copies.
//!
//! # Copies are explicit and counted
//!
//! Nothing copies behind your back. [`ArrayView::to_c_contiguous`] borrows when the layout is
//! already C-contiguous and copies otherwise; every such copy is counted in
//! [`diagnostics::layout_copies`]. A reshape that would need a copy is an error.
//!
//! # Threads
//!
//! Large passes, reductions and matrix products run on several threads of rayon's global
//! pool, from one thread budget (`ARRAY_EXPR_NUM_THREADS`, then [`parallel::set_num_threads`],
//! then the machine; [`parallel::with_threads`] overrides it in a scope). Inside an outer
//! parallel region kernels stay single-threaded, and results never depend on the thread count:
//! see [`parallel`]. [`diagnostics::show_config`] reports what is in force.
//!
//! # Errors
//!
//! Every fallible function returns [`Result`]; messages name the argument, the axis and both
//! sizes, e.g. ``argument `b` axis 0: expected `m` = 4 (bound by `w` axis 0), found 5``.
//! Nothing reachable from safe code panics on shapes, strides, offsets, file contents or sizes,
//! except the documented `# Panics` of infallible constructors such as [`Array::zeros`] on a
//! shape whose byte size overflows (use the `try_` forms for untrusted shapes).
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::{Array, Slice};
//! let a = Array::<f32, 2>::from_fn([4, 6], |[i, j]| (i * 6 + j) as f32);
//! let v = a.view().slice([Slice::from(1..4).step_by(2), Slice::full().step_by(-3)])?;
//! assert_eq!(v.shape(), [2, 2]);
//! assert_eq!(v.to_vec(), vec![11.0, 8.0, 23.0, 20.0]);
//! println!("{}", v.layout_report());
//! # Ok::<(), array_expr_runtime::Error>(())
//! ```
#![warn(missing_docs)]
// Panic audit: nothing reachable from user input may panic. Every remaining `unwrap`,
// `expect`, `panic!` or unchecked index carries an `#[allow]` with the reason it cannot fail.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod alloc;
pub mod array;
pub mod cow;
// driver.rs, gemm.rs and diagnostics.rs (and parallel.rs when it lands) are being rewritten by
// the parallel/fusion work; their panic audit is pending (see the reliability report), so the
// audit lints are allowed on them for now.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
pub mod diagnostics;
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
pub mod driver;
pub mod element;
pub mod error;
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
pub mod gemm;
pub mod interop;
pub mod io;
pub mod layout;
pub mod parallel;
#[doc(hidden)]
pub mod private;
pub mod random;
pub mod shape;
pub mod shard;
pub mod view;

pub use array::{Array, RandomElement};
pub use cow::CowArray;
pub use element::{DType, Element};
pub use error::{Error, ErrorKind, Result};
pub use layout::{LayoutReport, Order, Slice};
pub use random::CounterRng;
pub use shape::ShapeBinder;
pub use view::{ArrayView, ArrayViewMut};
