//! The main table's figures, computed once for every output and claim.

use crate::figures::Figures;
use crate::schema::groups;
use procstore_catalog::Family;

/// The catalogue id of the baseline of every speedup.
pub(crate) const BASELINE_ID: &str = "std-mutex";

/// The catalogue id of the locked map the concurrent-map claim compares against.
pub(crate) const LOCKED_MAP_ID: &str = "std-mutex-map";

/// One store strategy's figures in the Go record's columns.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MainRow<'r> {
    /// The strategy's catalogue id.
    pub(crate) id: &'r str,
    /// The strategy's label, as recorded.
    pub(crate) name: &'r str,
    /// Its family.
    pub(crate) kind: Family,
    /// Single Reader ns/op.
    pub(crate) single: Option<f64>,
    /// Concurrent (N) ns/op.
    pub(crate) concurrent: Option<f64>,
    /// Under Contention (back-to-back writer) ns/op at N readers.
    pub(crate) contention: Option<f64>,
    /// memory_read bytes per read.
    pub(crate) bytes: Option<f64>,
    /// memory_read allocations per read.
    pub(crate) allocs: Option<f64>,
}

impl MainRow<'_> {
    /// The row label: floors say they are floors.
    pub(crate) fn label(&self) -> String {
        label(self.name, self.kind)
    }
}

/// `name`, prefixed with `floor: ` for a floor that does not say so itself.
pub(crate) fn label(name: &str, kind: Family) -> String {
    if kind == Family::Floor && !name.to_ascii_lowercase().starts_with("floor") {
        format!("floor: {name}")
    } else {
        name.to_owned()
    }
}

/// A timed column of the main table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    /// Single Reader.
    Single,
    /// Concurrent (N).
    Concurrent,
    /// Under Contention.
    Contention,
}

impl Column {
    /// The timed columns, in table order.
    pub(crate) const ALL: [Column; 3] = [Column::Single, Column::Concurrent, Column::Contention];

    /// The heading, as in the Go record.
    pub(crate) fn label(self, n: u32) -> String {
        match self {
            Column::Single => "Single Reader".to_owned(),
            Column::Concurrent => format!("Concurrent ({n})"),
            Column::Contention => "Under Contention".to_owned(),
        }
    }

    /// The row's figure in this column.
    pub(crate) fn of(self, row: &MainRow<'_>) -> Option<f64> {
        match self {
            Column::Single => row.single,
            Column::Concurrent => row.concurrent,
            Column::Contention => row.contention,
        }
    }
}

/// Every store's main row, stores in record order, floors last.
pub(crate) fn main_rows<'r>(figures: &Figures<'r>) -> Vec<MainRow<'r>> {
    let n = figures.n();
    figures
        .stores()
        .into_iter()
        .map(|strategy| {
            let id = strategy.id;
            let memory = figures.any(groups::MEMORY_READ, id);
            MainRow {
                id,
                name: strategy.label,
                kind: strategy.kind,
                single: figures.ns(groups::SINGLE_READER, id, 1),
                concurrent: figures.ns(groups::CONCURRENT, id, n),
                contention: figures.ns(groups::CONTENTION, id, n),
                bytes: memory.and_then(|r| r.bytes_per_op),
                allocs: memory.and_then(|r| r.allocs_per_op),
            }
        })
        .collect()
}

/// `numerator / denominator` when both are usable.
pub(crate) fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    let (a, b) = (numerator?, denominator?);
    let r = a / b;
    (b > 0.0 && r.is_finite()).then_some(r)
}

/// The fastest row of `kind` in `column`, with its figure.
pub(crate) fn fastest<'a, 'r>(
    rows: &'a [MainRow<'r>],
    kind: Family,
    column: Column,
) -> Option<(&'a MainRow<'r>, f64)> {
    rows.iter()
        .filter(|row| row.kind == kind)
        .filter_map(|row| column.of(row).map(|ns| (row, ns)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}
