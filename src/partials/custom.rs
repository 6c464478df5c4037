//! A part's custom aggregates ([`CustomPart`]) in its file, as the codec's plain columns: each
//! folded aggregate's touched slots with a tag and 64 bits per value, each grouped table's row
//! places and slots, and each grouped aggregate's values (numbers, keys, or text as bytes and
//! ends), each with a presence byte per row.

use std::io::{Read, Write};

use crate::catalogue::{Agg, CustomTable};
use crate::checkpoint::codec::{Reader, Writer};
use crate::metrics::custom::parts::{CustomPart, Folded, RowValues, TablePart, Texts};
use crate::metrics::registry::Val;

use super::ReadError;

fn corrupt<T>(_: T) -> ReadError {
    ReadError::Corrupt
}

fn one<T: bytemuck::Pod + Default, R: Read>(c: &mut Reader<R>) -> Result<T, ReadError> {
    let v: Vec<T> = c.pod().map_err(corrupt)?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(ReadError::Corrupt),
    }
}

fn tag(v: Val) -> (u8, u64) {
    match v {
        Val::Null => (0, 0),
        Val::Money(c) => (1, c as u64),
        Val::Count(n) => (2, n as u64),
        Val::Float(Some(x)) => (3, x.to_bits()),
        Val::Float(None) => (4, 0),
    }
}

fn untag(t: u8, b: u64) -> Result<Val, ReadError> {
    Ok(match t {
        0 => Val::Null,
        1 => Val::Money(b as i64),
        2 => Val::Count(b as i64),
        3 => Val::Float(Some(f64::from_bits(b))),
        4 => Val::Float(None),
        _ => return Err(ReadError::Corrupt),
    })
}

fn present<T>(v: &[Option<T>]) -> Vec<u8> {
    v.iter().map(|x| x.is_some() as u8).collect()
}

/// Writes `c` (none when the run has no custom aggregate).
pub(super) fn write<W: Write>(w: &mut Writer<W>, c: Option<&CustomPart>) -> std::io::Result<()> {
    let Some(c) = c else {
        return w.pod(&[0u8]);
    };
    w.pod(&[1u8])?;
    w.pod(&[c.periods as u64, c.tables.len() as u64])?;
    for t in &c.tables {
        let table = CustomTable::ALL
            .iter()
            .position(|&x| x == t.table)
            .unwrap_or(0);
        w.pod(&[table as u8])?;
        w.pod(&[t.folded.len() as u64])?;
        for f in &t.folded {
            let agg = Agg::ALL.iter().position(|&a| a == f.agg).unwrap_or(0);
            w.pod(&[f.metric as u64, agg as u64])?;
            let slots: Vec<u32> = f.cells.iter().map(|c| c.0).collect();
            let (tags, bits): (Vec<u8>, Vec<u64>) = f.cells.iter().map(|c| tag(c.1)).unzip();
            w.pod(&slots)?;
            w.pod(&tags)?;
            w.pod(&bits)?;
        }
        w.pod(&t.order)?;
        w.pod(&t.slots)?;
        w.pod(&[t.grouped.len() as u64])?;
        for (i, v) in &t.grouped {
            w.pod(&[*i as u64])?;
            match v {
                RowValues::Numbers(v) => {
                    w.pod(&[0u8])?;
                    w.pod(&present(v))?;
                    w.pod(&v.iter().map(|x| x.unwrap_or(0.0)).collect::<Vec<f64>>())?;
                }
                RowValues::Keys(v) => {
                    w.pod(&[1u8])?;
                    w.pod(&present(v))?;
                    w.pod(&v.iter().map(|x| x.unwrap_or(0)).collect::<Vec<u64>>())?;
                }
                RowValues::Texts(v) => {
                    w.pod(&[2u8])?;
                    w.pod(&v.present)?;
                    w.pod(v.bytes.as_bytes())?;
                    w.pod(&v.ends)?;
                }
            }
        }
    }
    Ok(())
}

/// Values `v` where `present` says so.
fn with_presence<T: Copy>(present: &[u8], v: Vec<T>) -> Result<Vec<Option<T>>, ReadError> {
    if present.len() != v.len() {
        return Err(ReadError::Corrupt);
    }
    Ok(present
        .iter()
        .zip(v)
        .map(|(&p, x)| (p == 1).then_some(x))
        .collect())
}

fn read_values<R: Read>(c: &mut Reader<R>) -> Result<RowValues, ReadError> {
    let kind: u8 = one(c)?;
    let present: Vec<u8> = c.pod().map_err(corrupt)?;
    Ok(match kind {
        0 => RowValues::Numbers(with_presence(&present, c.pod().map_err(corrupt)?)?),
        1 => RowValues::Keys(with_presence(&present, c.pod().map_err(corrupt)?)?),
        2 => {
            let bytes: Vec<u8> = c.pod().map_err(corrupt)?;
            let ends: Vec<u64> = c.pod().map_err(corrupt)?;
            let bytes = String::from_utf8(bytes).map_err(corrupt)?;
            // Every value ends after the one before, within the text, on a character boundary.
            let fits = ends.len() == present.len()
                && ends.windows(2).all(|w| w[0] <= w[1])
                && ends.iter().all(|&e| bytes.is_char_boundary(e as usize));
            if !fits {
                return Err(ReadError::Corrupt);
            }
            RowValues::Texts(Texts {
                bytes,
                ends,
                present,
            })
        }
        _ => return Err(ReadError::Corrupt),
    })
}

/// Reads what [`write`] wrote.
pub(super) fn read<R: Read>(c: &mut Reader<R>) -> Result<Option<CustomPart>, ReadError> {
    if one::<u8, _>(c)? == 0 {
        return Ok(None);
    }
    let head: Vec<u64> = c.pod().map_err(corrupt)?;
    let [periods, tables] = head[..] else {
        return Err(ReadError::Corrupt);
    };
    let mut out = CustomPart {
        periods: periods as usize,
        tables: Vec::new(),
    };
    for _ in 0..tables {
        let table: u8 = one(c)?;
        let table = *CustomTable::ALL
            .get(table as usize)
            .ok_or(ReadError::Corrupt)?;
        let mut t = TablePart {
            table,
            folded: Vec::new(),
            order: Vec::new(),
            slots: Vec::new(),
            grouped: Vec::new(),
        };
        let folded: u64 = one(c)?;
        for _ in 0..folded {
            let head: Vec<u64> = c.pod().map_err(corrupt)?;
            let [metric, agg] = head[..] else {
                return Err(ReadError::Corrupt);
            };
            let agg = *Agg::ALL.get(agg as usize).ok_or(ReadError::Corrupt)?;
            let slots: Vec<u32> = c.pod().map_err(corrupt)?;
            let tags: Vec<u8> = c.pod().map_err(corrupt)?;
            let bits: Vec<u64> = c.pod().map_err(corrupt)?;
            if slots.len() != tags.len() || tags.len() != bits.len() {
                return Err(ReadError::Corrupt);
            }
            let cells = slots
                .into_iter()
                .zip(tags.into_iter().zip(bits))
                .map(|(s, (t, b))| Ok((s, untag(t, b)?)))
                .collect::<Result<_, ReadError>>()?;
            t.folded.push(Folded {
                metric: metric as usize,
                agg,
                cells,
            });
        }
        t.order = c.pod().map_err(corrupt)?;
        t.slots = c.pod().map_err(corrupt)?;
        if t.order.len() != t.slots.len() {
            return Err(ReadError::Corrupt);
        }
        let grouped: u64 = one(c)?;
        for _ in 0..grouped {
            let i: u64 = one(c)?;
            t.grouped.push((i as usize, read_values(c)?));
        }
        out.tables.push(t);
    }
    Ok(Some(out))
}
