//! The checkpoint's rows joined to the new rows a run checked on them: first the checks that the
//! checkpoint's rows would pass again unchanged, then the rows and raw tables put together as a
//! run reading every file would have them.

use polars::prelude::*;

use super::{Prior, WhyNot};
use crate::model::Ledger;
use crate::periods::{format_day, Day};
use crate::raw::RawTable;
use crate::tables::Table;

/// The joined rows: what a run reading every file would have checked.
pub struct Joined {
    pub ledger: Ledger,
    pub raw: Vec<RawTable>,
    /// The checkpoint's sorted hashes of the event tables' ids, per segment.
    held_hashes: Vec<(Table, Vec<Vec<u64>>)>,
}

impl Joined {
    /// The sorted hashes of every event table's ids, the checkpoint's and the new rows'
    /// (`new`): what a segment of all the rows holds. Merged only for such a segment (a year of
    /// monthly runs), as sorting them all is most of what joining costs.
    pub fn all_hashes(&self, new: &[(Table, Vec<u64>)]) -> Vec<(Table, Vec<u64>)> {
        [Table::Collections, Table::WriteOffs, Table::Fees]
            .into_iter()
            .map(|t| {
                let old = self.held_hashes.iter().filter(|h| h.0 == t);
                let new = new.iter().filter(|h| h.0 == t);
                let mut all: Vec<u64> = old.flat_map(|h| h.1.concat()).collect();
                all.extend(new.flat_map(|h| h.1.iter().copied()));
                all.sort_unstable();
                (t, all)
            })
            .filter(|h| !h.1.is_empty())
            .collect()
    }
}

impl Prior {
    /// Joins the checkpoint to `l`, its rows with the new rows checked on them, and to `raw`,
    /// the tables read (held ones: only their new files). `hashes` are the new event rows'. Fails
    /// with the reason when a new row repeats an id of the checkpoint's, or when the employees or
    /// exchange rates read now would change a check or an amount of the checkpoint's rows; the
    /// run then reads every file.
    pub fn join(
        mut self,
        mut l: Ledger,
        mut raw: Vec<RawTable>,
        hashes: &[(Table, Vec<u64>)],
    ) -> Result<Joined, WhyNot> {
        self.new_ids_are_new(&l, hashes)?;
        self.employees_as_now(&mut l)?;
        self.rates_as_now(&mut l)?;
        let m = self.marks;
        let offset = |t: Table| {
            self.raw
                .iter()
                .find(|r| r.table == t)
                .map_or(0, RawTable::height)
        };
        let shift = |rows: &mut [u32], by: usize| rows.iter_mut().for_each(|r| *r += by as u32);
        shift(
            &mut l.applications.row[m.applications..],
            offset(Table::Applications),
        );
        shift(&mut l.invoices.row[m.invoices..], offset(Table::Invoices));
        shift(
            &mut l.collections.row[m.collections..],
            offset(Table::Collections),
        );
        shift(
            &mut l.write_offs.row[m.write_offs..],
            offset(Table::WriteOffs),
        );
        shift(&mut l.fees.row[m.fees..], offset(Table::Fees));
        for r in raw.iter_mut() {
            if let Some(k) = self.raw.iter().position(|o| o.table == r.table) {
                let old = self.raw.swap_remove(k);
                let new = std::mem::replace(r, RawTable::empty(old.table));
                *r = append(old, new)?;
            }
        }
        Ok(Joined {
            ledger: l,
            raw,
            held_hashes: std::mem::take(&mut self.hashes),
        })
    }

    /// The new rows' ids are not the checkpoint's: an application or invoice id would have
    /// been interned once for two rows; an event's id hash is looked for in each segment's.
    fn new_ids_are_new(&self, l: &Ledger, hashes: &[(Table, Vec<u64>)]) -> Result<(), WhyNot> {
        let repeats = |t: Table| {
            format!(
                "a row of the new {} files repeats an id of the checkpoint's",
                t.name()
            )
        };
        if l.applications.ids.len() != l.applications.row.len() {
            return Err(repeats(Table::Applications));
        }
        if l.invoices.ids.len() != l.invoices.row.len() {
            return Err(repeats(Table::Invoices));
        }
        for (t, new) in hashes {
            let Some((_, old)) = self.hashes.iter().find(|h| h.0 == *t) else {
                continue;
            };
            if new
                .iter()
                .any(|h| old.iter().any(|seg| seg.binary_search(h).is_ok()))
            {
                return Err(repeats(*t));
            }
        }
        Ok(())
    }

    /// The checkpoint's rows name employees by this run's indexes, and each is still employed
    /// on every day a check of those rows asks (contract 1: an application's employee on its
    /// received date, its decider on the decided date, an invoice's originator on its purchase
    /// date).
    fn employees_as_now(&self, l: &mut Ledger) -> Result<(), WhyNot> {
        let names = &self.names.employees;
        let now: Vec<Option<u32>> = names.names().map(|n| l.employees.ids.get(n)).collect();
        let m = self.marks;
        let gone = |e: u32| {
            format!(
                "employee `{}`, whom rows of the checkpoint name, is not in employees now",
                names.name(e)
            )
        };
        let to = |e: u32| now[e as usize].ok_or_else(|| gone(e));
        let emp = &l.employees;
        let not_employed = |e: u32, d: Day| {
            format!(
                "employee `{}` is no longer employed on {}, a day rows of the checkpoint name",
                emp.ids.name(e),
                format_day(d)
            )
        };
        // Employee `old` (an index into the checkpoint's names) as this run's, employed on `d`.
        let employed_on = |old: u32, d: Day| {
            let e = to(old)?;
            emp.employed(e, d)
                .then_some(e)
                .ok_or_else(|| not_employed(e, d))
        };
        let a = &mut l.applications;
        for k in 0..m.applications {
            a.employee[k] = employed_on(a.employee[k], a.received_day[k])?;
            a.decided_by[k] = match (a.decided_by[k], a.decided_day[k]) {
                (Some(by), Some(d)) => Some(employed_on(by, d)?),
                (by, _) => by.map(to).transpose()?,
            };
        }
        let v = &mut l.invoices;
        for k in 0..m.invoices {
            v.originator[k] = employed_on(v.originator[k], v.purchase[k])?;
        }
        Ok(())
    }

    /// The checkpoint's invoices name currencies by this run's indexes, and every exchange
    /// rate up to the last day a checkpoint row was converted on is as it was: the booking
    /// rates and requested amounts the checkpoint holds are those a check would find now.
    fn rates_as_now(&self, l: &mut Ledger) -> Result<(), WhyNot> {
        let m = self.marks;
        let last = [
            l.applications.received_day[..m.applications].iter().max(),
            l.invoices.purchase[..m.invoices].iter().max(),
        ]
        .into_iter()
        .flatten()
        .max()
        .copied();
        let Some(last) = last else {
            return Ok(());
        };
        let changed = |c: &str| {
            format!(
                "the exchange rates of {c} up to {} changed since the checkpoint was written",
                format_day(last)
            )
        };
        for (c, rates) in &self.fx {
            let then = rates.iter().filter(|r| r.0 <= last);
            let now = l.fx.currencies.get(c).map(|k| &l.fx.rates[k as usize]);
            let now = now.into_iter().flatten().filter(|r| r.0 <= last);
            if !then.eq(now) {
                return Err(changed(c));
            }
        }
        let names = &self.names.currencies;
        let now: Vec<Option<u32>> = names.names().map(|n| l.fx.currencies.get(n)).collect();
        for c in &mut l.invoices.currency[..m.invoices] {
            *c = now[*c as usize].ok_or_else(|| changed(names.name(*c)))?;
        }
        Ok(())
    }
}

/// The checkpoint's rows of a table with the new rows after them: its kept columns, and the new
/// files numbered on from its own.
fn append(old: RawTable, new: RawTable) -> Result<RawTable, WhyNot> {
    let h = old.height();
    let names: Vec<PlSmallStr> = old.df.get_column_names_owned();
    let cols: Result<Vec<Column>, _> = names.iter().map(|n| new.df.column(n).cloned()).collect();
    let not_read = |e: PolarsError| format!("the new {} files: {e}", old.table.name());
    let added = new.height();
    let df = if names.is_empty() {
        DataFrame::new(h + added, Vec::new()).map_err(not_read)?
    } else if added == 0 {
        old.df
    } else {
        let new_df = DataFrame::new(added, cols.map_err(not_read)?).map_err(not_read)?;
        let mut df = old.df;
        df.vstack_mut(&new_df).map_err(not_read)?;
        df
    };
    let mut files = old.files;
    files.extend(new.files.into_iter().map(|mut f| {
        f.first_row += h;
        f
    }));
    Ok(RawTable {
        table: old.table,
        lines: if added > 0 { new.lines } else { old.lines },
        files,
        df,
        breaks: new.breaks,
    })
}
