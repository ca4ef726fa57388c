//! loom models of the stores whose CAS loop is ours and whose crate can be
//! built on loom: the hazard-pointer store (haphazard switches its atomics
//! to loom's under `cfg(loom)`) and the crossbeam-epoch store (under
//! `cfg(crossbeam_loom)` with its `loom` feature); and of the sequence-lock
//! store, whose atomics are all ours. Every interleaving of a few threads
//! (bounded preemptions). Run by `scripts/loom.sh`.
//!
//! arc-swap, seize (its `protect` takes a std `AtomicPtr`), DashMap and the
//! channels are not built on loom, so their paths are covered by the stress
//! histories and Miri instead (docs/CORRECTNESS.md).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use procstore_atomic::{HazardStore, SeqLockStore};
use procstore_conformance::workload::{assert_consistent, restart_cycle};
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader, StateReader, StateStore, Status};

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_within(None, f);
}

/// [`model`], within `bound` preemptions if given, else within
/// `LOOM_MAX_PREEMPTIONS` (3 unless set).
fn model_within(bound: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound.or(builder.preemption_bound).or(Some(3));
    builder.check(f);
}

fn initial() -> ProcessState {
    ProcessState::new(ProcessId(1), "loom")
}

fn version_of<R: StateReader>(reader: &mut R) -> u64 {
    reader
        .read(|s| {
            assert_consistent(s);
            s.version()
        })
        .expect("read")
}

/// A reader racing an update sees whole states, never going backwards, and
/// the update's state once it is joined.
fn reader_racing_an_update_never_goes_backwards<S: StateStore>() {
    model(|| {
        let store = Arc::new(S::new(initial()));
        let writer = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                store.update(restart_cycle).expect("valid transition");
            })
        };
        let mut reader = store.reader();
        let first = version_of(&mut reader);
        let second = version_of(&mut reader);
        assert!(second >= first, "went backwards from {first} to {second}");
        writer.join().expect("writer");
        assert_eq!(version_of(&mut reader), 1);
    });
}

/// Two racing updates both land: the CAS loop loses nothing.
fn racing_updates_lose_nothing<S: StateStore>() {
    model(|| {
        let store = Arc::new(S::new(initial()));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let store = Arc::clone(&store);
                thread::spawn(move || store.update(restart_cycle).expect("valid transition").version())
            })
            .collect();
        let mut published: Vec<u64> = writers.into_iter().map(|w| w.join().expect("writer")).collect();
        published.sort_unstable();
        assert_eq!(published, vec![1, 2]);
        assert_eq!(version_of(&mut store.reader()), 2);
    });
}

macro_rules! cas_models {
    ($($(#[$cfg:meta])* $module:ident: $store:ty;)+) => {$(
        $(#[$cfg])*
        mod $module {
            #[test]
            fn reader_racing_an_update_never_goes_backwards() {
                super::reader_racing_an_update_never_goes_backwards::<$store>();
            }

            #[test]
            fn racing_updates_lose_nothing() {
                super::racing_updates_lose_nothing::<$store>();
            }
        }
    )+};
}

cas_models! {
    hazard: procstore_atomic::HazardStore;
    seqlock: procstore_atomic::SeqLockStore;
    // Without crossbeam's own switch its atomics are std's: nothing modelled.
    #[cfg(crossbeam_loom)]
    epoch: procstore_atomic::EpochStore;
}

/// A reader made while a writer runs `updates` updates reads `reads`
/// times: each state whole (`version_of` checks its fields against its
/// version), none older than the one before, and the last update's once
/// the writer is joined; within `bound` preemptions, if given. Made after
/// the writer starts, the reader's first copy (a seqlock reader copies the
/// state when it is made) can meet any publish.
fn reader_racing_updates<S: StateStore>(updates: u64, reads: usize, bound: Option<usize>) {
    model_within(bound, move || {
        let store = Arc::new(S::new(initial()));
        let writer = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for _ in 0..updates {
                    store.update(restart_cycle).expect("valid transition");
                }
            })
        };
        let mut reader = store.reader();
        let mut last = 0;
        for _ in 0..reads {
            let seen = version_of(&mut reader);
            assert!((last..=updates).contains(&seen), "read version {seen} after {last}, of {updates}");
            last = seen;
        }
        writer.join().expect("writer");
        assert_eq!(version_of(&mut reader), updates);
    });
}

/// States retired while a reader holds its hazard pointer are not freed
/// under it: enough updates to pass haphazard's reclamation threshold run
/// while the reader reads (loom reports any use after free).
#[test]
fn reclamation_spares_protected_states() {
    reader_racing_updates::<HazardStore>(6, 1, None);
}

/// A seqlock reader racing three updates, the third of which can write the
/// slot its read is copying (the writer laps it). Two updates can lap the
/// copy the reader makes when it is made, but reading any word of the
/// lapping publish shows its read that the counter moved on, so it copies
/// again: the third update is what lets a lapped copy reach an answer.
/// Within two preemptions, not three: that takes 20 s, not 8 minutes, and
/// still fails if a lapped read is accepted, the odd count is stored
/// Relaxed or either fence is taken out.
#[test]
fn seqlock_reader_lapped_by_the_writer_keeps_only_whole_states() {
    reader_racing_updates::<SeqLockStore>(3, 1, Some(2));
}

/// Stores `S` in a map under loom's `RwLock`: here the store's own atomic
/// publish, not a lock, orders a summary's in-flight mark before the new
/// state (procstore-mutex's models cover lock stores).
type LoomHandles<S> = procstore_core::HandleRegistry<
    S,
    procstore_mutex::LockMap<
        loom::sync::RwLock<procstore_mutex::IdMap<std::sync::Arc<procstore_core::Handle<S>>>>,
    >,
>;

/// A reader that has seen an update's state through a store `S` gets no
/// older answer from counts or a search by pid afterwards.
fn handle_registry_never_answers_behind_a_read<S: StateStore>() {
    model(|| {
        let registry = Arc::new(LoomHandles::<S>::new());
        registry.insert(initial()).expect("fresh id");
        let writer = {
            let registry = Arc::clone(&registry);
            thread::spawn(move || registry.update(ProcessId(1), restart_cycle).map(|s| s.version()))
        };
        let mut reader = registry.reader();
        let seen = reader.get(ProcessId(1), ProcessState::version).expect("get").expect("registered");
        if seen == 1 {
            // restart_cycle's first update runs the process as pid 1.
            assert_eq!(reader.by_pid(1).map(|found| found.map(|s| s.version())), Ok(Some(1)));
            assert_eq!(reader.counts().map(|c| c.get(Status::Running)), Ok(1));
        }
        assert_eq!(writer.join().expect("writer"), Ok(1));
    });
}

#[test]
fn handle_registry_on_hazard_stores_never_answers_behind_a_read() {
    handle_registry_never_answers_behind_a_read::<HazardStore>();
}

#[test]
fn handle_registry_on_seqlock_stores_never_answers_behind_a_read() {
    handle_registry_never_answers_behind_a_read::<SeqLockStore>();
}
