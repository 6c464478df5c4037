//! The sweep's amounts a custom metric reads: which columns of the custom tables they are, and
//! freeing those no aggregate of the pipeline reads.

use crate::catalogue::custom::{CustomTable, INVOICE_PREFIX};
use crate::catalogue::Catalogue;
use crate::ledger::Swept;

/// The sweep's amounts in base cents that a custom column reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amounts {
    Face,
    Advance,
    Collected,
    WrittenOff,
    Fee,
    Applied,
    Recovery,
}

impl Amounts {
    const ALL: [Amounts; 7] = [
        Amounts::Face,
        Amounts::Advance,
        Amounts::Collected,
        Amounts::WrittenOff,
        Amounts::Fee,
        Amounts::Applied,
        Amounts::Recovery,
    ];

    fn of(self, s: &mut Swept) -> &mut Vec<i64> {
        match self {
            Amounts::Face => &mut s.face_base,
            Amounts::Advance => &mut s.advance_base,
            Amounts::Collected => &mut s.collection_base,
            Amounts::WrittenOff => &mut s.write_off_base,
            Amounts::Fee => &mut s.fee_base,
            Amounts::Applied => &mut s.applied_base,
            Amounts::Recovery => &mut s.recovery_base,
        }
    }

    pub fn get(self, s: &Swept, i: usize) -> i64 {
        let v = match self {
            Amounts::Face => &s.face_base,
            Amounts::Advance => &s.advance_base,
            Amounts::Collected => &s.collection_base,
            Amounts::WrittenOff => &s.write_off_base,
            Amounts::Fee => &s.fee_base,
            Amounts::Applied => &s.applied_base,
            Amounts::Recovery => &s.recovery_base,
        };
        v[i]
    }
}

/// The sweep's amounts that column `name` of `table` reads, if any: the one place that says
/// which columns are the sweep's (an `invoice.` column is its invoice's, `table` `Invoices`).
pub fn amounts_of(table: CustomTable, name: &str) -> Option<Amounts> {
    use CustomTable as T;
    let events = matches!(table, T::Collections | T::WriteOffs | T::Fees);
    let invoice = matches!(table, T::Invoices | T::Balances);
    Some(match name {
        "face_amount" if invoice => Amounts::Face,
        "advance_amount" if invoice => Amounts::Advance,
        "amount" if table == T::Collections => Amounts::Collected,
        "amount" if table == T::WriteOffs => Amounts::WrittenOff,
        "amount" if table == T::Fees => Amounts::Fee,
        "applied" if events => Amounts::Applied,
        "recovery" if events => Amounts::Recovery,
        _ => return None,
    })
}

/// Frees the sweep's amounts that no custom aggregate of `cat` reads, once the built-in facts
/// have read them all (S10 with the sample pipeline's two custom tables: 100 MB). The balance
/// changes stay while a custom aggregate runs over `balances`.
pub fn free_unread(cat: &Catalogue, s: &mut Swept) {
    let mut read = Vec::new();
    let mut balances = false;
    for a in cat.custom.iter().filter_map(|m| m.aggregate()) {
        balances |= a.table == CustomTable::Balances;
        for c in a.column.iter().chain(&a.reads) {
            let amounts = match c.strip_prefix(INVOICE_PREFIX) {
                Some(inner) => amounts_of(CustomTable::Invoices, inner),
                None => amounts_of(a.table, c),
            };
            read.extend(amounts);
        }
    }
    for a in Amounts::ALL.into_iter().filter(|a| !read.contains(a)) {
        *a.of(s) = Vec::new();
    }
    s.applied = Vec::new();
    if !balances {
        s.deltas = Vec::new();
        s.paid_off = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_read_from_the_sweep_is_built_from_the_ledger() {
        for t in CustomTable::ALL {
            for (c, _) in t.columns() {
                if amounts_of(t, &c).is_some() {
                    assert!(t.from_ledger(&c), "{}.{c}", t.name());
                }
            }
        }
    }
}
