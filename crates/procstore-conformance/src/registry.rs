//! Checks for [`Registry`] implementations.

use std::any::type_name;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crate::workload::{AT, assert_consistent, restart_cycle};
use crate::{history, scaled, with_watchdog};
use procstore_core::{
    InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError, Status,
    StatusCounts, TransitionError,
};

crate::__registry_checks!(__check_table! { Registry });

fn process(id: u64) -> ProcessState {
    ProcessState::new(ProcessId(id), format!("proc-{id}"))
}

fn name_of<R: RegistryReader>(reader: &mut R, id: u64) -> Option<String> {
    reader.get(ProcessId(id), |s| s.name().to_owned()).expect("get")
}

/// Insert, get, update, remove, list, for_each and len behave like a map, and
/// every misuse is a typed error that changes nothing.
fn sequential_semantics<R: Registry>() {
    let registry = R::new();
    let mut reader = registry.reader();
    assert_eq!(reader.len(), Ok(0));
    assert_eq!(reader.is_empty(), Ok(true));
    assert_eq!(reader.status(ProcessId(1)), Ok(None));
    assert_eq!(reader.list(), Ok(vec![]));
    assert_eq!(visited(&mut reader), vec![]);

    registry.insert(process(2)).expect("insert 2");
    registry.insert(process(1)).expect("insert 1");
    let duplicate = ProcessState::new(ProcessId(1), "duplicate");
    assert_eq!(registry.insert(duplicate), Err(InsertError { id: ProcessId(1) }));
    assert_eq!(name_of(&mut reader, 1).as_deref(), Some("proc-1"), "a duplicate insert overwrote");
    assert_eq!(reader.len(), Ok(2));
    assert_eq!(reader.status(ProcessId(2)), Ok(Some(Status::Starting)));

    let published = registry.update(ProcessId(1), restart_cycle).expect("update 1");
    assert_eq!(published.version(), 1);
    assert_eq!(reader.get(ProcessId(1), ProcessState::clone), Ok(Some(published)));

    assert_eq!(
        registry.update(ProcessId(9), restart_cycle),
        Err(RegistryUpdateError::NotFound(ProcessId(9)))
    );
    assert_eq!(
        registry.update(ProcessId(2), |s| s.transition(Status::Stopped)),
        Err(RegistryUpdateError::Rejected(TransitionError { from: Status::Starting, to: Status::Stopped }))
    );
    assert_eq!(
        registry.update(ProcessId(2), |_| Ok::<_, Infallible>(process(3))),
        Err(RegistryUpdateError::IdChanged { expected: ProcessId(2), found: ProcessId(3) })
    );
    assert_eq!(reader.get(ProcessId(2), ProcessState::version), Ok(Some(0)));

    let listed = reader.list().expect("list");
    let ids: Vec<_> = listed.iter().map(|s| (s.id().0, s.version())).collect();
    assert_eq!(ids, vec![(1, 1), (2, 0)], "list is sorted by id and current");
    assert_eq!(visited(&mut reader), listed, "for_each visits what list returns");

    assert_eq!(registry.remove(ProcessId(2)).map(|s| s.id()), Ok(ProcessId(2)));
    assert_eq!(registry.remove(ProcessId(2)), Err(RemoveError { id: ProcessId(2) }));
    assert_eq!(reader.status(ProcessId(2)), Ok(None));
    assert_eq!(reader.len(), Ok(1));
    let left: Vec<_> = visited(&mut reader).iter().map(|s| (s.id().0, s.version())).collect();
    assert_eq!(left, vec![(1, 1)], "for_each after a remove");
    registry.insert(process(2)).expect("re-insert after remove");
    assert_eq!(reader.len(), Ok(2));
}

/// What `for_each` visits, sorted by id like `list`.
fn visited<R: RegistryReader>(reader: &mut R) -> Vec<ProcessState> {
    let mut all = Vec::new();
    reader.for_each(|state| all.push(state.clone())).expect("for_each");
    all.sort_unstable_by_key(ProcessState::id);
    all
}

/// `by_pid` finds the process running as a pid, and `counts` counts each
/// status, as a pass over `list` would: through updates, a rejected
/// update, a remove and an id added back.
fn pid_lookups_and_counts_follow_the_states<R: Registry>() {
    let registry = R::new();
    let mut reader = registry.reader();
    assert_eq!(reader.counts(), Ok(StatusCounts::default()));
    assert_eq!(reader.by_pid(100), Ok(None));
    for id in 0..4 {
        registry.insert(process(id)).expect("insert");
    }
    for id in 0..3 {
        registry.update(ProcessId(id), |s| s.running(100 + id as u32, AT)).expect("run");
    }
    registry.update(ProcessId(2), |s| s.exited(Some(1), AT)).expect("exit");
    let (running, crashed) = (Status::Running, Status::Crashed);
    registry.update(ProcessId(0), |s| s.transition(Status::Starting)).expect_err("Running to Starting");
    assert_matches_list(&mut reader);
    let counts = reader.counts().expect("counts");
    let seen = (counts.get(running), counts.get(crashed), counts.get(Status::Starting), counts.total());
    assert_eq!(seen, (2, 1, 1, 4));
    assert_eq!(reader.by_pid(102), Ok(None), "a pid its process no longer runs as");
    assert_eq!(reader.by_pid(7), Ok(None));

    registry.remove(ProcessId(1)).expect("remove");
    assert_eq!(reader.by_pid(101), Ok(None), "the pid of a removed process");
    registry.insert(process(1)).expect("insert again");
    assert_matches_list(&mut reader);
    assert_eq!(reader.counts().map(|c| (c.get(Status::Starting), c.total())), Ok((2, 4)));
}

/// `counts` is what `list` counts, and `by_pid` finds each listed pid.
fn assert_matches_list<R: RegistryReader>(reader: &mut R) {
    let listed = reader.list().expect("list");
    assert_eq!(reader.counts(), Ok(StatusCounts::of(&listed)), "counts against {listed:?}");
    for state in listed.iter().filter(|s| s.pid().is_some()) {
        let pid = state.pid().expect("filtered");
        assert_eq!(reader.by_pid(pid), Ok(Some(state.clone())), "by pid {pid}");
    }
}

/// While two writers each restart every process, `counts` counts every
/// process once, `by_pid` returns only the process running as that pid,
/// at the version that pid was given, and neither answers behind a state
/// the same thread has read; once the writers stop, both agree with
/// `list` and `by_pid` finds every pid.
fn counts_and_pid_lookups_stay_whole_under_updates<R: Registry>() {
    const KEYS: u64 = 2;
    const WRITERS_PER_KEY: usize = 2;
    let laps = scaled(500);
    // Each publish of `Running` gets a pid of its own: the key and the version.
    let pid_of = |key: u64, version: u64| (key * 1_000_000 + version) as u32;
    let step = move |key: u64| {
        move |s: &ProcessState| match s.status() {
            Status::Starting => s.running(pid_of(key, s.version() + 1), AT),
            Status::Running => s.exited(Some(1), AT),
            _ => s.transition(Status::Starting),
        }
    };
    let registry = Arc::new(R::new());
    for key in 0..KEYS {
        registry.insert(process(key)).expect("insert");
    }
    with_watchdog("counts and pid lookups racing writers", move || {
        let done = AtomicBool::new(false);
        thread::scope(|scope| {
            let (registry, done) = (&registry, &done);
            let mut reader = registry.reader();
            scope.spawn(move || {
                let mut asked = 0u64;
                while !done.load(Ordering::Relaxed) {
                    assert_eq!(reader.counts().map(|c| c.total()), Ok(KEYS as usize), "a process miscounted");
                    let (key, version) = (asked % KEYS, 1 + 3 * (asked / KEYS % laps as u64));
                    if let Some(found) = reader.by_pid(pid_of(key, version)).expect("by_pid") {
                        let seen = (found.id(), found.version(), found.pid());
                        assert_eq!(seen, (ProcessId(key), version, Some(pid_of(key, version))));
                    }
                    asked += 1;
                    thread::yield_now();
                }
            });
            // A thread that has read a state gets no older answer afterwards:
            // where the process has not moved on by a second read, counts and
            // by_pid in between must show the state the first read saw.
            let mut follower = registry.reader();
            scope.spawn(move || {
                for key in (0..KEYS).cycle() {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let seen =
                        follower.get(ProcessId(key), ProcessState::clone).expect("get").expect("registered");
                    let counted = follower.counts().expect("counts").get(seen.status());
                    let found = seen.pid().map(|pid| follower.by_pid(pid).expect("by_pid"));
                    let now = follower.get(ProcessId(key), ProcessState::version).expect("get");
                    if now == Some(seen.version()) {
                        assert!(counted >= 1, "counts behind a read of {seen:?}");
                        assert!(
                            found.is_none_or(|found| found.as_ref() == Some(&seen)),
                            "by_pid behind {seen:?}"
                        );
                    }
                    thread::yield_now();
                }
            });
            let writers: Vec<_> = (0..KEYS)
                .flat_map(|key| std::iter::repeat_n(key, WRITERS_PER_KEY))
                .map(|key| {
                    scope.spawn(move || {
                        for _ in 0..laps * 3 {
                            registry.update(ProcessId(key), step(key)).expect("update");
                        }
                    })
                })
                .collect();
            // Stop the reader before a writer's panic is passed on, so that it surfaces.
            let ended: Vec<_> = writers.into_iter().map(|writer| writer.join()).collect();
            done.store(true, Ordering::Relaxed);
            ended
                .into_iter()
                .for_each(|ended| ended.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        });
        let mut reader = registry.reader();
        assert_matches_list(&mut reader);
        for key in 0..KEYS {
            registry.update(ProcessId(key), |s| s.running(pid_of(key, s.version() + 1), AT)).expect("run");
        }
        assert_matches_list(&mut reader);
    });
}

/// Of threads racing to insert one id, exactly one wins and its state is
/// the one stored.
fn insert_race_has_one_winner<R: Registry>() {
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
                                Err(e) => assert_eq!(e, InsertError { id: ProcessId(round) }),
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
fn concurrent_updates_lose_nothing<R: Registry>() {
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
                        let state = registry.update(ProcessId(writer % KEYS), restart_cycle).expect("update");
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
fn readers_never_go_backwards<R: Registry>() {
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
fn every_state_is_dropped<R: Registry>() {
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
    assert_eq!(registry.insert(counted(0)), Err(InsertError { id: ProcessId(0) }));
    drop(held);
    with_watchdog("dropping the registry", move || drop((reader, registry)));
    assert_eq!(Arc::strong_count(&name), 1, "states leaked after the registry was dropped");
}

/// A panic inside an update closure leaves the registry unpoisoned and
/// the entry unchanged, and counts and by-pid still follow it.
fn panic_in_update_leaves_registry_usable<R: Registry>() {
    let registry = R::new();
    registry.insert(process(1)).expect("insert");
    // Running, so that a search by its pid reads through whatever the panic left.
    registry.update(ProcessId(1), restart_cycle).expect("run");
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        registry.update(ProcessId(1), |_| -> Result<ProcessState, Infallible> {
            panic!("deliberate panic in an update closure (this test expects it)")
        })
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    with_watchdog("registry calls after a panicking update", move || {
        let mut reader = registry.reader();
        assert_eq!(reader.get(ProcessId(1), ProcessState::version), Ok(Some(1)));
        assert_matches_list(&mut reader);
        assert_eq!(registry.update(ProcessId(1), restart_cycle).map(|s| s.version()), Ok(2));
        assert_matches_list(&mut reader);
        registry.insert(process(2)).expect("insert after the panic");
        assert_eq!(reader.len(), Ok(2));
    });
}

/// The history of one key, updated and read concurrently while other
/// keys churn, is linearizable (see [`history`](crate::history)).
fn history_is_linearizable<R: Registry>() {
    check_history::<R>(scaled(2000));
}

/// [`history_is_linearizable`] at a size for `scripts/stress.sh`.
fn long_history_is_linearizable<R: Registry>() {
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
        panic!("{}: not linearizable: {violation}", type_name::<R>());
    }
}

/// Copies taken out of the registry pin nothing: with a `get` result and
/// a `list` held, the same thread can update, remove and re-insert the
/// same key (the DashMap `Ref`-held-across-insert deadlock cannot occur).
fn held_results_do_not_block_writers<R: Registry>() {
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
