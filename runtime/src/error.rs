//! The runtime error type: every fallible runtime function returns [`Result`].

use std::fmt;

/// What went wrong, for matching in code; the [`Error`] message says it for people.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, ErrorKind};
/// let err = Array::<f32, 1>::from_vec(vec![1.0, 2.0]).view().broadcast_to([2, 3]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Broadcast);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A dimension did not have the size the kernel or operation needs.
    ShapeMismatch,
    /// An index, axis or slice bound lies outside the array.
    OutOfBounds,
    /// Shape, strides and offset do not describe memory inside the given buffer, or would alias.
    InvalidLayout,
    /// A size or byte count does not fit in `usize` / `isize`.
    Overflow,
    /// A reshape needs a copy (the layout cannot express it as a view) or changes the size.
    Reshape,
    /// Shapes cannot be broadcast together.
    Broadcast,
    /// The element type does not match (e.g. reading a `<f8` `.npy` file as `f32`).
    DType,
    /// An argument is outside the values the function accepts.
    InvalidArgument,
    /// A file is not in the expected format (bad `.npy` header, truncated data).
    Format,
    /// The operating system reported an I/O error.
    Io,
}

/// A runtime error: the kind, a message naming argument, axis and sizes, and optional details.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, ErrorKind};
///
/// let err = Array::<f32, 2>::from_shape_vec([2, 3], vec![0.0; 5]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::ShapeMismatch);
/// assert_eq!(err.to_string(), "argument `data`: shape [2, 3] needs 6 elements, found 5");
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<std::io::Error>,
}

/// `Result` with this crate's [`Error`].
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Result};
/// fn rows(a: &Array<f32, 2>) -> Result<usize> {
///     Ok(a.view().index_axis::<1>(1, 0)?.len())
/// }
/// assert_eq!(rows(&Array::zeros([3, 2]))?, 3);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Makes an error of `kind` with a complete, human-readable `message`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::InvalidArgument, "argument `step`: must not be 0");
    /// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None }
    }

    /// Wraps an I/O error, prefixing `context` (usually the path and what was being done).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Error, ErrorKind};
    /// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
    /// let e = Error::io("opening `x.npy`", io);
    /// assert_eq!(e.kind(), ErrorKind::Io);
    /// assert_eq!(e.to_string(), "opening `x.npy`: no such file");
    /// ```
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Error { kind: ErrorKind::Io, message: format!("{context}: {err}"), source: Some(err) }
    }

    /// The kind of error.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::Format, "bad").kind(), ErrorKind::Format);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::Format, "bad header").message(), "bad header");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand used inside the crate: `Err(Error::new(kind, format!(...)))`.
macro_rules! bail {
    ($kind:ident, $($fmt:tt)*) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($fmt)*)))
    };
}
pub(crate) use bail;

/// Shorthand: an error value of `kind` with a formatted message.
macro_rules! err {
    ($kind:ident, $($fmt:tt)*) => {
        $crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($fmt)*))
    };
}
pub(crate) use err;
