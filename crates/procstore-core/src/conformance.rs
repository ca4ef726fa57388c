//! The conformance suite: one set of generic checks that every store and
//! registry runs, so a new strategy is held to exactly the same contract.
//!
//! Instantiate it in a crate's tests with [`store_conformance!`] and
//! [`registry_conformance!`]; each check becomes a named `#[test]`. Sizes
//! shrink under Miri. Anything that could deadlock runs under
//! [`with_watchdog`], so a broken store fails the test instead of hanging CI.
//!
//! [`store_conformance!`]: crate::store_conformance
//! [`registry_conformance!`]: crate::registry_conformance

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// `n` normally, a small fraction of it under Miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) { if n / 100 > 2 { n / 100 } else { 2 } } else { n }
}

/// The most states a store may keep alive during a write storm with two
/// readers: the current one, one pinned per reader, and haphazard's
/// reclamation threshold of 1000 retired objects per domain, with slack.
pub const GARBAGE_BOUND: usize = 1100;

/// How long a check may take before it is declared hung.
pub const WATCHDOG: Duration = Duration::from_secs(if cfg!(miri) { 3600 } else { 60 });

/// Runs `f` on its own thread and panics, naming `what`, if it does not
/// finish within [`WATCHDOG`]. A panic inside `f` is passed on.
pub fn with_watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(format!("watchdog: {what}"))
        .spawn(move || {
            // The receiver outlives the send unless we already timed out.
            let _ = done_tx.send(f());
        })
        .expect("spawn watchdog thread");
    match done_rx.recv_timeout(WATCHDOG) {
        Ok(value) => {
            worker.join().expect("worker finished");
            value
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {WATCHDOG:?}: deadlock or lost wake-up")
        }
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
    }
}

/// Checks for [`StateStore`](crate::StateStore) implementations.
pub mod store {
    use std::convert::Infallible;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use super::{scaled, with_watchdog};
    use crate::history;
    use crate::workload::{assert_consistent, restart_cycle};
    use crate::{
        Error, ProcessId, ProcessState, StateReader, StateStore, Status, TransitionError, UpdateError,
    };

    fn initial() -> ProcessState {
        ProcessState::new(ProcessId(1), "conformance")
    }

    /// A new store and a new reader show the initial state.
    pub fn reads_initial_state<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        assert_eq!(reader.snapshot(), Ok(initial()));
        assert_eq!(reader.status(), Ok(Status::Starting));
        assert_eq!(reader.read(|s| s.name().len()), Ok("conformance".len()));
    }

    /// An update publishes version + 1, and old and new readers both see it.
    pub fn update_publishes_next_version<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        let published = store.update(restart_cycle).expect("valid transition");
        assert_eq!((published.version(), published.status()), (1, Status::Running));
        assert_consistent(&published);
        assert_eq!(reader.snapshot(), Ok(published.clone()));
        assert_eq!(store.reader().snapshot(), Ok(published));
    }

    /// An invalid transition is a typed error naming both states, and the
    /// store keeps its state.
    pub fn invalid_transition_leaves_store_unchanged<S: StateStore>() {
        let store = S::new(initial());
        let err = store.update(|s| s.transition(Status::Stopped)).unwrap_err();
        let expected = TransitionError { from: Status::Starting, to: Status::Stopped };
        assert_eq!(err, UpdateError::Rejected(expected));
        assert_eq!(err.to_string(), "update rejected: invalid transition from starting to stopped");
        assert_eq!(store.reader().snapshot(), Ok(initial()));
    }

    /// An update that returns another process's state is refused.
    pub fn id_change_is_refused<S: StateStore>() {
        let store = S::new(initial());
        let err =
            store.update(|_| Ok::<_, Infallible>(ProcessState::new(ProcessId(2), "impostor"))).unwrap_err();
        assert_eq!(err, UpdateError::Store(Error::IdChanged { expected: ProcessId(1), found: ProcessId(2) }));
        assert_eq!(store.reader().snapshot(), Ok(initial()));
    }

    /// A panic inside an update closure reaches the caller; the store is not
    /// poisoned, keeps its state, and serves later reads and updates.
    pub fn panic_in_update_leaves_store_usable<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            store.update(|_| -> Result<ProcessState, Infallible> {
                panic!("deliberate panic in an update closure (this test expects it)")
            })
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
        let (store, reader) = with_watchdog("reads and updates after a panicking update", move || {
            assert_eq!(reader.snapshot(), Ok(initial()));
            assert_eq!(store.update(restart_cycle).map(|s| s.version()), Ok(1));
            (store, reader)
        });
        drop((reader, store));
    }

    /// A panic inside a read closure leaves the store and the reader usable.
    pub fn panic_in_read_leaves_store_usable<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            reader.read(|_| panic!("deliberate panic in a read closure (this test expects it)"))
        }));
        assert!(outcome.is_err());
        with_watchdog("reads and updates after a panicking read", move || {
            assert_eq!(store.update(restart_cycle).map(|s| s.version()), Ok(1));
            assert_eq!(reader.read(ProcessState::version), Ok(1));
        });
    }

    /// Readers racing one writer only ever see whole, published states, in
    /// version order, and all of them end on the writer's last version.
    pub fn readers_never_go_backwards<S: StateStore>() {
        const READERS: usize = 3;
        let updates = scaled(3000) as u64;
        let store = Arc::new(S::new(initial()));
        with_watchdog("readers racing a writer", move || {
            let start = Barrier::new(READERS + 1);
            thread::scope(|scope| {
                for _ in 0..READERS {
                    let mut reader = store.reader();
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        let mut last = 0;
                        while last < updates {
                            let seen = reader
                                .read(|s| {
                                    assert_consistent(s);
                                    s.version()
                                })
                                .expect("read");
                            assert!(seen >= last, "went backwards from {last} to {seen}");
                            last = seen;
                        }
                    });
                }
                start.wait();
                for _ in 0..updates {
                    store.update(restart_cycle).expect("valid transition");
                }
            });
        });
    }

    /// Concurrent writers lose nothing: every version from 1 to the total is
    /// published exactly once, and each writer sees its own go up.
    pub fn concurrent_updates_lose_nothing<S: StateStore>() {
        const WRITERS: usize = 4;
        let per_writer = scaled(1000);
        let store = Arc::new(S::new(initial()));
        let published = with_watchdog("concurrent writers", {
            let store = Arc::clone(&store);
            move || {
                let start = Barrier::new(WRITERS);
                thread::scope(|scope| {
                    let writers: Vec<_> = (0..WRITERS)
                        .map(|_| {
                            scope.spawn(|| {
                                start.wait();
                                let mut mine = Vec::with_capacity(per_writer);
                                for _ in 0..per_writer {
                                    let state = store.update(restart_cycle).expect("valid transition");
                                    assert_consistent(&state);
                                    mine.push(state.version());
                                }
                                mine
                            })
                        })
                        .collect();
                    writers.into_iter().map(|w| w.join().expect("writer")).collect::<Vec<_>>()
                })
            }
        });
        let mut all = Vec::new();
        for mine in published {
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "a writer's versions went down");
            all.extend(mine);
        }
        all.sort_unstable();
        let total = (WRITERS * per_writer) as u64;
        assert!(all.iter().copied().eq(1..=total), "some version was published twice or never");
        let last = store.reader().snapshot().expect("read");
        assert_eq!(last.version(), total);
        assert_consistent(&last);
    }

    /// Every state a store ever published (and every copy handed out) is
    /// dropped once the store and its readers are gone: the shared name's
    /// reference count returns to one.
    pub fn every_state_is_dropped<S: StateStore>() {
        let name: Arc<str> = Arc::from("drop-counted");
        let store = S::new(ProcessState::new(ProcessId(1), Arc::clone(&name)));
        let updates = scaled(500);
        let store = with_watchdog("a write storm under readers", move || {
            thread::scope(|scope| {
                for _ in 0..2 {
                    let mut reader = store.reader();
                    scope.spawn(move || {
                        let mut held = Vec::new();
                        for i in 0..updates {
                            let snapshot = reader.snapshot().expect("read");
                            if i % 50 == 0 {
                                held.push(snapshot);
                            }
                        }
                    });
                }
                for _ in 0..updates {
                    store.update(restart_cycle).expect("valid transition");
                }
            });
            store
        });
        assert!(Arc::strong_count(&name) > 1, "the store holds its state");
        with_watchdog("dropping the store", move || drop(store));
        assert_eq!(Arc::strong_count(&name), 1, "states leaked after the store was dropped");
    }

    /// A reader that outlives its store returns the last state or
    /// [`Stopped`]; it never hangs or panics.
    pub fn reader_outlives_store<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        store.update(restart_cycle).expect("valid transition");
        drop(store);
        with_watchdog("a read after the store was dropped", move || {
            // `Err(Stopped)` is the only other outcome the types allow.
            if let Ok(version) = reader.read(ProcessState::version) {
                assert_eq!(version, 1);
            }
        });
    }

    /// Many readers of one store on one thread, and reads nested across many
    /// stores (more than arc-swap's eight fast slots), all stay correct.
    pub fn many_readers_on_one_thread<S: StateStore>() {
        const COUNT: usize = 20;
        let stores: Vec<S> = (0..COUNT).map(|_| S::new(initial())).collect();
        let mut same_store: Vec<S::Reader> = (0..COUNT).map(|_| stores[0].reader()).collect();
        let mut across: Vec<S::Reader> = stores.iter().map(S::reader).collect();
        for round in 1..=3 {
            for store in &stores {
                store.update(restart_cycle).expect("valid transition");
            }
            for reader in &mut same_store {
                assert_eq!(reader.read(ProcessState::version), Ok(round));
            }
            assert_eq!(nested_versions(&mut across), vec![round; COUNT]);
        }
    }

    /// Reads every reader from inside the previous one's closure.
    fn nested_versions<R: StateReader>(readers: &mut [R]) -> Vec<u64> {
        match readers.split_first_mut() {
            None => Vec::new(),
            Some((first, rest)) => first
                .read(|s| {
                    let mut inner = nested_versions(rest);
                    inner.insert(0, s.version());
                    inner
                })
                .expect("read"),
        }
    }

    /// A history of concurrent reads and updates is linearizable (see
    /// [`history`](crate::history)).
    pub fn history_is_linearizable<S: StateStore>() {
        check_history::<S>(scaled(2000));
    }

    /// [`history_is_linearizable`] at a size for `scripts/stress.sh`.
    pub fn long_history_is_linearizable<S: StateStore>() {
        check_history::<S>(200_000);
    }

    fn check_history<S: StateStore>(updates_per_writer: usize) {
        let store = Arc::new(S::new(initial()));
        let events = with_watchdog("a recorded history", move || {
            let readers = (0..2)
                .map(|_| {
                    let mut reader = store.reader();
                    move || {
                        reader
                            .read(|s| {
                                assert_consistent(s);
                                s.version()
                            })
                            .expect("read")
                    }
                })
                .collect();
            history::record(2, updates_per_writer, readers, || {
                store.update(restart_cycle).expect("valid transition").version()
            })
        });
        if let Err(violation) = history::check(&events) {
            panic!("{}: not linearizable: {violation}", S::NAME);
        }
    }

    /// During a long write storm under readers, the states kept alive
    /// (published, pinned by readers or waiting for deferred reclamation)
    /// stay under [`GARBAGE_BOUND`](super::GARBAGE_BOUND).
    pub fn garbage_stays_bounded<S: StateStore>() {
        let name: Arc<str> = Arc::from("garbage-counted");
        let store = Arc::new(S::new(ProcessState::new(ProcessId(1), Arc::clone(&name))));
        let updates = scaled(20_000);
        let peak = with_watchdog("a write storm", {
            let name = Arc::clone(&name);
            move || {
                let done = AtomicUsize::new(0);
                thread::scope(|scope| {
                    for _ in 0..2 {
                        let mut reader = store.reader();
                        let done = &done;
                        scope.spawn(move || {
                            while done.load(Ordering::Acquire) == 0 {
                                reader.status().expect("read");
                            }
                        });
                    }
                    let mut peak = 0;
                    for i in 0..updates {
                        store.update(restart_cycle).expect("valid transition");
                        if i % 64 == 0 {
                            peak = peak.max(Arc::strong_count(&name));
                        }
                    }
                    done.store(1, Ordering::Release);
                    peak
                })
            }
        });
        assert!(
            peak <= super::GARBAGE_BOUND,
            "{} kept {peak} states alive during a write storm (bound {})",
            S::NAME,
            super::GARBAGE_BOUND
        );
    }

    /// A thread that panics inside a read drops its reader while unwinding;
    /// the store, its other readers and its drop accounting are unharmed.
    pub fn reader_dropped_by_a_panicking_thread<S: StateStore>() {
        let name: Arc<str> = Arc::from("unwound");
        let store = S::new(ProcessState::new(ProcessId(1), Arc::clone(&name)));
        let mut survivor = store.reader();
        let mut doomed = store.reader();
        let outcome = thread::spawn(move || {
            let _ = doomed.read(|_| panic!("deliberate panic mid-read (this test expects it)"));
        })
        .join();
        assert!(outcome.is_err());
        let store = with_watchdog("the store after a reader thread died", move || {
            store.update(restart_cycle).expect("valid transition");
            assert_eq!(survivor.read(ProcessState::version), Ok(1));
            store
        });
        with_watchdog("dropping the store", move || drop(store));
        assert_eq!(Arc::strong_count(&name), 1, "states leaked after a reader died mid-read");
    }

    /// A reader made on one thread works on another.
    pub fn reader_moves_between_threads<S: StateStore>() {
        let store = S::new(initial());
        let mut reader = store.reader();
        store.update(restart_cycle).expect("valid transition");
        let reader = thread::spawn(move || {
            assert_eq!(reader.read(ProcessState::version), Ok(1));
            reader
        })
        .join()
        .expect("reader thread");
        drop(reader);
    }
}

/// Checks for [`Registry`](crate::Registry) implementations.
pub mod registry {
    use std::convert::Infallible;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use super::{scaled, with_watchdog};
    use crate::history;
    use crate::workload::{assert_consistent, restart_cycle};
    use crate::{
        Error, ProcessId, ProcessState, Registry, RegistryReader, Status, TransitionError, UpdateError,
    };

    fn process(id: u64) -> ProcessState {
        ProcessState::new(ProcessId(id), format!("proc-{id}"))
    }

    fn name_of<R: RegistryReader>(reader: &mut R, id: u64) -> Option<String> {
        reader.get(ProcessId(id), |s| s.name().to_owned()).expect("get")
    }

    /// Insert, get, update, remove, list and len behave like a map, and
    /// every misuse is a typed error that changes nothing.
    pub fn sequential_semantics<R: Registry>() {
        let registry = R::new();
        let mut reader = registry.reader();
        assert_eq!(reader.len(), Ok(0));
        assert_eq!(reader.is_empty(), Ok(true));
        assert_eq!(reader.status(ProcessId(1)), Ok(None));
        assert_eq!(reader.list(), Ok(vec![]));

        registry.insert(process(2)).expect("insert 2");
        registry.insert(process(1)).expect("insert 1");
        let duplicate = ProcessState::new(ProcessId(1), "duplicate");
        assert_eq!(registry.insert(duplicate), Err(Error::AlreadyExists(ProcessId(1))));
        assert_eq!(name_of(&mut reader, 1).as_deref(), Some("proc-1"), "a duplicate insert overwrote");
        assert_eq!(reader.len(), Ok(2));
        assert_eq!(reader.status(ProcessId(2)), Ok(Some(Status::Starting)));

        let published = registry.update(ProcessId(1), restart_cycle).expect("update 1");
        assert_eq!(published.version(), 1);
        assert_eq!(reader.get(ProcessId(1), ProcessState::clone), Ok(Some(published)));

        assert_eq!(
            registry.update(ProcessId(9), restart_cycle),
            Err(UpdateError::Store(Error::NotFound(ProcessId(9))))
        );
        assert_eq!(
            registry.update(ProcessId(2), |s| s.transition(Status::Stopped)),
            Err(UpdateError::Rejected(TransitionError { from: Status::Starting, to: Status::Stopped }))
        );
        assert_eq!(
            registry.update(ProcessId(2), |_| Ok::<_, Infallible>(process(3))),
            Err(UpdateError::Store(Error::IdChanged { expected: ProcessId(2), found: ProcessId(3) }))
        );
        assert_eq!(reader.get(ProcessId(2), ProcessState::version), Ok(Some(0)));

        let listed = reader.list().expect("list");
        let ids: Vec<_> = listed.iter().map(|s| (s.id().0, s.version())).collect();
        assert_eq!(ids, vec![(1, 1), (2, 0)], "list is sorted by id and current");

        assert_eq!(registry.remove(ProcessId(2)).map(|s| s.id()), Ok(ProcessId(2)));
        assert_eq!(registry.remove(ProcessId(2)), Err(Error::NotFound(ProcessId(2))));
        assert_eq!(reader.status(ProcessId(2)), Ok(None));
        assert_eq!(reader.len(), Ok(1));
        registry.insert(process(2)).expect("re-insert after remove");
        assert_eq!(reader.len(), Ok(2));
    }

    /// Of threads racing to insert one id, exactly one wins and its state is
    /// the one stored.
    pub fn insert_race_has_one_winner<R: Registry>() {
        const RACERS: usize = 4;
        let rounds = scaled(200) as u64;
        let registry = Arc::new(R::new());
        with_watchdog("racing inserts", move || {
            let start = Barrier::new(RACERS);
            let wins: Vec<Vec<u64>> = thread::scope(|scope| {
                let racers: Vec<_> = (0..RACERS)
                    .map(|racer| {
                        let (registry, start) = (&registry, &start);
                        scope.spawn(move || {
                            let mut won = Vec::new();
                            for round in 0..rounds {
                                start.wait();
                                let state = ProcessState::new(ProcessId(round), format!("racer-{racer}"));
                                match registry.insert(state) {
                                    Ok(()) => won.push(round),
                                    Err(e) => assert_eq!(e, Error::AlreadyExists(ProcessId(round))),
                                }
                            }
                            won
                        })
                    })
                    .collect();
                racers.into_iter().map(|r| r.join().expect("racer")).collect()
            });
            let mut reader = registry.reader();
            for round in 0..rounds {
                let winners: Vec<usize> = (0..RACERS).filter(|&r| wins[r].contains(&round)).collect();
                assert_eq!(winners.len(), 1, "round {round} had winners {winners:?}");
                let stored = name_of(&mut reader, round).expect("the winner is stored");
                assert_eq!(stored, format!("racer-{}", winners[0]));
            }
        });
    }

    /// Concurrent updates of the same keys lose nothing.
    pub fn concurrent_updates_lose_nothing<R: Registry>() {
        const WRITERS: u64 = 4;
        const KEYS: u64 = 2;
        let per_writer = scaled(1000) as u64;
        let registry = Arc::new(R::new());
        for key in 0..KEYS {
            registry.insert(process(key)).expect("insert");
        }
        with_watchdog("concurrent registry writers", move || {
            thread::scope(|scope| {
                for writer in 0..WRITERS {
                    let registry = &registry;
                    scope.spawn(move || {
                        for _ in 0..per_writer {
                            let state =
                                registry.update(ProcessId(writer % KEYS), restart_cycle).expect("update");
                            assert_consistent(&state);
                        }
                    });
                }
            });
            let mut reader = registry.reader();
            for key in 0..KEYS {
                let version = reader.get(ProcessId(key), ProcessState::version).expect("get");
                assert_eq!(version, Some(per_writer * WRITERS / KEYS), "key {key} lost updates");
            }
        });
    }

    /// Readers of one key never see it go backwards while a writer updates
    /// it and another thread churns other keys (resizing the map).
    pub fn readers_never_go_backwards<R: Registry>() {
        const READERS: usize = 2;
        let updates = scaled(2000) as u64;
        let registry = Arc::new(R::new());
        registry.insert(process(0)).expect("insert");
        with_watchdog("registry readers racing a writer", move || {
            thread::scope(|scope| {
                for _ in 0..READERS {
                    let mut reader = registry.reader();
                    scope.spawn(move || {
                        let mut last = 0;
                        while last < updates {
                            let seen = reader
                                .get(ProcessId(0), |s| {
                                    assert_consistent(s);
                                    s.version()
                                })
                                .expect("get")
                                .expect("key 0 stays registered");
                            assert!(seen >= last, "went backwards from {last} to {seen}");
                            last = seen;
                        }
                    });
                }
                let churn = &registry;
                scope.spawn(move || {
                    for id in 1..=scaled(300) as u64 {
                        churn.insert(process(id)).expect("insert");
                        if id % 3 == 0 {
                            churn.remove(ProcessId(id - 1)).expect("remove");
                        }
                    }
                });
                for _ in 0..updates {
                    registry.update(ProcessId(0), restart_cycle).expect("update");
                }
            });
        });
    }

    /// Every state inserted, published or handed out is dropped once the
    /// registry and its readers are gone.
    pub fn every_state_is_dropped<R: Registry>() {
        let name: Arc<str> = Arc::from("drop-counted");
        let counted = |id| ProcessState::new(ProcessId(id), Arc::clone(&name));
        let registry = R::new();
        let mut reader = registry.reader();
        for id in 0..8 {
            registry.insert(counted(id)).expect("insert");
        }
        let mut held = reader.list().expect("list");
        for round in 0..scaled(200) as u64 {
            let id = round % 8;
            registry.update(ProcessId(id), restart_cycle).expect("update");
            if round % 16 == 0 {
                held.push(registry.remove(ProcessId(id)).expect("remove"));
                registry.insert(counted(id)).expect("re-insert");
            }
            held.extend(reader.get(ProcessId(id), ProcessState::clone).expect("get"));
        }
        assert_eq!(registry.insert(counted(0)), Err(Error::AlreadyExists(ProcessId(0))));
        drop(held);
        with_watchdog("dropping the registry", move || drop((reader, registry)));
        assert_eq!(Arc::strong_count(&name), 1, "states leaked after the registry was dropped");
    }

    /// A panic inside an update closure leaves the registry unpoisoned and
    /// the entry unchanged.
    pub fn panic_in_update_leaves_registry_usable<R: Registry>() {
        let registry = R::new();
        registry.insert(process(1)).expect("insert");
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            registry.update(ProcessId(1), |_| -> Result<ProcessState, Infallible> {
                panic!("deliberate panic in an update closure (this test expects it)")
            })
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
        with_watchdog("registry calls after a panicking update", move || {
            let mut reader = registry.reader();
            assert_eq!(reader.get(ProcessId(1), ProcessState::version), Ok(Some(0)));
            assert_eq!(registry.update(ProcessId(1), restart_cycle).map(|s| s.version()), Ok(1));
            registry.insert(process(2)).expect("insert after the panic");
            assert_eq!(reader.len(), Ok(2));
        });
    }

    /// The history of one key, updated and read concurrently while other
    /// keys churn, is linearizable (see [`history`](crate::history)).
    pub fn history_is_linearizable<R: Registry>() {
        check_history::<R>(scaled(2000));
    }

    /// [`history_is_linearizable`] at a size for `scripts/stress.sh`.
    pub fn long_history_is_linearizable<R: Registry>() {
        check_history::<R>(100_000);
    }

    fn check_history<R: Registry>(updates_per_writer: usize) {
        let registry = Arc::new(R::new());
        registry.insert(process(0)).expect("insert");
        let events = with_watchdog("a recorded registry history", move || {
            let mut readers: Vec<Box<dyn FnMut() -> u64 + Send>> = (0..2)
                .map(|_| {
                    let mut reader = registry.reader();
                    Box::new(move || {
                        let seen = reader.get(ProcessId(0), |s| {
                            assert_consistent(s);
                            s.version()
                        });
                        seen.expect("get").expect("key 0 stays registered")
                    }) as Box<dyn FnMut() -> u64 + Send>
                })
                .collect();
            // A third "reader" churns other keys for a while, so the map
            // changes shape under the history; it reports key 0 like the
            // others. Bounded: on a copy-on-write map endless churn could
            // starve the writers' CAS loops under Miri's scheduler.
            let churn = Arc::clone(&registry);
            let mut churn_reader = registry.reader();
            let (mut next, last) = (1, scaled(400) as u64);
            readers.push(Box::new(move || {
                if next <= last {
                    churn.insert(process(next)).expect("insert");
                    churn.remove(ProcessId(next)).expect("remove");
                    next += 1;
                }
                churn_reader.get(ProcessId(0), ProcessState::version).expect("get").expect("key 0")
            }));
            history::record(2, updates_per_writer, readers, || {
                registry.update(ProcessId(0), restart_cycle).expect("update").version()
            })
        });
        if let Err(violation) = history::check(&events) {
            panic!("{}: not linearizable: {violation}", R::NAME);
        }
    }

    /// Copies taken out of the registry pin nothing: with a `get` result and
    /// a `list` held, the same thread can update, remove and re-insert the
    /// same key (the DashMap `Ref`-held-across-insert deadlock cannot occur).
    pub fn held_results_do_not_block_writers<R: Registry>() {
        let registry = R::new();
        registry.insert(process(1)).expect("insert");
        with_watchdog("writes while holding read results", move || {
            let mut reader = registry.reader();
            let got = reader.get(ProcessId(1), ProcessState::clone).expect("get");
            let listed = reader.list().expect("list");
            registry.update(ProcessId(1), restart_cycle).expect("update");
            registry.remove(ProcessId(1)).expect("remove");
            registry.insert(process(1)).expect("insert");
            assert_eq!(got.map(|s| s.version()), Some(0));
            assert_eq!(listed.len(), 1);
        });
    }
}

/// Runs every [`store`] check against each listed [`StateStore`](crate::StateStore)
/// type, as one test module per type:
///
/// ```text
/// procstore_core::store_conformance! {
///     std_mutex: procstore_mutex::StdMutexStore,
/// }
/// ```
#[macro_export]
macro_rules! store_conformance {
    ($($module:ident: $store:ty),+ $(,)?) => {$(
        mod $module {
            $crate::__conformance_tests! { [] store, $store:
                reads_initial_state,
                update_publishes_next_version,
                invalid_transition_leaves_store_unchanged,
                id_change_is_refused,
                panic_in_update_leaves_store_usable,
                panic_in_read_leaves_store_usable,
                readers_never_go_backwards,
                concurrent_updates_lose_nothing,
                every_state_is_dropped,
                reader_outlives_store,
                many_readers_on_one_thread,
                reader_moves_between_threads,
                history_is_linearizable,
                garbage_stays_bounded,
                reader_dropped_by_a_panicking_thread,
            }
            $crate::__conformance_tests! { [#[ignore = "long stress: scripts/stress.sh"]] store, $store:
                long_history_is_linearizable,
            }
        }
    )+};
}

/// Runs every [`registry`] check against each listed
/// [`Registry`](crate::Registry) type, as one test module per type.
#[macro_export]
macro_rules! registry_conformance {
    ($($module:ident: $registry:ty),+ $(,)?) => {$(
        mod $module {
            $crate::__conformance_tests! { [] registry, $registry:
                sequential_semantics,
                insert_race_has_one_winner,
                concurrent_updates_lose_nothing,
                readers_never_go_backwards,
                every_state_is_dropped,
                panic_in_update_leaves_registry_usable,
                held_results_do_not_block_writers,
                history_is_linearizable,
            }
            $crate::__conformance_tests! { [#[ignore = "long stress: scripts/stress.sh"]] registry, $registry:
                long_history_is_linearizable,
            }
        }
    )+};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($attrs:tt $kind:ident, $ty:ty: $($check:ident),+ $(,)?) => {$(
        $crate::__conformance_test! { $attrs $kind, $ty, $check }
    )+};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test {
    ([$(#[$attr:meta])*] $kind:ident, $ty:ty, $check:ident) => {
        #[test]
        $(#[$attr])*
        fn $check() {
            $crate::conformance::$kind::$check::<$ty>()
        }
    };
}
