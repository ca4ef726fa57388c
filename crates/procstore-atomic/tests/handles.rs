//! A registry of handles' readers: what they keep of the stores they read.

use std::sync::Arc;

use procstore_atomic::{ArcSwapCacheStore, CowHandles};
use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader};

/// A registry reader keeps its own reader of each store it reads (an
/// arc-swap `Cache` holds a state); a list forgets those of removed
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
