//! loom models of the lock store and registry on loom's own `Mutex` and
//! `RwLock`: every interleaving of two writers and a reader. Run by
//! `scripts/loom.sh` (`RUSTFLAGS="--cfg loom"`).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use procstore_conformance::workload::{assert_consistent, restart_cycle};
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader, StateReader, StateStore};
use procstore_mutex::{Lock, LockRegistry, LockStore, ProcessMap};

fn initial() -> ProcessState {
    ProcessState::new(ProcessId(1), "loom")
}

fn two_writers_and_a_reader<L: Lock<ProcessState>>() {
    loom::model(|| {
        let store = Arc::new(LockStore::<L>::new(initial()));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let store = Arc::clone(&store);
                thread::spawn(move || store.update(restart_cycle).expect("valid transition").version())
            })
            .collect();
        let mut reader = store.reader();
        let seen = reader.read(|s| {
            assert_consistent(s);
            s.version()
        });
        assert!(seen.expect("read") <= 2);
        let mut published: Vec<u64> = writers.into_iter().map(|w| w.join().expect("writer")).collect();
        published.sort_unstable();
        assert_eq!(published, vec![1, 2]);
        assert_eq!(reader.read(ProcessState::version), Ok(2));
    });
}

#[test]
fn mutex_store_loses_no_update() {
    two_writers_and_a_reader::<loom::sync::Mutex<ProcessState>>();
}

#[test]
fn rwlock_store_loses_no_update() {
    two_writers_and_a_reader::<loom::sync::RwLock<ProcessState>>();
}

#[test]
fn registry_insert_race_has_one_winner() {
    loom::model(|| {
        let registry = Arc::new(LockRegistry::<loom::sync::Mutex<ProcessMap>>::new());
        let racers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let registry = Arc::clone(&registry);
                thread::spawn(move || registry.insert(ProcessState::new(ProcessId(1), name)).is_ok())
            })
            .collect();
        let wins = racers.into_iter().map(|r| r.join().expect("racer")).filter(|&won| won).count();
        assert_eq!(wins, 1);
        assert_eq!(registry.reader().len(), Ok(1));
    });
}
