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

/// Two inserts of one id race: exactly one wins, and a reader then sees
/// the winner's state (for handles, through its own reader of the winner's
/// store).
fn insert_race_has_one_winner<R: Registry>() {
    loom::model(|| {
        let registry = Arc::new(R::new());
        let racers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let registry = Arc::clone(&registry);
                thread::spawn(move || registry.insert(ProcessState::new(ProcessId(1), name)).is_ok())
            })
            .collect();
        let wins: Vec<bool> = racers.into_iter().map(|r| r.join().expect("racer")).collect();
        assert_eq!(wins.iter().filter(|&&won| won).count(), 1);
        let winner = if wins[0] { "a" } else { "b" };
        let mut reader = registry.reader();
        assert_eq!(reader.get(ProcessId(1), |s| s.name().to_owned()), Ok(Some(winner.to_owned())));
        assert_eq!(reader.len(), Ok(1));
    });
}

#[test]
fn registry_insert_race_has_one_winner() {
    insert_race_has_one_winner::<LockRegistry<loom::sync::Mutex<ProcessMap>>>();
}

/// Process stores on loom's `Mutex` in a map under loom's `RwLock`: the
/// handle registry's own locks (its slots and removal flag) are loom's too
/// under `cfg(loom)`.
type Handles = procstore_core::HandleRegistry<
    LockStore<loom::sync::Mutex<ProcessState>>,
    procstore_mutex::LockMap<
        loom::sync::RwLock<
            procstore_mutex::IdMap<
                std::sync::Arc<procstore_core::Handle<LockStore<loom::sync::Mutex<ProcessState>>>>,
            >,
        >,
    >,
>;

/// A registry of handles holding process 1, and a thread updating it once
/// (`restart_cycle`): the version it published, if it found the process.
fn one_process_and_an_update() -> (Arc<Handles>, thread::JoinHandle<Option<u64>>) {
    let registry = Arc::new(Handles::new());
    registry.insert(initial()).expect("fresh id");
    let updater = {
        let registry = Arc::clone(&registry);
        thread::spawn(move || registry.update(ProcessId(1), restart_cycle).ok().map(|s| s.version()))
    };
    (registry, updater)
}

/// An update racing a removal of the same process: either the update lands
/// first and the removal returns its result, or the removal wins and the
/// update finds nothing. Never an update published after its removal.
#[test]
fn handle_registry_update_and_remove_race() {
    loom::model(|| {
        let (registry, updater) = one_process_and_an_update();
        let removed = registry.remove(ProcessId(1)).expect("registered").version();
        let updated = updater.join().expect("updater");
        match updated {
            Some(version) => assert_eq!((version, removed), (1, 1), "the removal returns the update"),
            None => assert_eq!(removed, 0, "the update found nothing after the removal"),
        }
        let mut reader = registry.reader();
        assert_eq!(reader.get(ProcessId(1), ProcessState::version), Ok(None));
        assert_eq!(reader.len(), Ok(0));
    });
}

#[test]
fn handle_registry_insert_race_has_one_winner() {
    insert_race_has_one_winner::<Handles>();
}

/// Two updates of one process race a reader's counts and search by pid:
/// the reader counts the process once and finds only a pid the process
/// runs as, and once both return, its summary is the last update's, so
/// counts and search by pid agree with the store.
#[test]
fn handle_registry_summary_follows_the_last_update() {
    loom::model(|| {
        let registry = Arc::new(Handles::new());
        registry.insert(initial()).expect("fresh id");
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let registry = Arc::clone(&registry);
                thread::spawn(move || registry.update(ProcessId(1), restart_cycle).expect("valid").version())
            })
            .collect();
        let mut reader = registry.reader();
        assert_eq!(reader.counts().map(|c| c.total()), Ok(1));
        // restart_cycle's first update runs the process as pid 1.
        if let Some(found) = reader.by_pid(1).expect("by_pid") {
            assert_eq!((found.version(), found.pid()), (1, Some(1)));
        }
        writers.into_iter().for_each(|w| assert!(w.join().expect("writer") <= 2));
        let last = reader.get(ProcessId(1), ProcessState::clone).expect("get").expect("registered");
        assert_eq!((last.version(), last.pid()), (2, None), "Starting, Running, Crashed");
        let counts = reader.counts().expect("counts");
        assert_eq!((counts.get(last.status()), counts.total()), (1, 1));
        assert_eq!(reader.by_pid(1), Ok(None));
    });
}

/// A reader that has seen an update's state gets no older answer from
/// counts or a search by pid afterwards, though the summary is written
/// after the publish: the update marks it in flight first, and a reader
/// that finds the mark reads the store. (Without the mark this fails.)
#[test]
fn handle_registry_summary_never_answers_behind_a_read() {
    loom::model(|| {
        let (registry, writer) = one_process_and_an_update();
        let mut reader = registry.reader();
        let seen = reader.get(ProcessId(1), ProcessState::version).expect("get").expect("registered");
        if seen == 1 {
            // restart_cycle's first update runs the process as pid 1.
            assert_eq!(reader.by_pid(1).map(|found| found.map(|s| s.version())), Ok(Some(1)));
            assert_eq!(reader.counts().map(|c| c.get(procstore_core::Status::Running)), Ok(1));
        }
        assert_eq!(writer.join().expect("writer"), Some(1));
    });
}
