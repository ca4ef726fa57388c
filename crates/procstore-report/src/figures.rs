//! Looking figures up in a run's records.

use std::collections::HashMap;

use crate::rows::label;
use crate::schema::{Record, Results, groups};
use procstore_catalog::Family;

/// The groups whose rows are state stores (as opposed to registries).
pub(crate) const STORE_GROUPS: [&str; 4] =
    [groups::SINGLE_READER, groups::CONCURRENT, groups::CONTENTION, groups::CONTENTION_PACED];

/// The registry groups, in table order, with their column labels.
pub(crate) const REGISTRY_GROUPS: [(&str, &str); 5] = [
    (groups::REGISTRY_GET_HIT, "get hit"),
    (groups::REGISTRY_GET_MISS, "get miss"),
    (groups::REGISTRY_CHURN, "churn"),
    (groups::REGISTRY_MIX, "mix"),
    (groups::REGISTRY_LIST, "list"),
];

/// A strategy as the records name it: its id (what lookups match) and
/// its label (what a reader sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Strategy<'r> {
    /// The catalogue id.
    pub(crate) id: &'r str,
    /// The row label, as recorded.
    pub(crate) label: &'r str,
    /// Its family.
    pub(crate) kind: Family,
}

impl Strategy<'_> {
    /// The row label: floors say they are floors.
    pub(crate) fn row_label(&self) -> String {
        label(self.label, self.kind)
    }
}

/// The records of one run, indexed by (group, id, threads).
#[derive(Debug)]
pub(crate) struct Figures<'r> {
    results: &'r Results,
    by_key: HashMap<(&'r str, &'r str, u32), &'r Record>,
}

impl<'r> Figures<'r> {
    pub(crate) fn new(results: &'r Results) -> Self {
        let mut by_key = HashMap::new();
        for record in &results.records {
            // The first record of a key wins; the harness writes one.
            by_key.entry((record.group.as_str(), record.id.as_str(), record.threads)).or_insert(record);
        }
        Figures { results, by_key }
    }

    /// The run itself.
    pub(crate) fn results(&self) -> &'r Results {
        self.results
    }

    /// Reader threads of the Concurrent (N) and contention columns.
    pub(crate) fn n(&self) -> u32 {
        self.results.config.concurrent_threads
    }

    /// The record of `id` in `group` at `threads`.
    pub(crate) fn record(&self, group: &str, id: &str, threads: u32) -> Option<&'r Record> {
        self.by_key.get(&(group, id, threads)).copied()
    }

    /// The first record of `id` in `group`, whatever its threads
    /// (the memory and write groups have one per strategy).
    pub(crate) fn any(&self, group: &str, id: &str) -> Option<&'r Record> {
        self.results.records.iter().find(|r| r.group == group && r.id == id)
    }

    /// ns/op of `id` in `group` at `threads`.
    pub(crate) fn ns(&self, group: &str, id: &str, threads: u32) -> Option<f64> {
        self.record(group, id, threads)?.ns_per_op
    }

    /// The label `id` is shown with: as recorded, else the catalogue's,
    /// else the id itself.
    pub(crate) fn label_of(&self, id: &'r str) -> &'r str {
        let recorded = self.results.records.iter().find(|r| r.id == id).map(|r| r.strategy.as_str());
        recorded.or_else(|| catalogue_label(id)).unwrap_or(id)
    }

    /// Every strategy with a record in any of `groups`, in record order.
    pub(crate) fn strategies(&self, groups: &[&str]) -> Vec<Strategy<'r>> {
        let mut seen = Vec::<Strategy<'r>>::new();
        for record in &self.results.records {
            if groups.contains(&record.group.as_str()) && !seen.iter().any(|s| s.id == record.id) {
                seen.push(Strategy { id: &record.id, label: &record.strategy, kind: record.kind });
            }
        }
        seen
    }

    /// The store strategies: those in single_reader first (record order),
    /// then any other store group's, floors last.
    pub(crate) fn stores(&self) -> Vec<Strategy<'r>> {
        let mut stores = self.strategies(&[groups::SINGLE_READER]);
        for found in self.strategies(&STORE_GROUPS) {
            if !stores.iter().any(|s| s.id == found.id) {
                stores.push(found);
            }
        }
        floors_last(stores)
    }

    /// The registry strategies, in record order.
    pub(crate) fn registries(&self) -> Vec<Strategy<'r>> {
        let names: Vec<&str> = REGISTRY_GROUPS.iter().map(|(group, _)| *group).collect();
        self.strategies(&names)
    }
}

/// `strategies` with the floors moved last; a stable sort keeps record
/// order within stores and within floors.
pub(crate) fn floors_last(mut strategies: Vec<Strategy<'_>>) -> Vec<Strategy<'_>> {
    strategies.sort_by_key(|s| s.kind == Family::Floor);
    strategies
}

/// The catalogue's label for `id`, for a row the run did not record.
fn catalogue_label(id: &str) -> Option<&'static str> {
    let entries = procstore_catalog::STORES.iter().chain(procstore_catalog::REGISTRIES);
    entries.chain(procstore_catalog::floors::ALL).find(|entry| entry.id == id).map(|entry| entry.label)
}
