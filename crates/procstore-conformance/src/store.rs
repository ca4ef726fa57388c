//! Checks for [`StateStore`] implementations.

use std::any::type_name;
use std::convert::Infallible;
use std::error::Error as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crate::workload::{GarbageGauge, assert_consistent, restart_cycle};
use crate::{history, scaled, with_watchdog};
use procstore_core::{
    ProcessId, ProcessState, StateReader, StateStore, Status, Stopped, TransitionError, UpdateError,
};

crate::__store_checks!(__check_table! { StateStore });

fn initial() -> ProcessState {
    ProcessState::new(ProcessId(1), "conformance")
}

/// A new store and a new reader show the initial state.
fn reads_initial_state<S: StateStore>() {
    let store = S::new(initial());
    let mut reader = store.reader();
    assert_eq!(reader.snapshot(), Ok(initial()));
    assert_eq!(reader.status(), Ok(Status::Starting));
    assert_eq!(reader.read(|s| s.name().len()), Ok("conformance".len()));
}

/// An update publishes version + 1, and old and new readers both see it.
fn update_publishes_next_version<S: StateStore>() {
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
fn invalid_transition_leaves_store_unchanged<S: StateStore>() {
    let store = S::new(initial());
    let err = store.update(|s| s.transition(Status::Stopped)).unwrap_err();
    let expected = TransitionError { from: Status::Starting, to: Status::Stopped };
    assert_eq!(err, UpdateError::Rejected(expected));
    assert_eq!(err.to_string(), "the update closure rejected the change");
    let cause = err.source().map(ToString::to_string);
    assert_eq!(cause.as_deref(), Some("invalid transition from starting to stopped"));
    assert_eq!(store.reader().snapshot(), Ok(initial()));
}

/// An update that returns another process's state is refused.
fn id_change_is_refused<S: StateStore>() {
    let store = S::new(initial());
    let err = store.update(|_| Ok::<_, Infallible>(ProcessState::new(ProcessId(2), "impostor"))).unwrap_err();
    assert_eq!(err, UpdateError::IdChanged { expected: ProcessId(1), found: ProcessId(2) });
    assert_eq!(store.reader().snapshot(), Ok(initial()));
}

/// A panic inside an update closure reaches the caller; the store is not
/// poisoned, keeps its state, and serves later reads and updates.
fn panic_in_update_leaves_store_usable<S: StateStore>() {
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
fn panic_in_read_leaves_store_usable<S: StateStore>() {
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
fn readers_never_go_backwards<S: StateStore>() {
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
fn concurrent_updates_lose_nothing<S: StateStore>() {
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
/// dropped once the store and its readers are gone: the gauge counts none
/// alive.
fn every_state_is_dropped<S: StateStore>() {
    let gauge = GarbageGauge::new();
    let store = S::new(gauge.initial_state());
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
    assert!(gauge.alive() > 0, "the store holds its state");
    with_watchdog("dropping the store", move || drop(store));
    assert_eq!(gauge.alive(), 0, "states leaked after the store was dropped");
}

/// A reader that outlives its store returns the last state or
/// [`Stopped`]; it never hangs or panics.
fn reader_outlives_store<S: StateStore>() {
    let store = S::new(initial());
    let mut reader = store.reader();
    store.update(restart_cycle).expect("valid transition");
    drop(store);
    with_watchdog("a read after the store was dropped", move || {
        match reader.read(ProcessState::version) {
            Ok(version) => assert_eq!(version, 1),
            // A stop is the only other outcome the reader's error type allows.
            Err(error) => assert_eq!(error.into(), Stopped),
        }
    });
}

/// Many readers of one store on one thread, and reads nested across many
/// stores (more than arc-swap's eight fast slots), all stay correct.
fn many_readers_on_one_thread<S: StateStore>() {
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
fn history_is_linearizable<S: StateStore>() {
    check_history::<S>(scaled(2000));
}

/// [`history_is_linearizable`] at a size for `scripts/stress.sh`.
fn long_history_is_linearizable<S: StateStore>() {
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
        panic!("{}: not linearizable: {violation}", type_name::<S>());
    }
}

/// During a long write storm under readers, the states kept alive
/// (published, pinned by readers or waiting for deferred reclamation)
/// stay under [`GARBAGE_BOUND`](crate::GARBAGE_BOUND) in every store whose
/// garbage is bounded whatever its readers do
/// ([`StateStore::GARBAGE_IS_BOUNDED`]); once the readers have left, every
/// store comes back under it.
fn garbage_stays_bounded<S: StateStore>() {
    let gauge = Arc::new(GarbageGauge::new());
    let store = Arc::new(S::new(gauge.initial_state()));
    let updates = scaled(20_000);
    let (peak, alive_after) = with_watchdog("a write storm", {
        let gauge = Arc::clone(&gauge);
        move || {
            let done = AtomicUsize::new(0);
            let peak = thread::scope(|scope| {
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
                        peak = peak.max(gauge.alive());
                    }
                }
                done.store(1, Ordering::Release);
                peak
            });
            // The readers have left: every scheme must now catch up, within
            // as many updates again (epochs free a few bags per pass).
            let mut alive = gauge.alive();
            for _ in 0..updates {
                if alive <= crate::GARBAGE_BOUND {
                    break;
                }
                store.update(restart_cycle).expect("valid transition");
                alive = gauge.alive();
            }
            (peak, alive)
        }
    });
    assert!(
        !S::GARBAGE_IS_BOUNDED || peak <= crate::GARBAGE_BOUND,
        "{} kept {peak} states alive during a write storm (bound {})",
        type_name::<S>(),
        crate::GARBAGE_BOUND
    );
    assert!(
        alive_after <= crate::GARBAGE_BOUND,
        "{} still kept {alive_after} states alive {updates} updates after its readers left (bound {})",
        type_name::<S>(),
        crate::GARBAGE_BOUND
    );
}

/// A thread that panics inside a read drops its reader while unwinding;
/// the store, its other readers and its drop accounting are unharmed.
fn reader_dropped_by_a_panicking_thread<S: StateStore>() {
    let gauge = GarbageGauge::new();
    let store = S::new(gauge.initial_state());
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
    assert_eq!(gauge.alive(), 0, "states leaked after a reader died mid-read");
}

/// A reader made on one thread works on another.
fn reader_moves_between_threads<S: StateStore>() {
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
