//! A part's file: `FSPART` and a format byte pair, then the checkpoint's binary columns
//! ([`crate::checkpoint::codec`]): the run's description (JSON) and the tables, then the xxh3 of
//! those columns. Nothing is used before the xxh3 is checked. The tables hold only the cells
//! (entity × period) the part touched, by index: a part of N holds about 1/N of an employee's
//! periods when their clients are spread over the parts, and the merge adds only those. Nothing in it depends on when
//! or where it was written: a retried part writes the same bytes, and replaces its file whole
//! (written beside it, then renamed).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Partial, Run, Samples};
use crate::checkpoint::codec::{Reader, Writer};
use crate::metrics::{Balances, Flows};

const MAGIC: &[u8; 8] = b"FSPART\x00\x03";

// SAFETY: both are `repr(C)` structs of 8-byte integers and floats only (checked below), so they
// have no padding and every bit pattern is a value.
unsafe impl bytemuck::Zeroable for Balances {}
unsafe impl bytemuck::Pod for Balances {}
unsafe impl bytemuck::Zeroable for Flows {}
unsafe impl bytemuck::Pod for Flows {}
const _: () = assert!(std::mem::size_of::<Balances>() == 16 * 8);
const _: () = assert!(std::mem::size_of::<Flows>() == 17 * 8);

/// Where part `index` of `count` lies in a folder of parts.
pub fn file_name(index: u64, count: u64) -> String {
    format!("part-{index:05}-of-{count:05}.fspart")
}

#[derive(Serialize, Deserialize)]
struct Head {
    run: Run,
    index: u64,
}

/// Writes `p` into folder `dir` as [`file_name`] (beside it first, then renamed over it);
/// returns the file's path.
pub fn write(dir: &Path, p: &Partial) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name(p.index, p.run.count));
    let tmp = dir.join(format!(".{}.tmp", file_name(p.index, p.run.count)));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    encode_to(p, &mut file)?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The bytes of part `p`'s file.
pub fn encode(p: &Partial) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_to(p, &mut out)?;
    Ok(out)
}

/// Writes part `p`'s file to `out`, a block of cells at a time: its tables are never copied whole.
fn encode_to<W: Write>(p: &Partial, mut out: W) -> std::io::Result<()> {
    let head = serde_json::to_vec(&Head {
        run: p.run.clone(),
        index: p.index,
    })?;
    out.write_all(MAGIC)?;
    let mut w = Writer::new(&mut out);
    w.pod(&head)?;
    w.pod(&serde_json::to_vec(&p.rows)?)?;
    // A cell is touched when any bit of its sums is set (a -0.0 review sum included).
    let zero = |b: &[u8]| b.iter().all(|&x| x == 0);
    let cells: Vec<u32> = (0..p.balances.len().min(p.flows.len()))
        .filter(|&i| {
            !zero(bytemuck::bytes_of(&p.balances[i])) || !zero(bytemuck::bytes_of(&p.flows[i]))
        })
        .map(|i| i as u32)
        .collect();
    w.pod(&cells)?;
    w.pod_at(&p.balances, &cells)?;
    w.pod_at(&p.flows, &cells)?;
    samples(&mut w, &p.time_to_fund)?;
    samples(&mut w, &p.decision_hours)?;
    super::custom::write(&mut w, p.custom.as_ref())?;
    let xxh3 = w.finish()?;
    out.write_all(&xxh3.to_le_bytes())
}

/// Samples in the order of their keys: the keys, each one's count, then every value.
fn samples<W: Write>(w: &mut Writer<W>, s: &Samples) -> std::io::Result<()> {
    let mut keys: Vec<&(u32, u32)> = s.keys().collect();
    keys.sort();
    let flat: Vec<u32> = keys.iter().flat_map(|&&(e, k)| [e, k]).collect();
    let counts: Vec<u64> = keys.iter().map(|k| s[*k].len() as u64).collect();
    let values: Vec<f64> = keys.iter().flat_map(|k| s[*k].iter().copied()).collect();
    w.pod(&flat)?;
    w.pod(&counts)?;
    w.pod(&values)
}

/// Why a part's file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("it is not a factorscore part, or of another format")]
    NotAPart,
    #[error("it is cut short or changed since it was written")]
    Corrupt,
}

/// Reads the part at `path`.
pub fn read(path: &Path) -> Result<Partial, ReadError> {
    decode(&std::fs::read(path)?)
}

/// The part whose file's bytes are `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Partial, ReadError> {
    let size = bytes.len() as u64;
    let mut r = bytes;
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| ReadError::NotAPart)?;
    if &magic != MAGIC {
        return Err(ReadError::NotAPart);
    }
    let body = size.checked_sub(8 + 8).ok_or(ReadError::Corrupt)?;
    let mut c = Reader::new(&mut r, body);
    let corrupt = |_| ReadError::Corrupt;
    let head: Vec<u8> = c.pod().map_err(corrupt)?;
    let rows: Vec<u8> = c.pod().map_err(corrupt)?;
    let cells: Vec<u32> = c.pod().map_err(corrupt)?;
    let touched_balances: Vec<Balances> = c.pod().map_err(corrupt)?;
    let touched_flows: Vec<Flows> = c.pod().map_err(corrupt)?;
    let time_to_fund = read_samples(&mut c)?;
    let decision_hours = read_samples(&mut c)?;
    let custom = super::custom::read(&mut c)?;
    let (digest, r) = c.end();
    let mut h = [0u8; 8];
    r.read_exact(&mut h).map_err(|_| ReadError::Corrupt)?;
    if digest != Some(u64::from_le_bytes(h)) {
        return Err(ReadError::Corrupt);
    }
    let head: Head = serde_json::from_slice(&head).map_err(|_| ReadError::Corrupt)?;
    let rows: super::PartRows = serde_json::from_slice(&rows).map_err(|_| ReadError::Corrupt)?;
    let n = head
        .run
        .entities
        .checked_mul(super::window_len(&head.run))
        .ok_or(ReadError::Corrupt)?;
    let fits =
        cells.windows(2).all(|w| w[0] < w[1]) && cells.last().is_none_or(|&i| (i as usize) < n);
    if !fits || touched_balances.len() != cells.len() || touched_flows.len() != cells.len() {
        return Err(ReadError::Corrupt);
    }
    let mut balances = vec![Balances::default(); n];
    let mut flows = vec![Flows::default(); n];
    for (j, &i) in cells.iter().enumerate() {
        balances[i as usize] = touched_balances[j];
        flows[i as usize] = touched_flows[j];
    }
    Ok(Partial {
        run: head.run,
        index: head.index,
        balances,
        flows,
        time_to_fund,
        decision_hours,
        rows,
        custom,
    })
}

fn read_samples<R: Read>(c: &mut Reader<R>) -> Result<Samples, ReadError> {
    let corrupt = |_| ReadError::Corrupt;
    let flat: Vec<u32> = c.pod().map_err(corrupt)?;
    let counts: Vec<u64> = c.pod().map_err(corrupt)?;
    let values: Vec<f64> = c.pod().map_err(corrupt)?;
    let total: u64 = counts.iter().sum();
    if flat.len() != 2 * counts.len() || total != values.len() as u64 {
        return Err(ReadError::Corrupt);
    }
    let mut out = Samples::new();
    let mut at = 0usize;
    for (key, &n) in flat.chunks(2).zip(&counts) {
        let n = n as usize;
        out.insert((key[0], key[1]), values[at..at + n].to_vec());
        at += n;
    }
    Ok(out)
}
