//! The strict parser for the Python dict literal of an `.npy` header.
//!
//! NumPy writes `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` and reads it
//! back with `ast.literal_eval`. This parser accepts the subset of Python literal syntax such
//! a dict can use for the dtypes of this crate, and rejects everything else with the byte
//! position and the header text in the message.

use crate::element::DType;
use crate::error::{bail, err, Error, Result};

/// Parses the header dict; returns dtype, fortran order and shape.
pub(super) fn parse_dict(text: &[u8], label: &str) -> Result<(DType, bool, Vec<usize>)> {
    let mut p = Parser { text, pos: 0, label };
    let mut descr: Option<String> = None;
    let mut fortran: Option<bool> = None;
    let mut shape: Option<Vec<usize>> = None;
    p.skip_ws();
    p.expect(b'{', "`{` opening the header dict")?;
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key_pos = p.pos;
        let key = p.string()?;
        p.skip_ws();
        p.expect(b':', "`:` after the key")?;
        p.skip_ws();
        let dup = match key {
            "descr" => descr.replace(p.descr_value()?).is_some(),
            "fortran_order" => fortran.replace(p.boolean()?).is_some(),
            "shape" => shape.replace(p.shape()?).is_some(),
            other => {
                let msg =
                    format!("unexpected key `{other}` (the keys are `descr`, `fortran_order` and `shape`)");
                return Err(p.error_at(key_pos, &msg));
            }
        };
        if dup {
            return Err(p.error_at(key_pos, &format!("duplicate key `{key}`")));
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.expect(b'}', "`,` or `}` after a value")?;
            break;
        }
    }
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the closing `}`"));
    }
    let missing = |key: &str| p.error(&format!("missing key `{key}`"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    Ok((resolve_descr(&descr, label)?, fortran, shape))
}

/// Maps a type string to a dtype, with specific errors for big-endian and unknown types.
fn resolve_descr(descr: &str, label: &str) -> Result<DType> {
    if let Some(d) = DType::from_npy_descr(descr) {
        return Ok(d);
    }
    let swapped = descr.strip_prefix('>').map(|rest| format!("<{rest}"));
    match swapped.as_deref().and_then(DType::from_npy_descr) {
        Some(d) if d.size() == 1 => Ok(d),
        Some(d) => Err(err!(
            DType,
            "{label}: big-endian dtype `{descr}` is not supported; convert it in NumPy with \
             `a.astype('{}')`",
            d.npy_descr()
        )),
        None => Err(err!(DType, "{label}: unsupported dtype `{descr}` (supported: {})", supported_descrs())),
    }
}

fn supported_descrs() -> String {
    let all: Vec<&str> = DType::ALL.iter().map(|d| d.npy_descr()).collect();
    all.join(" ")
}

/// A cursor over the header text; every error names the byte position and shows the text.
struct Parser<'h> {
    text: &'h [u8],
    pos: usize,
    label: &'h str,
}

impl<'h> Parser<'h> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn error(&self, msg: &str) -> Error {
        self.error_at(self.pos, msg)
    }

    fn error_at(&self, pos: usize, msg: &str) -> Error {
        let found = match self.text.get(pos) {
            Some(&b) => format!("found `{}`", (b as char).escape_default()),
            None => "found the end of the header".to_string(),
        };
        err!(
            Format,
            "{}: malformed `.npy` header: {msg} at byte {pos} ({found}) in `{}`",
            self.label,
            excerpt(self.text)
        )
    }

    /// A quoted string of printable ASCII without escapes.
    fn string(&mut self) -> Result<&'h str> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.error("expected a quoted string")),
        };
        let start = self.pos + 1;
        let rest: &'h [u8] = self.text.get(start..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == quote || b == b'\\' || !(b' '..=b'~').contains(&b));
        match len.and_then(|n| Some((n, *rest.get(n)?))) {
            Some((n, b)) if b == quote => {
                self.pos = start + n + 1;
                // only printable ASCII bytes were accepted, so this is valid UTF-8
                std::str::from_utf8(rest.get(..n).unwrap_or_default())
                    .map_err(|_| self.error("expected an ASCII string"))
            }
            Some((n, _)) => Err(self.error_at(
                start + n,
                "unsupported character in a string (escapes and non-ASCII are not allowed)",
            )),
            None => Err(self.error("unterminated string")),
        }
    }

    fn descr_value(&mut self) -> Result<String> {
        if self.peek() == Some(b'[') {
            bail!(DType, "{}: structured dtypes (a list as `descr`) are not supported", self.label);
        }
        Ok(self.string()?.to_string())
    }

    fn boolean(&mut self) -> Result<bool> {
        let rest: &[u8] = self.text.get(self.pos..).unwrap_or_default();
        let word_end =
            rest.iter().position(|b| !b.is_ascii_alphanumeric() && *b != b'_').unwrap_or(rest.len());
        let value = match rest.get(..word_end) {
            Some(b"True") => true,
            Some(b"False") => false,
            _ => return Err(self.error("expected `True` or `False`")),
        };
        self.pos += word_end;
        Ok(value)
    }

    /// A tuple of non-negative integers: `()`, `(n,)`, `(n, m)`, `(n, m,)`.
    fn shape(&mut self) -> Result<Vec<usize>> {
        self.expect(b'(', "a shape tuple such as `(3, 4)`")?;
        let mut dims = Vec::new();
        self.skip_ws();
        if self.eat(b')') {
            return Ok(dims);
        }
        loop {
            dims.push(self.uint()?);
            self.skip_ws();
            if self.eat(b',') {
                self.skip_ws();
                if self.eat(b')') {
                    return Ok(dims);
                }
            } else if dims.len() == 1 {
                let msg = "expected `,` (a one-element shape tuple is written `(n,)`)";
                return Err(self.error(msg));
            } else {
                self.expect(b')', "`,` or `)` in the shape tuple")?;
                return Ok(dims);
            }
        }
    }

    /// A decimal integer (Python syntax: no leading zeros; an old-style `L` suffix is allowed).
    fn uint(&mut self) -> Result<usize> {
        let start = self.pos;
        let rest: &[u8] = self.text.get(start..).unwrap_or_default();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(self.error("expected a non-negative integer"));
        }
        let text: &[u8] = rest.get(..digits).unwrap_or_default();
        if digits > 1 && text.first() == Some(&b'0') {
            return Err(self.error("integers must not have leading zeros"));
        }
        let value =
            text.iter().try_fold(0usize, |acc, &b| acc.checked_mul(10)?.checked_add(usize::from(b - b'0')));
        let Some(value) = value else {
            bail!(
                Overflow,
                "{}: `.npy` shape dimension {} does not fit in usize",
                self.label,
                String::from_utf8_lossy(text)
            );
        };
        self.pos += digits;
        self.eat(b'L');
        Ok(value)
    }
}

/// The header text for error messages: trailing padding removed, escaped, at most 160 chars.
fn excerpt(text: &[u8]) -> String {
    let end = text.iter().rposition(|b| !matches!(b, b' ' | b'\n')).map_or(0, |i| i + 1);
    let shown: String = text
        .get(..end)
        .unwrap_or_default()
        .iter()
        .flat_map(|&b| match b {
            b' '..=b'~' => vec![b as char],
            _ => (b as char).escape_default().collect(),
        })
        .collect();
    if shown.len() > 160 {
        let cut: String = shown.chars().take(157).collect();
        format!("{cut}...")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn parse(text: &str) -> Result<(DType, bool, Vec<usize>)> {
        parse_dict(text.as_bytes(), "`.npy` header")
    }

    #[test]
    fn accepts_numpy_variants() {
        let cases = [
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            "{\"shape\": (3,), \"descr\": \"<f8\", \"fortran_order\": False}",
            " {'fortran_order':False,'shape':(3,),'descr':'=f8'} \n",
            "{'descr': '<f8',\n 'fortran_order': False,\n 'shape': ( 3 , ) ,\n}\n",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }",
        ];
        for text in cases {
            let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed, (DType::F64, false, vec![3]));
        }
        let parsed = parse("{'descr': '|b1', 'fortran_order': True, 'shape': (), }").unwrap();
        assert_eq!(parsed, (DType::Bool, true, vec![]));
        let parsed = parse("{'descr': '>u1', 'fortran_order': True, 'shape': (0, 2), }").unwrap();
        assert_eq!(parsed, (DType::U8, true, vec![0, 2]));
    }

    #[test]
    fn rejects_malformed_dicts() {
        let cases = [
            ("", "expected `{`"),
            ("{'descr': '<f8', 'fortran_order': False}", "missing key `shape`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", "one-element"),
            ("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }", "`True` or `False`"),
            ("{'descr': '<f8', 'fortran_order': Falsey, 'shape': (3,)}", "`True` or `False`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': [3], }", "shape tuple"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", "non-negative"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (03,), }", "leading zeros"),
            ("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", "duplicate"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}", "unexpected key `x`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': ()}}", "after the closing"),
            ("{'descr': '<f8, 'fortran_order': False, 'shape': ()}", "expected `,` or `}`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (),,}", "quoted string"),
            ("{'descr': '\\x3cf8', 'fortran_order': False, 'shape': ()}", "escapes"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2", "`,` or `)`"),
            ("{'descr': '<f8", "unterminated"),
        ];
        for (text, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Format, "{text}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn dtype_and_overflow_errors() {
        let e = parse("{'descr': '>f8', 'fortran_order': False, 'shape': ()}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert_eq!(
            e.to_string(),
            "`.npy` header: big-endian dtype `>f8` is not supported; convert it in NumPy with \
             `a.astype('<f8')`"
        );
        let e = parse("{'descr': '<c8', 'fortran_order': False, 'shape': ()}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        let e = parse("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        let e = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow);
    }
}
