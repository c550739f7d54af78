//! Symbolic shapes: dims are symbols or literals; NumPy broadcasting applied symbolically.

use std::fmt;

/// One dimension: a symbol (`n`) bound at run time, or a literal size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dim {
    Sym(String),
    Lit(u64),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Sym(s) => f.write_str(s),
            Dim::Lit(n) => write!(f, "{n}"),
        }
    }
}

/// A symbolic shape; empty for scalars.
pub(crate) type Shape = Vec<Dim>;

/// Writes a shape as the DSL does: `[n, 3]`, or nothing for a scalar.
pub(crate) fn show(shape: &Shape) -> String {
    if shape.is_empty() {
        return String::new();
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

/// The axis pair that fails to broadcast: (axis of a, dim of a, axis of b, dim of b).
pub(crate) type Conflict = (usize, Dim, usize, Dim);

/// NumPy broadcasting of two symbolic shapes (right-aligned; `1` stretches; equal dims match).
pub(crate) fn broadcast(a: &Shape, b: &Shape) -> Result<Shape, Conflict> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let da = (k + a.len()).checked_sub(n).and_then(|i| a.get(i).map(|d| (i, d)));
        let db = (k + b.len()).checked_sub(n).and_then(|i| b.get(i).map(|d| (i, d)));
        let d = match (da, db) {
            (Some((_, x)), None) | (None, Some((_, x))) => x.clone(),
            (Some((_, x)), Some((_, y))) if x == y => x.clone(),
            (Some((_, Dim::Lit(1))), Some((_, y))) => y.clone(),
            (Some((_, x)), Some((_, Dim::Lit(1)))) => x.clone(),
            (Some((i, x)), Some((j, y))) => return Err((i, x.clone(), j, y.clone())),
            (None, None) => Dim::Lit(1),
        };
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Shape {
        v.iter().map(|d| d.parse().map(Dim::Lit).unwrap_or_else(|_| Dim::Sym(d.to_string()))).collect()
    }

    #[test]
    fn numpy_rules() {
        assert_eq!(broadcast(&s(&["n", "m"]), &s(&["m"])), Ok(s(&["n", "m"])));
        assert_eq!(broadcast(&s(&["n", "1"]), &s(&["m"])), Ok(s(&["n", "m"])));
        assert_eq!(broadcast(&s(&[]), &s(&["k"])), Ok(s(&["k"])));
        assert_eq!(
            broadcast(&s(&["n"]), &s(&["m"])),
            Err((0, Dim::Sym("n".into()), 0, Dim::Sym("m".into())))
        );
        assert!(broadcast(&s(&["n", "3"]), &s(&["4"])).is_err());
    }
}
