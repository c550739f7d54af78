//! The byte encoding of a [`Partial`]: little-endian, version-tagged, checksummed.
//!
//! ```text
//! offset  size  field
//!  0      4     magic b"AEsp"
//!  4      2     format version (1)
//!  6      1     operation tag (ShardOp::TAG: 1 sum, 2 mean, 3 min, 4 max, 5 prod)
//!  7      1     input dtype code (0 bool, 1 i8, 2 i16, 3 i32, 4 i64, 5 u8 .. 8 u64, 9 f32, 10 f64)
//!  8      1     accumulator size in bytes
//!  9      1     flags: bit 0 = aligned (the nodes are block-tree nodes)
//! 10      4     block size (driver::BLOCK)
//! 14      8     start (first element)
//! 22      8     len (elements)
//! 30      4     depth (unaligned partials: merges on the deepest path)
//! 34      4     node count
//! 38      ...   nodes: level u8, index u64, accumulator (size above)
//! end-8   8     FNV-1a 64 checksum of all bytes before it
//! ```

use super::{Accumulator, Node, Partial, ShardOp, B};
use crate::element::{DType, Element};
use crate::error::{bail, Result};
use std::marker::PhantomData;

const MAGIC: &[u8; 4] = b"AEsp";
const VERSION: u16 = 1;
const HEADER: usize = 38;

/// A stable code for each dtype (the order of the format table above).
fn dtype_code(d: DType) -> u8 {
    match d {
        DType::Bool => 0,
        DType::I8 => 1,
        DType::I16 => 2,
        DType::I32 => 3,
        DType::I64 => 4,
        DType::U8 => 5,
        DType::U16 => 6,
        DType::U32 => 7,
        DType::U64 => 8,
        DType::F32 => 9,
        DType::F64 => 10,
    }
}

/// The dtype name of a code, for messages.
fn dtype_name(code: u8) -> String {
    const NAMES: [&str; 11] = ["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64"];
    NAMES.get(usize::from(code)).map_or_else(|| format!("unknown dtype code {code}"), |n| format!("`{n}`"))
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Reads little-endian fields from the front of a slice (the length was checked before).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap_or_default())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap_or_default())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap_or_default())
    }
}

/// The canonical cover of blocks `b0..b1` by aligned power-of-two runs, as `(level, index)`.
fn cover(mut b0: u64, b1: u64) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    while b0 < b1 {
        let mut level = b0.trailing_zeros().min(63);
        while (1u64 << level) > b1 - b0 {
            level -= 1;
        }
        out.push((level, b0 >> level));
        b0 += 1 << level;
    }
    out
}

impl<T: Element, R: ShardOp<T>> Partial<T, R> {
    /// The partial as bytes (see the format table in the source of `shard/bytes.rs`):
    /// little-endian, so a partial made on any machine reads back on any other.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// let p = Partial::of_shard(Sum, 0, &[1.5f32; 700], Align::Exact)?;
    /// let bytes = p.to_bytes();
    /// assert_eq!(&bytes[..4], b"AEsp");
    /// assert_eq!(Partial::from_bytes(Sum, &bytes)?, p);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.nodes.len() * (9 + R::Acc::SIZE) + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&[R::TAG, dtype_code(T::DTYPE), R::Acc::SIZE as u8, u8::from(self.aligned)]);
        out.extend_from_slice(&(B as u32).to_le_bytes());
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.depth.to_le_bytes());
        out.extend_from_slice(&(self.nodes.len() as u32).to_le_bytes());
        for n in &self.nodes {
            out.push(n.level as u8);
            out.extend_from_slice(&n.index.to_le_bytes());
            n.acc.write_le(&mut out);
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a partial written by [`to_bytes`](Self::to_bytes) for the operation `op` and
    /// element type `T`, checking everything.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum, Mean};
    /// let bytes = Partial::of_shard(Sum, 0, &[1.5f32; 10], Align::Exact)?.to_bytes();
    /// let err = Partial::<f64, Sum>::from_bytes(Sum, &bytes).unwrap_err();
    /// assert_eq!(err.to_string(), "argument `bytes`: the partial reduces `f32` elements, expected `f64`");
    /// assert!(Partial::<f32, Mean>::from_bytes(Mean, &bytes).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Format`](crate::ErrorKind::Format) for bytes that are not a partial of this format
    /// version and block size, are truncated, fail the checksum or describe nodes that do not
    /// match their range; [`DType`](crate::ErrorKind::DType) for another element type;
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for another operation.
    pub fn from_bytes(op: R, bytes: &[u8]) -> Result<Self> {
        let mut r = check_envelope(bytes)?;
        let (tag, dtype, acc_size, flags) = (r.u8(), r.u8(), r.u8(), r.u8());
        check_kind::<T, R>(tag, dtype, acc_size, flags)?;
        let block = r.u32();
        if u64::from(block) != B {
            bail!(Format, "argument `bytes`: the partial was reduced in blocks of {block} elements, this build uses {B}");
        }
        let (start, len, depth, count) = (r.u64(), r.u64(), r.u32(), r.u32());
        let Some(end) = start.checked_add(len) else {
            bail!(Format, "argument `bytes`: the range start {start} + len {len} overflows");
        };
        let entry = 9 + R::Acc::SIZE;
        let body = r.0.len() - 8;
        if body != count as usize * entry {
            bail!(
                Format,
                "argument `bytes`: {count} nodes of {entry} bytes need {} bytes, found {body}",
                count as usize * entry
            );
        }
        let mut nodes = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (level, index) = (u32::from(r.u8()), r.u64());
            let Some(acc) = R::Acc::read_le(r.take(R::Acc::SIZE)) else {
                bail!(Format, "argument `bytes`: a node value is not a valid `{}`", R::NAME);
            };
            nodes.push(Node { level, index, acc });
        }
        let p = Partial { op, start, len, aligned: flags == 1, depth, nodes, elem: PhantomData };
        p.check_nodes(end)?;
        Ok(p)
    }

    /// Checks that the nodes are those of the range `start..end`.
    fn check_nodes(&self, end: u64) -> Result<()> {
        let found: Vec<(u32, u64)> = self.nodes.iter().map(|n| (n.level, n.index)).collect();
        let expected = match (self.aligned, self.len) {
            (_, 0) => Vec::new(),
            (true, _) if self.start % B == 0 => cover(self.start / B, end.div_ceil(B)),
            (true, _) => bail!(
                Format,
                "argument `bytes`: an aligned partial starts at element {}, not a multiple of {B}",
                self.start
            ),
            (false, _) => vec![(0, 0)],
        };
        if found != expected {
            bail!(
                Format,
                "argument `bytes`: the partial's nodes (level, index) {found:?} do not match elements {}..{}, whose nodes are {expected:?}",
                self.start,
                end
            );
        }
        Ok(())
    }
}

/// Checks length, magic, version and checksum; returns a reader after the version field.
fn check_envelope(bytes: &[u8]) -> Result<Reader<'_>> {
    if bytes.len() < HEADER + 8 {
        bail!(Format, "argument `bytes`: {} bytes, a partial has at least {}", bytes.len(), HEADER + 8);
    }
    let mut r = Reader(bytes);
    if r.take(4) != MAGIC {
        bail!(Format, "argument `bytes`: not a serialized partial (the first 4 bytes are not `AEsp`)");
    }
    let version = r.u16();
    if version != VERSION {
        bail!(
            Format,
            "argument `bytes`: partial format version {version}, this build reads version {VERSION}"
        );
    }
    let (payload, tail) = bytes.split_at(bytes.len() - 8);
    let stored = u64::from_le_bytes(tail.try_into().unwrap_or_default());
    let computed = fnv1a(payload);
    if stored != computed {
        bail!(Format, "argument `bytes`: checksum mismatch (stored {stored:#018x}, computed {computed:#018x}); the bytes are corrupt or truncated");
    }
    Ok(r)
}

/// Checks that the encoded operation, dtype, accumulator size and flags are those of `R` on `T`.
fn check_kind<T: Element, R: ShardOp<T>>(tag: u8, dtype: u8, acc_size: u8, flags: u8) -> Result<()> {
    const OPS: [&str; 6] = ["?", "sum", "mean", "min", "max", "prod"];
    if tag != R::TAG {
        let name = OPS.get(usize::from(tag)).copied().unwrap_or("?");
        bail!(
            InvalidArgument,
            "argument `bytes`: the partial is of `{name}` (tag {tag}), expected `{}`",
            R::NAME
        );
    }
    if dtype != dtype_code(T::DTYPE) {
        bail!(
            DType,
            "argument `bytes`: the partial reduces {} elements, expected `{}`",
            dtype_name(dtype),
            T::DTYPE.name()
        );
    }
    if usize::from(acc_size) != R::Acc::SIZE || flags > 1 {
        bail!(Format, "argument `bytes`: accumulator of {acc_size} bytes and flags {flags:#x}, expected {} bytes and flags 0 or 1", R::Acc::SIZE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cover;

    #[test]
    fn cover_is_the_binary_decomposition() {
        assert_eq!(cover(0, 13), vec![(3, 0), (2, 2), (0, 12)]);
        assert_eq!(cover(3, 9), vec![(0, 3), (2, 1), (0, 8)]);
        assert_eq!(cover(5, 5), vec![]);
    }
}
