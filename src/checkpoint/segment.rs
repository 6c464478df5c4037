//! One segment's rows: the typed rows a run added to the held tables, written after the rows of
//! the segments before it, and read back onto them. Ids and clients are the names a segment's
//! rows added to their interners, in the order they were added, so that reading the segments in
//! order interns every id at the index a full run gives it. Employees and currencies are written
//! as the run's own indexes and read back as indexes into the names of all segments
//! ([`Names`]); a run maps those to its own tables once it has checked them.

use super::codec::{Corrupt, Reader, Writer};
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

/// Writes the rows of `l` from `from` on. `employees` and `currencies` are the run's own.
pub fn write(w: &mut Writer, l: &Ledger, from: &Marks) {
    let a = &l.applications;
    let k = from.applications;
    names(w, &a.ids, k);
    w.pod(&a.client[k..]);
    names(w, &a.clients, from.application_clients);
    w.pod(&a.employee[k..]);
    w.pod(&a.received_at[k..]);
    w.pod(&a.received_day[k..]);
    w.opt(&a.decided_at[k..]);
    w.opt(&a.decided_day[k..]);
    w.opt(&a.decided_by[k..]);
    let decision: Vec<u8> = a.decision[k..].iter().map(|&d| decision_code(d)).collect();
    w.pod(&decision);
    w.opt(&a.funded_at[k..]);
    w.opt(&a.funded_day[k..]);
    w.pod(&a.requested_base[k..]);
    w.pod(&a.row[k..]);
    let v = &l.invoices;
    let k = from.invoices;
    names(w, &v.ids, k);
    w.pod(&v.client[k..]);
    let upto = invoice_clients(v).max(from.clients);
    w.texts((from.clients..upto).map(|c| Some(l.clients.name(c as u32))));
    w.pod(&v.currency[k..]);
    w.pod(&v.face[k..]);
    w.pod(&v.advance[k..]);
    w.pod(&v.purchase[k..]);
    w.pod(&v.due[k..]);
    w.pod(&v.originator[k..]);
    w.pod(&v.rate[k..]);
    w.pod(&v.row[k..]);
    w.opt(&v.application[k..]);
    events(w, &l.collections, from.collections);
    events(w, &l.write_offs, from.write_offs);
    events(w, &l.fees, from.fees);
}

fn names(w: &mut Writer, ids: &Interner, from: usize) {
    w.texts((from..ids.len()).map(|i| Some(ids.name(i as u32))));
}

fn events(w: &mut Writer, e: &InvoiceEvents, k: usize) {
    w.pod(&e.invoice[k..]);
    w.pod(&e.date[k..]);
    w.pod(&e.amount[k..]);
    w.pod(&e.row[k..]);
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
pub fn read(
    r: &mut Reader,
    l: &mut Ledger,
    employees: &[u32],
    currencies: &[u32],
) -> Result<(), Corrupt> {
    let emp = |e: u32| employees.get(e as usize).copied().ok_or(Corrupt);
    let a = &mut l.applications;
    let added = intern_new(r, &mut a.ids)?;
    let client: Vec<u32> = r.pod()?;
    intern_new(r, &mut a.clients)?;
    let employee: Vec<u32> = r.pod()?;
    a.employee.extend(
        employee
            .into_iter()
            .map(emp)
            .collect::<Result<Vec<_>, _>>()?,
    );
    a.client.extend(client);
    a.received_at.extend(r.pod::<i64>()?);
    a.received_day.extend(r.pod::<i32>()?);
    a.decided_at.extend(r.opt::<i64>()?);
    a.decided_day.extend(r.opt::<i32>()?);
    let by: Vec<Option<u32>> = r.opt()?;
    for b in by {
        a.decided_by.push(b.map(emp).transpose()?);
    }
    for d in r.pod::<u8>()? {
        a.decision.push(decision_of(d)?);
    }
    a.funded_at.extend(r.opt::<i64>()?);
    a.funded_day.extend(r.opt::<i32>()?);
    a.requested_base.extend(r.pod::<i64>()?);
    a.row.extend(r.pod::<u32>()?);
    if !applications_line_up(a, added) {
        return Err(Corrupt);
    }
    let v = &mut l.invoices;
    let added = intern_new(r, &mut v.ids)?;
    v.client.extend(r.pod::<u32>()?);
    intern_new(r, &mut l.clients)?;
    let cur: Vec<u32> = r.pod()?;
    for c in cur {
        v.currency
            .push(currencies.get(c as usize).copied().ok_or(Corrupt)?);
    }
    v.face.extend(r.pod::<i64>()?);
    v.advance.extend(r.pod::<i64>()?);
    v.purchase.extend(r.pod::<i32>()?);
    v.due.extend(r.pod::<i32>()?);
    let orig: Vec<u32> = r.pod()?;
    v.originator
        .extend(orig.into_iter().map(emp).collect::<Result<Vec<_>, _>>()?);
    v.rate.extend(r.pod::<i64>()?);
    v.row.extend(r.pod::<u32>()?);
    v.application.extend(r.opt::<u32>()?);
    if !invoices_line_up(v, added, l.clients.len(), l.applications.len()) {
        return Err(Corrupt);
    }
    let n = l.invoices.row.len();
    read_events(r, &mut l.collections, n)?;
    read_events(r, &mut l.write_offs, n)?;
    read_events(r, &mut l.fees, n)
}

/// Interns the names read, each of which must be new; returns how many.
fn intern_new(r: &mut Reader, ids: &mut Interner) -> Result<usize, Corrupt> {
    let t = r.texts()?;
    for s in t.iter() {
        let before = ids.len();
        if ids.intern(s.ok_or(Corrupt)?) as usize != before {
            return Err(Corrupt);
        }
    }
    Ok(t.len())
}

fn applications_line_up(a: &Applications, _added: usize) -> bool {
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
        a.row.len(),
    ]
    .iter()
    .all(|&k| k == n)
        && a.client.iter().all(|&c| c < nc)
}

fn invoices_line_up(v: &Invoices, _added: usize, clients: usize, apps: usize) -> bool {
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
        v.row.len(),
        v.application.len(),
    ]
    .iter()
    .all(|&k| k == n)
        && v.client.iter().all(|&c| (c as usize) < clients)
        && v.application.iter().flatten().all(|&a| (a as usize) < apps)
}

fn read_events(r: &mut Reader, e: &mut InvoiceEvents, invoices: usize) -> Result<(), Corrupt> {
    let invoice: Vec<u32> = r.pod()?;
    if invoice.iter().any(|&i| i as usize >= invoices) {
        return Err(Corrupt);
    }
    e.invoice.extend(invoice);
    e.date.extend(r.pod::<i32>()?);
    e.amount.extend(r.pod::<i64>()?);
    e.row.extend(r.pod::<u32>()?);
    let n = e.invoice.len();
    if e.date.len() != n || e.amount.len() != n || e.row.len() != n {
        return Err(Corrupt);
    }
    Ok(())
}
