//! The checkpoint's binary columns: each a length, then its values as little-endian bytes, one
//! after the other in the order they were written. A column of `Option`s is a byte of presence
//! per value, then the values (a default where absent); text is its bytes, then where each value
//! ends. Reading checks every length against what is left, so a cut or foreign file is refused
//! with an error, never read past.

use bytemuck::Pod;

/// Columns written one after the other.
#[derive(Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    fn len(&mut self, n: usize) {
        self.bytes.extend_from_slice(&(n as u64).to_le_bytes());
    }

    /// Plain values: integers of one width.
    pub fn pod<T: Pod>(&mut self, v: &[T]) {
        self.len(v.len());
        self.bytes.extend_from_slice(bytemuck::cast_slice(v));
    }

    pub fn opt<T: Pod + Default>(&mut self, v: &[Option<T>]) {
        let present: Vec<u8> = v.iter().map(|x| x.is_some() as u8).collect();
        let values: Vec<T> = v.iter().map(|x| x.unwrap_or_default()).collect();
        self.pod(&present);
        self.pod(&values);
    }

    /// Texts, some absent.
    pub fn texts<'a>(&mut self, v: impl Iterator<Item = Option<&'a str>>) {
        let (mut present, mut ends, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
        for s in v {
            present.push(s.is_some() as u8);
            bytes.extend_from_slice(s.unwrap_or("").as_bytes());
            ends.push(bytes.len() as u64);
        }
        self.pod(&present);
        self.pod(&ends);
        self.pod(&bytes);
    }
}

/// A checkpoint file that does not hold what its reader expects.
#[derive(Debug)]
pub struct Corrupt;

/// Columns read back in the order they were written.
pub struct Reader<'b> {
    rest: &'b [u8],
}

impl<'b> Reader<'b> {
    pub fn new(bytes: &'b [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'b [u8], Corrupt> {
        if n > self.rest.len() {
            return Err(Corrupt);
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    fn len(&mut self) -> Result<usize, Corrupt> {
        let b = self.take(8)?;
        usize::try_from(u64::from_le_bytes(b.try_into().map_err(|_| Corrupt)?)).map_err(|_| Corrupt)
    }

    pub fn pod<T: Pod>(&mut self) -> Result<Vec<T>, Corrupt> {
        let n = self.len()?;
        let size = n.checked_mul(std::mem::size_of::<T>()).ok_or(Corrupt)?;
        Ok(bytemuck::pod_collect_to_vec(self.take(size)?))
    }

    pub fn opt<T: Pod + Default>(&mut self) -> Result<Vec<Option<T>>, Corrupt> {
        let present: Vec<u8> = self.pod()?;
        let values: Vec<T> = self.pod()?;
        if present.len() != values.len() {
            return Err(Corrupt);
        }
        Ok(present
            .iter()
            .zip(values)
            .map(|(&p, v)| (p != 0).then_some(v))
            .collect())
    }

    /// Texts as one buffer and where each ends; absent ones are `None`.
    pub fn texts(&mut self) -> Result<Texts, Corrupt> {
        let present: Vec<u8> = self.pod()?;
        let ends: Vec<u64> = self.pod()?;
        let bytes: Vec<u8> = self.pod()?;
        let bytes = String::from_utf8(bytes).map_err(|_| Corrupt)?;
        let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
        let fits = ends.last().is_none_or(|&e| e as usize == bytes.len());
        if present.len() != ends.len() || !ordered || !fits {
            return Err(Corrupt);
        }
        let ends: Vec<usize> = ends.into_iter().map(|e| e as usize).collect();
        if ends.iter().any(|&e| !bytes.is_char_boundary(e)) {
            return Err(Corrupt);
        }
        Ok(Texts {
            present,
            ends,
            bytes,
        })
    }

    /// Whether every column was read.
    pub fn done(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Texts read back.
pub struct Texts {
    present: Vec<u8>,
    pub ends: Vec<usize>,
    pub bytes: String,
}

impl Texts {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (self.present[i] != 0).then(|| &self.bytes[start..self.ends[i]])
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back_as_written_and_a_cut_file_is_refused() {
        let mut w = Writer::default();
        w.pod(&[1i64, -2, i64::MAX]);
        w.opt(&[Some(7u32), None, Some(0)]);
        w.texts([Some("INV-1"), None, Some(""), Some("é客户")].into_iter());
        w.pod::<i32>(&[]);
        let mut r = Reader::new(&w.bytes);
        assert_eq!(r.pod::<i64>().unwrap(), [1, -2, i64::MAX]);
        assert_eq!(r.opt::<u32>().unwrap(), [Some(7), None, Some(0)]);
        let t = r.texts().unwrap();
        let got: Vec<_> = t.iter().collect();
        assert_eq!(got, [Some("INV-1"), None, Some(""), Some("é客户")]);
        assert!(r.pod::<i32>().unwrap().is_empty());
        assert!(r.done());
        for cut in [0, 5, 8, 30, w.bytes.len() - 1] {
            let mut r = Reader::new(&w.bytes[..cut]);
            let whole = r.pod::<i64>().is_ok()
                && r.opt::<u32>().is_ok()
                && r.texts().is_ok()
                && r.pod::<i32>().is_ok();
            assert!(!whole, "cut at {cut}");
        }
    }
}
