//! A registry of handles' readers: what they keep of the stores they read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use procstore_atomic::{ArcSwapCacheStore, CowHandles, DashMapHandleRegistry};
use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader, StateStore, UpdateError};

/// An arc-swap `Cache` store that counts the readers made of it.
struct Counted(ArcSwapCacheStore);

static READERS_MADE: AtomicUsize = AtomicUsize::new(0);

impl StateStore for Counted {
    type Reader = <ArcSwapCacheStore as StateStore>::Reader;

    fn new(initial: ProcessState) -> Self {
        Counted(ArcSwapCacheStore::new(initial))
    }

    fn reader(&self) -> Self::Reader {
        READERS_MADE.fetch_add(1, Ordering::Relaxed);
        self.0.reader()
    }

    fn update<E, F>(&self, f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        self.0.update(f)
    }
}

/// A registry reader keeps its own reader of each store (an arc-swap
/// `Cache` holds a state). A pass over every store (`list` or `for_each`)
/// keeps those of live processes (the next pass makes none) and forgets
/// those of removed ones, including one made by a `get` since the last
/// pass, so a long-lived reader does not keep their states alive. The
/// copy-on-write handles and a `HandleRegistry` (on DashMap, which frees a
/// removed entry at once; papaya and scc defer it), both passes.
#[test]
fn a_pass_over_every_store_keeps_live_readers_and_frees_removed_ones() {
    fn check<R: Registry>(pass: fn(&mut R::Reader) -> usize, what: &str) {
        let made = || READERS_MADE.load(Ordering::Relaxed);
        let (name, between): (Arc<str>, Arc<str>) = (Arc::from("listed"), Arc::from("read between"));
        let registry = R::new();
        let mut reader = registry.reader();
        for id in 0..8 {
            registry.insert(ProcessState::new(ProcessId(id), Arc::clone(&name))).expect("insert");
            registry.update(ProcessId(id), restart_cycle).expect("update");
        }
        assert_eq!(pass(&mut reader), 8, "{what}");
        let before = made();
        assert_eq!(pass(&mut reader), 8, "{what}");
        assert_eq!(made(), before, "{what}: a second pass made readers again");

        registry.insert(ProcessState::new(ProcessId(8), Arc::clone(&between))).expect("insert");
        assert!(reader.status(ProcessId(8)).expect("get").is_some(), "{what}");
        drop(registry.remove(ProcessId(8)).expect("remove"));
        for id in 0..4 {
            drop(registry.remove(ProcessId(id)).expect("remove"));
        }
        assert_eq!(pass(&mut reader), 4, "{what}");
        // The names themselves and the four live processes' states, nothing more.
        assert_eq!(Arc::strong_count(&name), 1 + 4, "{what}");
        assert_eq!(Arc::strong_count(&between), 1, "{what}: the reader made by a get was kept");
        let before = made();
        assert_eq!(pass(&mut reader), 4, "{what}");
        assert_eq!(made(), before, "{what}: a pass after removals made readers again");
    }
    fn list<R: RegistryReader>(reader: &mut R) -> usize {
        reader.list().expect("list").len()
    }
    fn for_each<R: RegistryReader>(reader: &mut R) -> usize {
        let mut seen = 0;
        reader.for_each(|_| seen += 1).expect("for_each");
        seen
    }
    check::<CowHandles<Counted>>(list, "copy-on-write handles, list");
    check::<CowHandles<Counted>>(for_each, "copy-on-write handles, for_each");
    check::<DashMapHandleRegistry<Counted>>(list, "DashMap handles, list");
    check::<DashMapHandleRegistry<Counted>>(for_each, "DashMap handles, for_each");
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
