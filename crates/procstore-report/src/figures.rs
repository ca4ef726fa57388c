//! Looking figures up in a run's records.

use std::collections::HashMap;

use crate::schema::{Kind, Record, Results, groups};

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

/// The records of one run, indexed by (group, strategy, threads).
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
            by_key.entry((record.group.as_str(), record.strategy.as_str(), record.threads)).or_insert(record);
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

    /// The record of `strategy` in `group` at `threads`.
    pub(crate) fn record(&self, group: &str, strategy: &str, threads: u32) -> Option<&'r Record> {
        self.by_key.get(&(group, strategy, threads)).copied()
    }

    /// The first record of `strategy` in `group`, whatever its threads
    /// (the memory and write groups have one per strategy).
    pub(crate) fn any(&self, group: &str, strategy: &str) -> Option<&'r Record> {
        self.results.records.iter().find(|r| r.group == group && r.strategy == strategy)
    }

    /// ns/op of `strategy` in `group` at `threads`.
    pub(crate) fn ns(&self, group: &str, strategy: &str, threads: u32) -> Option<f64> {
        self.record(group, strategy, threads)?.ns_per_op
    }

    /// Every strategy with a record in any of `groups`, in record order,
    /// with its family.
    pub(crate) fn strategies(&self, groups: &[&str]) -> Vec<(&'r str, Kind)> {
        let mut seen = Vec::<(&str, Kind)>::new();
        for record in &self.results.records {
            if groups.contains(&record.group.as_str())
                && !seen.iter().any(|(name, _)| *name == record.strategy)
            {
                seen.push((&record.strategy, record.kind));
            }
        }
        seen
    }

    /// The store strategies: those in single_reader first (record order),
    /// then any other store group's, floors last.
    pub(crate) fn stores(&self) -> Vec<(&'r str, Kind)> {
        let mut stores = self.strategies(&[groups::SINGLE_READER]);
        for found in self.strategies(&STORE_GROUPS) {
            if !stores.iter().any(|(name, _)| *name == found.0) {
                stores.push(found);
            }
        }
        // A stable sort keeps record order within stores and within floors.
        stores.sort_by_key(|(_, kind)| *kind == Kind::Floor);
        stores
    }

    /// The registry strategies, in record order.
    pub(crate) fn registries(&self) -> Vec<(&'r str, Kind)> {
        let names: Vec<&str> = REGISTRY_GROUPS.iter().map(|(group, _)| *group).collect();
        self.strategies(&names)
    }
}
