//! The checkpoint's binary columns: each a length, then its values as little-endian bytes, one
//! after the other in the order they were written, streamed to and from the file (never held
//! twice). A column of `Option`s is a byte of presence per value, then the values (a default
//! where absent); names are where each ends, then their bytes. An xxh3 of every byte is kept
//! beside the file: a file cut, changed or foreign is refused, never read as rows.

use std::io::{Read, Write};

use bytemuck::Pod;
use xxhash_rust::xxh3::Xxh3Default;

/// The capacity a column of `n` rows read from a checkpoint gets: an eighth more, so that the
/// rows a monthly run adds after them (a month in ten years is 1/120) go in without copying the
/// column into a larger one.
pub fn room(n: usize) -> usize {
    n + n / 8
}

/// Values converted a block at a time, so that no column is copied whole.
const BLOCK: usize = 1 << 16;

/// Columns written one after the other.
pub struct Writer<W: Write> {
    w: W,
    hash: Xxh3Default,
}

impl<W: Write> Writer<W> {
    pub fn new(w: W) -> Self {
        Writer {
            w,
            hash: Xxh3Default::new(),
        }
    }

    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.w.write_all(b)
    }

    fn len(&mut self, n: usize) -> std::io::Result<()> {
        self.put(&(n as u64).to_le_bytes())
    }

    /// Plain values: integers of one width.
    pub fn pod<T: Pod>(&mut self, v: &[T]) -> std::io::Result<()> {
        self.len(v.len())?;
        self.put(bytemuck::cast_slice(v))
    }

    /// The values of `all` at the indexes `at`, as [`Writer::pod`] writes them once gathered,
    /// gathered a block at a time.
    pub fn pod_at<T: Pod>(&mut self, all: &[T], at: &[u32]) -> std::io::Result<()> {
        self.len(at.len())?;
        for b in at.chunks(BLOCK) {
            let v: Vec<T> = b.iter().map(|&i| all[i as usize]).collect();
            self.put(bytemuck::cast_slice(&v))?;
        }
        Ok(())
    }

    /// Values some of which are absent.
    pub fn opt<T: Pod + Default>(&mut self, v: &[Option<T>]) -> std::io::Result<()> {
        self.len(v.len())?;
        for b in v.chunks(BLOCK) {
            let present: Vec<u8> = b.iter().map(|x| x.is_some() as u8).collect();
            self.put(&present)?;
        }
        for b in v.chunks(BLOCK) {
            let values: Vec<T> = b.iter().map(|x| x.unwrap_or_default()).collect();
            self.put(bytemuck::cast_slice(&values))?;
        }
        Ok(())
    }

    /// Names: `bytes` holds them one after the other, each ending at its `ends` (counted from
    /// `start`, where the first begins).
    pub fn names(&mut self, bytes: &str, start: usize, ends: &[usize]) -> std::io::Result<()> {
        self.len(ends.len())?;
        for b in ends.chunks(BLOCK) {
            let rel: Vec<u64> = b.iter().map(|&e| (e - start) as u64).collect();
            self.put(bytemuck::cast_slice(&rel))?;
        }
        let end = ends.last().copied().unwrap_or(start);
        self.pod(&bytes.as_bytes()[start..end])
    }

    /// The xxh3 of every byte written, once everything is.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.w.flush()?;
        Ok(self.hash.digest())
    }
}

/// A checkpoint file that does not hold what its reader expects.
#[derive(Debug)]
pub struct Corrupt;

/// Columns read back in the order they were written, from a file of `size` bytes.
pub struct Reader<R: Read> {
    r: R,
    left: u64,
    hash: Xxh3Default,
}

impl<R: Read> Reader<R> {
    pub fn new(r: R, size: u64) -> Self {
        Reader {
            r,
            left: size,
            hash: Xxh3Default::new(),
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Corrupt> {
        if buf.len() as u64 > self.left {
            return Err(Corrupt);
        }
        self.r.read_exact(buf).map_err(|_| Corrupt)?;
        self.hash.update(buf);
        self.left -= buf.len() as u64;
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Corrupt> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        usize::try_from(u64::from_le_bytes(b)).map_err(|_| Corrupt)
    }

    /// `n` values, read straight into their vector, with [`room`] for more.
    fn values<T: Pod>(&mut self, n: usize) -> Result<Vec<T>, Corrupt> {
        let size = n.checked_mul(std::mem::size_of::<T>()).ok_or(Corrupt)?;
        if size as u64 > self.left {
            return Err(Corrupt);
        }
        // Zeroed memory fresh from the system is not written until used: the room is free.
        let mut v = vec![T::zeroed(); room(n)];
        v.truncate(n);
        self.fill(bytemuck::cast_slice_mut(&mut v))?;
        Ok(v)
    }

    pub fn pod<T: Pod>(&mut self) -> Result<Vec<T>, Corrupt> {
        let n = self.len()?;
        self.values(n)
    }

    pub fn opt<T: Pod + Default>(&mut self) -> Result<Vec<Option<T>>, Corrupt> {
        let n = self.len()?;
        let present: Vec<u8> = self.values(n)?;
        let values: Vec<T> = self.values(n)?;
        let mut v = Vec::with_capacity(room(n));
        v.extend(
            present
                .iter()
                .zip(values)
                .map(|(&p, v)| (p != 0).then_some(v)),
        );
        Ok(v)
    }

    /// Names as written by [`Writer::names`]: their bytes, and where each ends.
    pub fn names(&mut self) -> Result<(String, Vec<usize>), Corrupt> {
        let n = self.len()?;
        let ends: Vec<u64> = self.values(n)?;
        let bytes: Vec<u8> = self.pod()?;
        let bytes = String::from_utf8(bytes).map_err(|_| Corrupt)?;
        let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
        let fits = ends.last().is_none_or(|&e| e as usize == bytes.len());
        if !ordered || !fits {
            return Err(Corrupt);
        }
        let ends: Vec<usize> = ends.into_iter().map(|e| e as usize).collect();
        if ends.iter().any(|&e| !bytes.is_char_boundary(e)) {
            return Err(Corrupt);
        }
        Ok((bytes, ends))
    }

    /// Whether every byte was read and they are the bytes written (`xxh3`).
    pub fn done(&self, xxh3: u64) -> bool {
        self.left == 0 && self.hash.digest() == xxh3
    }

    /// The xxh3 of the bytes read if every byte was, and the source to read on from.
    pub fn end(self) -> (Option<u64>, R) {
        ((self.left == 0).then(|| self.hash.digest()), self.r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back_as_written_and_a_cut_or_changed_file_is_refused() {
        let mut bytes = Vec::new();
        let mut w = Writer::new(&mut bytes);
        w.pod(&[1i64, -2, i64::MAX]).unwrap();
        w.opt(&[Some(7u32), None, Some(0)]).unwrap();
        let names = "xxINV-1é客户";
        w.names(names, 2, &[7, 7, names.len()]).unwrap();
        w.pod::<i32>(&[]).unwrap();
        let xxh3 = w.finish().unwrap();
        let read = |b: &[u8]| -> Result<bool, Corrupt> {
            let mut r = Reader::new(b, b.len() as u64);
            let mut same = r.pod::<i64>()? == [1, -2, i64::MAX];
            same &= r.opt::<u32>()? == [Some(7), None, Some(0)];
            let (s, ends) = r.names()?;
            same &= (s.as_str(), ends) == ("INV-1é客户", vec![5, 5, 13]);
            same &= r.pod::<i32>()?.is_empty();
            Ok(same && r.done(xxh3))
        };
        assert!(read(&bytes).unwrap());
        for cut in [0, 5, 8, 30, bytes.len() - 1] {
            assert!(!read(&bytes[..cut]).unwrap_or(false), "cut at {cut}");
        }
        let mut changed = bytes.clone();
        changed[9] ^= 1;
        assert!(!read(&changed).unwrap_or(false));
    }
}
