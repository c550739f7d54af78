//! Shape binding: each symbolic dimension is bound once from the arguments and checked at
//! every other use. Generated kernels call this before touching any data.

use crate::error::{bail, Result};

/// Where a symbol got its size: the argument and axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Binding {
    size: usize,
    arg: &'static str,
    axis: usize,
}

/// Binds the `S` symbols of a kernel's signature (`n`, `m`, ...) from argument shapes.
///
/// The first use of a symbol binds it; every later use must agree, or the error names the
/// argument, axis, symbol and both sizes, and where the symbol was bound.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::ShapeBinder;
/// let mut b = ShapeBinder::new(["n", "m"]);
/// b.bind("x", 0, 0, 3)?; // x: [n, m] with x.shape = [3, 4]
/// b.bind("x", 1, 1, 4)?;
/// b.bind("w", 0, 1, 4)?; // w: [m]
/// let err = b.bind("b", 0, 1, 5).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "argument `b` axis 0: expected `m` = 4 (bound by `x` axis 1), found 5"
/// );
/// assert_eq!(b.get(1), Some(4));
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShapeBinder<const S: usize> {
    names: [&'static str; S],
    bound: [Option<Binding>; S],
}

impl<const S: usize> ShapeBinder<S> {
    /// A binder for the symbols `names` (indexed by position), all unbound.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let b = ShapeBinder::new(["n", "m"]);
    /// assert_eq!(b.get(0), None);
    /// ```
    pub fn new(names: [&'static str; S]) -> Self {
        ShapeBinder { names, bound: [None; S] }
    }

    /// Binds symbol number `sym` to `size` from `arg` axis `axis`, or checks it against the
    /// earlier binding.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the symbol is already
    /// bound to another size; [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when `sym` is not a symbol of this binder (a bug in the caller).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let mut b = ShapeBinder::new(["n", "m"]);
    /// b.bind("x", 1, 1, 4096)?;
    /// let err = b.bind("b", 0, 1, 4095).unwrap_err();
    /// assert_eq!(err.to_string(), "argument `b` axis 0: expected `m` = 4096 (bound by `x` axis 1), found 4095");
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn bind(&mut self, arg: &'static str, axis: usize, sym: usize, size: usize) -> Result<()> {
        let (Some(name), Some(slot)) = (self.names.get(sym), self.bound.get_mut(sym)) else {
            bail!(InvalidArgument, "argument `{arg}` axis {axis}: unknown symbol #{sym}");
        };
        match *slot {
            None => {
                *slot = Some(Binding { size, arg, axis });
                Ok(())
            }
            Some(b) if b.size == size => Ok(()),
            Some(b) => bail!(
                ShapeMismatch,
                "argument `{arg}` axis {axis}: expected `{name}` = {} (bound by `{}` axis {}), found {size}",
                b.size,
                b.arg,
                b.axis
            ),
        }
    }

    /// Checks an axis declared with a literal size.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let err = ShapeBinder::<0>::expect_literal("rgb", 1, 3, 4).unwrap_err();
    /// assert_eq!(err.to_string(), "argument `rgb` axis 1: expected 3, found 4");
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `size != literal`.
    pub fn expect_literal(arg: &'static str, axis: usize, literal: usize, size: usize) -> Result<()> {
        if size != literal {
            bail!(ShapeMismatch, "argument `{arg}` axis {axis}: expected {literal}, found {size}");
        }
        Ok(())
    }

    /// Binds every axis of one argument: `dims[k]` is `Ok(symbol index)` or `Err(literal)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let mut b = ShapeBinder::new(["n"]);
    /// b.bind_all("x", &[Ok(0), Err(3)], &[5, 3])?;
    /// assert_eq!(b.get(0), Some(5));
    /// assert!(b.bind_all("y", &[Ok(0), Err(3)], &[5, 2]).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`bind`](Self::bind) and [`expect_literal`](Self::expect_literal).
    pub fn bind_all(
        &mut self,
        arg: &'static str,
        dims: &[Result<usize, usize>],
        shape: &[usize],
    ) -> Result<()> {
        for (axis, (dim, &size)) in dims.iter().zip(shape).enumerate() {
            match *dim {
                Ok(sym) => self.bind(arg, axis, sym, size)?,
                Err(lit) => Self::expect_literal(arg, axis, lit, size)?,
            }
        }
        Ok(())
    }

    /// The size bound to symbol number `sym`, if bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let mut b = ShapeBinder::new(["n"]);
    /// b.bind("x", 0, 0, 5)?;
    /// assert_eq!(b.get(0), Some(5));
    /// assert_eq!(b.get(1), None); // not a symbol of this binder
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn get(&self, sym: usize) -> Option<usize> {
        self.bound.get(sym).copied().flatten().map(|b| b.size)
    }

    /// The size of symbol `sym`, or an error naming it when no argument bound it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when unbound.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ShapeBinder;
    /// let mut b = ShapeBinder::new(["n", "k"]);
    /// b.bind("x", 0, 0, 5)?;
    /// assert_eq!(b.require(0)?, 5);
    /// assert!(b.require(1).is_err()); // `k` was never bound
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn require(&self, sym: usize) -> Result<usize> {
        match self.get(sym) {
            Some(n) => Ok(n),
            None => {
                let name = self.names.get(sym).copied().unwrap_or("?");
                bail!(InvalidArgument, "symbol `{name}` is not bound by any argument")
            }
        }
    }
}

/// Product of sizes with overflow checking, for output allocation.
///
/// # Examples
///
/// ```
/// assert_eq!(array_expr_runtime::shape::checked_product("out", &[3, 4])?, 12);
/// assert!(array_expr_runtime::shape::checked_product("out", &[usize::MAX, 3]).is_err());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) naming `what` on overflow.
pub fn checked_product(what: &str, sizes: &[usize]) -> Result<usize> {
    crate::layout::checked_len(what, sizes, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn unknown_symbol_is_an_error_not_a_panic() {
        let mut b = ShapeBinder::new(["n"]);
        assert_eq!(b.bind("x", 0, 7, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(b.require(0).unwrap_err().to_string(), "symbol `n` is not bound by any argument");
    }
}
