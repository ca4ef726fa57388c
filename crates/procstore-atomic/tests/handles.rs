//! A registry of handles' readers: what they keep of the stores they read.

use std::sync::Arc;

use procstore_atomic::{ArcSwapCacheStore, CowHandles};
use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader};

/// A registry reader keeps its own reader of each store (an arc-swap
/// `Cache` holds a state); its next list forgets those of removed
/// processes, so a long-lived reader does not keep their states alive.
#[test]
fn a_list_frees_what_the_reader_held_for_removed_processes() {
    let name: Arc<str> = Arc::from("listed");
    let registry = CowHandles::<ArcSwapCacheStore>::new();
    let mut reader = registry.reader();
    for id in 0..8 {
        registry.insert(ProcessState::new(ProcessId(id), Arc::clone(&name))).expect("insert");
        registry.update(ProcessId(id), restart_cycle).expect("update");
    }
    assert_eq!(reader.list().expect("list").len(), 8);
    for id in 0..4 {
        drop(registry.remove(ProcessId(id)).expect("remove"));
    }
    let listed = reader.list().expect("list");
    assert_eq!(listed.len(), 4);
    drop(listed);
    // The name itself and the four live processes' states, nothing more.
    assert_eq!(Arc::strong_count(&name), 1 + 4);
}

/// A reader that only gets (never lists) also lets go of a removed
/// process's state, at its next read.
#[test]
fn a_get_frees_what_the_reader_held_for_removed_processes() {
    let name: Arc<str> = Arc::from("got");
    let registry = CowHandles::<ArcSwapCacheStore>::new();
    registry.insert(ProcessState::new(ProcessId(1), Arc::clone(&name))).expect("insert");
    registry.insert(ProcessState::new(ProcessId(2), "other")).expect("insert");
    let mut reader = registry.reader();
    assert!(reader.status(ProcessId(1)).expect("get").is_some());
    drop(registry.remove(ProcessId(1)).expect("remove"));
    assert!(reader.status(ProcessId(2)).expect("get").is_some());
    assert_eq!(Arc::strong_count(&name), 1);
}

/// A process removed and added back under its id is a new store: a reader
/// that read the old one reads the new one, not its old reader's state.
#[test]
fn a_reader_reads_the_process_added_back_under_a_removed_id() {
    let registry = CowHandles::<ArcSwapCacheStore>::new();
    registry.insert(ProcessState::new(ProcessId(7), "first")).expect("insert");
    let mut reader = registry.reader();
    let name = |reader: &mut <CowHandles<ArcSwapCacheStore> as Registry>::Reader| {
        reader.get(ProcessId(7), |state| state.name().to_owned()).expect("get")
    };
    assert_eq!(name(&mut reader).as_deref(), Some("first"));
    registry.remove(ProcessId(7)).expect("remove");
    assert_eq!(name(&mut reader), None);
    registry.insert(ProcessState::new(ProcessId(7), "second")).expect("insert");
    assert_eq!(name(&mut reader).as_deref(), Some("second"));
    let updated = registry.update(ProcessId(7), restart_cycle).expect("update");
    assert_eq!(reader.status(ProcessId(7)).expect("get"), Some(updated.status()));
}
