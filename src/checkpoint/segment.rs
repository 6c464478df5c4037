//! One segment's rows: the typed rows a run added to the held tables, written after the rows of
//! the segments before it, and read back onto them. Ids and clients are the names a segment's
//! rows added to their interners, in the order they were added, so that reading the segments in
//! order interns every id at the index a full run gives it. Employees and currencies are written
//! as the run's own indexes and read back as indexes into the names of all segments
//! ([`Names`]); a run maps those to its own tables once it has checked them.

use std::io::{Read, Write};

use super::codec::{room, Corrupt, Reader, Writer};
use crate::model::{Applications, Decision, Interner, InvoiceEvents, Invoices, Ledger};

/// Where a segment's rows start in each held table and its interners: the sizes before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marks {
    pub applications: usize,
    pub application_clients: usize,
    pub invoices: usize,
    /// Clients named by invoices (the ledger's clients interner up to here; assignments may
    /// add more after the invoices, which the checkpoint does not hold).
    pub clients: usize,
    pub collections: usize,
    pub write_offs: usize,
    pub fees: usize,
}

impl Marks {
    /// The sizes of `l`'s held tables.
    pub fn of(l: &Ledger) -> Marks {
        Marks {
            applications: l.applications.len(),
            application_clients: l.applications.clients.len(),
            invoices: l.invoices.row.len(),
            clients: invoice_clients(&l.invoices),
            collections: l.collections.len(),
            write_offs: l.write_offs.len(),
            fees: l.fees.len(),
        }
    }
}

/// How many of the ledger's clients the invoices named: they are interned first, in order.
fn invoice_clients(inv: &Invoices) -> usize {
    inv.client.iter().max().map_or(0, |&c| c as usize + 1)
}

/// Employee and currency names read from the segments, one index per name.
#[derive(Default)]
pub struct Names {
    pub employees: Interner,
    pub currencies: Interner,
}

/// Writes the rows of `l` from `from` on. `employees` and `currencies` are the run's own. The
/// rows' places in their raw tables are not written: a checkpoint is written only when no row
/// is left out, so each row is the one at its own index (see [`in_order`]).
pub fn write<W: Write>(w: &mut Writer<W>, l: &Ledger, from: &Marks) -> std::io::Result<()> {
    let a = &l.applications;
    let k = from.applications;
    names(w, &a.ids, k)?;
    w.pod(&a.client[k..])?;
    names(w, &a.clients, from.application_clients)?;
    w.pod(&a.employee[k..])?;
    w.pod(&a.received_at[k..])?;
    w.pod(&a.received_day[k..])?;
    w.opt(&a.decided_at[k..])?;
    w.opt(&a.decided_day[k..])?;
    w.opt(&a.decided_by[k..])?;
    let decision: Vec<u8> = a.decision[k..].iter().map(|&d| decision_code(d)).collect();
    w.pod(&decision)?;
    w.opt(&a.funded_at[k..])?;
    w.opt(&a.funded_day[k..])?;
    w.pod(&a.requested_base[k..])?;
    let v = &l.invoices;
    let k = from.invoices;
    names(w, &v.ids, k)?;
    w.pod(&v.client[k..])?;
    let upto = invoice_clients(v).max(from.clients);
    let (bytes, start, ends) = l.clients.parts_from(from.clients);
    w.names(bytes, start, &ends[..upto - from.clients])?;
    w.pod(&v.currency[k..])?;
    w.pod(&v.face[k..])?;
    w.pod(&v.advance[k..])?;
    w.pod(&v.purchase[k..])?;
    w.pod(&v.due[k..])?;
    w.pod(&v.originator[k..])?;
    w.pod(&v.rate[k..])?;
    w.opt(&v.application[k..])?;
    events(w, &l.collections, from.collections)?;
    events(w, &l.write_offs, from.write_offs)?;
    events(w, &l.fees, from.fees)
}

/// Whether every held row is the raw row at its own index: true of a run that left no row out.
pub fn in_order(l: &Ledger) -> bool {
    let seq = |rows: &[u32]| rows.iter().enumerate().all(|(i, &r)| r as usize == i);
    seq(&l.applications.row)
        && seq(&l.invoices.row)
        && seq(&l.collections.row)
        && seq(&l.write_offs.row)
        && seq(&l.fees.row)
}

fn names<W: Write>(w: &mut Writer<W>, ids: &Interner, from: usize) -> std::io::Result<()> {
    let (bytes, start, ends) = ids.parts_from(from);
    w.names(bytes, start, ends)
}

fn events<W: Write>(w: &mut Writer<W>, e: &InvoiceEvents, k: usize) -> std::io::Result<()> {
    w.pod(&e.invoice[k..])?;
    w.pod(&e.date[k..])?;
    w.pod(&e.amount[k..])
}

fn decision_code(d: Decision) -> u8 {
    match d {
        Decision::Pending => 0,
        Decision::Approved => 1,
        Decision::Rejected => 2,
        Decision::Withdrawn => 3,
    }
}

fn decision_of(c: u8) -> Result<Decision, Corrupt> {
    Ok(match c {
        0 => Decision::Pending,
        1 => Decision::Approved,
        2 => Decision::Rejected,
        3 => Decision::Withdrawn,
        _ => return Err(Corrupt),
    })
}

/// Reads a segment's rows onto `l`. `employees` and `currencies` map the segment's own indexes
/// to indexes into [`Names`].
pub fn read<R: Read>(
    r: &mut Reader<R>,
    l: &mut Ledger,
    employees: &[u32],
    currencies: &[u32],
) -> Result<(), Corrupt> {
    let emp = |e: u32| employees.get(e as usize).copied().ok_or(Corrupt);
    let a = &mut l.applications;
    add_names(r, &mut a.ids)?;
    put(&mut a.client, r.pod::<u32>()?);
    add_names(r, &mut a.clients)?;
    put(&mut a.employee, mapped(r.pod()?, emp)?);
    put(&mut a.received_at, r.pod::<i64>()?);
    put(&mut a.received_day, r.pod::<i32>()?);
    put(&mut a.decided_at, r.opt::<i64>()?);
    put(&mut a.decided_day, r.opt::<i32>()?);
    let by = mapped(r.opt()?, |b: Option<u32>| b.map(emp).transpose())?;
    put(&mut a.decided_by, by);
    put(&mut a.decision, mapped(r.pod()?, decision_of)?);
    put(&mut a.funded_at, r.opt::<i64>()?);
    put(&mut a.funded_day, r.opt::<i32>()?);
    put(&mut a.requested_base, r.pod::<i64>()?);
    extend_rows(&mut a.row, a.ids.len());
    if !applications_line_up(a) {
        return Err(Corrupt);
    }
    let v = &mut l.invoices;
    add_names(r, &mut v.ids)?;
    put(&mut v.client, r.pod::<u32>()?);
    add_names(r, &mut l.clients)?;
    let cur = |c: u32| currencies.get(c as usize).copied().ok_or(Corrupt);
    put(&mut v.currency, mapped(r.pod()?, cur)?);
    put(&mut v.face, r.pod::<i64>()?);
    put(&mut v.advance, r.pod::<i64>()?);
    put(&mut v.purchase, r.pod::<i32>()?);
    put(&mut v.due, r.pod::<i32>()?);
    put(&mut v.originator, mapped(r.pod()?, emp)?);
    put(&mut v.rate, r.pod::<i64>()?);
    put(&mut v.application, r.opt::<u32>()?);
    extend_rows(&mut v.row, v.ids.len());
    if !invoices_line_up(v, l.clients.len(), l.applications.len()) {
        return Err(Corrupt);
    }
    let n = l.invoices.row.len();
    read_events(r, &mut l.collections, n)?;
    read_events(r, &mut l.write_offs, n)?;
    read_events(r, &mut l.fees, n)
}

/// Each value of `v` through `f`, into a vector allocated once, with [`room`] for more.
fn mapped<T, U>(v: Vec<T>, f: impl Fn(T) -> Result<U, Corrupt>) -> Result<Vec<U>, Corrupt> {
    let mut out = Vec::with_capacity(room(v.len()));
    for x in v {
        out.push(f(x)?);
    }
    Ok(out)
}

/// Adds `v` after `dst`'s values: moved in when there are none yet.
fn put<T>(dst: &mut Vec<T>, mut v: Vec<T>) {
    if dst.is_empty() {
        *dst = v;
    } else {
        dst.append(&mut v);
    }
}

/// Adds a segment's new names to `ids` (new by construction: the file's checksum holds).
fn add_names<R: Read>(r: &mut Reader<R>, ids: &mut Interner) -> Result<(), Corrupt> {
    let (bytes, ends) = r.names()?;
    ids.reserve(room(bytes.len()), room(ends.len()));
    ids.extend_new(&bytes, &ends);
    Ok(())
}

/// Numbers the rows added up to `n`: each the raw row at its index.
fn extend_rows(rows: &mut Vec<u32>, n: usize) {
    if rows.capacity() < n {
        rows.reserve_exact(room(n) - rows.len());
    }
    let from = rows.len() as u32;
    rows.extend(from..n as u32);
}

fn applications_line_up(a: &Applications) -> bool {
    let n = a.ids.len();
    let nc = a.clients.len() as u32;
    [
        a.client.len(),
        a.employee.len(),
        a.received_at.len(),
        a.received_day.len(),
        a.decided_at.len(),
        a.decided_day.len(),
        a.decided_by.len(),
        a.decision.len(),
        a.funded_at.len(),
        a.funded_day.len(),
        a.requested_base.len(),
    ]
    .iter()
    .all(|&k| k == n)
        && a.client.iter().all(|&c| c < nc)
}

fn invoices_line_up(v: &Invoices, clients: usize, apps: usize) -> bool {
    let n = v.ids.len();
    [
        v.client.len(),
        v.currency.len(),
        v.face.len(),
        v.advance.len(),
        v.purchase.len(),
        v.due.len(),
        v.originator.len(),
        v.rate.len(),
        v.application.len(),
    ]
    .iter()
    .all(|&k| k == n)
        && v.client.iter().all(|&c| (c as usize) < clients)
        && v.application.iter().flatten().all(|&a| (a as usize) < apps)
}

fn read_events<R: Read>(
    r: &mut Reader<R>,
    e: &mut InvoiceEvents,
    invoices: usize,
) -> Result<(), Corrupt> {
    let invoice: Vec<u32> = r.pod()?;
    if invoice.iter().any(|&i| i as usize >= invoices) {
        return Err(Corrupt);
    }
    put(&mut e.invoice, invoice);
    put(&mut e.date, r.pod::<i32>()?);
    put(&mut e.amount, r.pod::<i64>()?);
    let n = e.invoice.len();
    extend_rows(&mut e.row, n);
    if e.date.len() != n || e.amount.len() != n {
        return Err(Corrupt);
    }
    Ok(())
}
