//! The ids of a slice's rows, to find ids repeated across parts: each non-empty id (trimmed) as
//! its xxh3-128 with the row's place (file index, row within the file), sorted, in a file of
//! 24-byte little-endian records. A shard merges every slice's file in one streaming pass and
//! keeps only the repeated ids' places. 128 bits, because two ids of a billion rows would share
//! a 64-bit hash about once in forty such runs; a 128-bit one never in practice. The text of two
//! ids is never compared: they are in different parts.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

/// A row's place: its file's index among the table's files, and its row in that file (0-based).
pub type Place = (u32, u32);

/// One record: an id's hash and the place of its row.
pub type IdAt = (u128, Place);

const RECORD: usize = 24;

/// The hash a row's id is found by.
pub fn id_hash(id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id.as_bytes())
}

/// Writes `ids`, sorted, to `path`.
pub fn write(path: &Path, ids: &mut [IdAt]) -> std::io::Result<()> {
    ids.sort_unstable();
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    for (h, (f, r)) in ids.iter() {
        w.write_all(&h.to_le_bytes())?;
        w.write_all(&f.to_le_bytes())?;
        w.write_all(&r.to_le_bytes())?;
    }
    w.flush()
}

/// One slice's file, read a record at a time.
struct Cursor {
    r: BufReader<std::fs::File>,
}

impl Cursor {
    fn next(&mut self) -> std::io::Result<Option<IdAt>> {
        let mut b = [0u8; RECORD];
        match self.r.read_exact(&mut b) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let h = u128::from_le_bytes(b[..16].try_into().unwrap_or_default());
        let f = u32::from_le_bytes(b[16..20].try_into().unwrap_or_default());
        let r = u32::from_le_bytes(b[20..].try_into().unwrap_or_default());
        Ok(Some((h, (f, r))))
    }
}

/// The places of every id that two rows or more share, over the sorted files `paths`: one list
/// per repeated id, in the rows' order (file, then row). One pass, a record per file held.
pub fn repeated(paths: &[std::path::PathBuf]) -> std::io::Result<Vec<Vec<Place>>> {
    let mut cursors = Vec::with_capacity(paths.len());
    let mut heap = BinaryHeap::new();
    for (k, p) in paths.iter().enumerate() {
        let mut c = Cursor {
            r: BufReader::with_capacity(1 << 16, std::fs::File::open(p)?),
        };
        if let Some(rec) = c.next()? {
            heap.push(Reverse((rec, k)));
        }
        cursors.push(c);
    }
    let mut out = Vec::new();
    let mut run: Vec<Place> = Vec::new();
    let mut hash = None;
    while let Some(Reverse(((h, at), k))) = heap.pop() {
        if hash != Some(h) {
            if run.len() > 1 {
                run.sort_unstable();
                out.push(std::mem::take(&mut run));
            }
            run.clear();
            hash = Some(h);
        }
        run.push(at);
        if let Some(rec) = cursors[k].next()? {
            heap.push(Reverse((rec, k)));
        }
    }
    if run.len() > 1 {
        run.sort_unstable();
        out.push(run);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_repeated_within_and_across_files_are_found_in_row_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let mut x = vec![
            (id_hash("I1"), (0, 0)),
            (id_hash("I2"), (0, 1)),
            (id_hash("I1"), (2, 5)),
        ];
        let mut y = vec![(id_hash("I3"), (1, 0)), (id_hash("I1"), (1, 7))];
        write(&a, &mut x).unwrap();
        write(&b, &mut y).unwrap();
        let found = repeated(&[a, b]).unwrap();
        assert_eq!(found, vec![vec![(0, 0), (1, 7), (2, 5)]]);
    }
}
