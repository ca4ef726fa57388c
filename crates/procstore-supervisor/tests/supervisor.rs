//! The supervisor with real, short-lived child processes, for every store
//! and registry pair: every exit observed, every restart recorded, no
//! process left behind.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use procstore_core::{ProcessId, ProcessState, Registry, Status};
use procstore_supervisor::{
    ChildOutput, ChildSpec, Config, ControlError, Event, EventKind, Policy, Restart, Spawn, Supervisor,
    TableError,
};

/// The registry of the tests that run on one registry only.
type Default = procstore_atomic::PapayaHandles<procstore_atomic::ArcSwapCacheStore>;

const MS: Duration = Duration::from_millis(1);
/// Generous: the aarch64 run spawns under qemu on a busy 2-core machine.
const PATIENCE: Duration = Duration::from_secs(30);

fn config(children: usize, program: &str, args: &[&str], policy: Policy) -> Config {
    let children = (0..children).map(|i| ChildSpec::new(format!("child-{i}"), program, args)).collect();
    Config {
        policy,
        stop_grace: Duration::from_secs(5),
        output: ChildOutput::Discard,
        ..Config::new(children)
    }
}

fn storm_policy(give_up_after: u32) -> Policy {
    Policy {
        restart: Restart::Always,
        initial_backoff: 5 * MS,
        max_backoff: 20 * MS,
        stable_after: Duration::from_secs(60),
        give_up_after: Some(give_up_after),
    }
}

/// Waits until every child's state satisfies `done`, or panics after PATIENCE.
fn wait_for<R: Registry>(
    supervisor: &Supervisor<R>,
    what: &str,
    done: impl Fn(&ProcessState) -> bool,
) -> Vec<ProcessState> {
    let mut reader = supervisor.reader();
    let start = Instant::now();
    loop {
        let states = reader.list().expect("the registry answers");
        if states.iter().all(&done) {
            return states;
        }
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}: {states:#?}");
        thread::sleep(5 * MS);
    }
}

/// Every event so far, by child.
fn events_by_child(events: &Receiver<Event>) -> HashMap<ProcessId, Vec<EventKind>> {
    let mut by_child: HashMap<ProcessId, Vec<EventKind>> = HashMap::new();
    for event in events.try_iter() {
        by_child.entry(event.child).or_default().push(event.kind);
    }
    by_child
}

fn spawned_pids(events: &[EventKind]) -> Vec<u32> {
    events.iter().filter_map(|e| if let EventKind::Spawned { pid } = e { Some(*pid) } else { None }).collect()
}

/// The process is neither running nor a zombie of ours: /proc has no entry
/// for it, or the entry belongs to someone else's recycled pid.
fn assert_gone(pid: u32) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return };
    // Fields after the parenthesised command: state, ppid, ...
    let after_comm = &stat[stat.rfind(')').expect("stat has a command") + 2..];
    let mut fields = after_comm.split(' ');
    let (state, ppid) = (fields.next().unwrap_or("?"), fields.next().unwrap_or("0"));
    assert_ne!(ppid, std::process::id().to_string(), "pid {pid} is still our child (state {state}): {stat}");
}

/// A child that fails at once is restarted with backoff until the policy
/// gives up, and each step is both published and reported.
fn failing_children_back_off_then_give_up<R: Registry>() {
    let (supervisor, events) =
        Supervisor::<R>::start(config(3, "sh", &["-c", "exit 3"], storm_policy(4))).unwrap();
    let states = wait_for(&supervisor, "every child to give up", |s| s.status() == Status::Fatal);
    supervisor.shutdown();
    for state in &states {
        // Four runs: Running, Crashed, then Backoff and Starting between runs, and Fatal at the end.
        assert_eq!((state.restarts(), state.version(), state.exit_code()), (3, 15, Some(3)), "{state:?}");
    }
    let by_child = events_by_child(&events);
    assert_eq!(by_child.len(), 3);
    for events in by_child.values() {
        let exits = events
            .iter()
            .filter(|e| matches!(e, EventKind::Exited { status, .. } if status.code() == Some(3)));
        let restarts = events.iter().filter(|e| matches!(e, EventKind::Restarting { .. })).count();
        assert_eq!((spawned_pids(events).len(), exits.count(), restarts), (4, 4, 3), "{events:#?}");
        assert_eq!(events.last(), Some(&EventKind::GaveUp { quick_exits: 4 }));
        spawned_pids(events).into_iter().for_each(assert_gone);
    }
}

/// A missing program is a spawn failure with the OS's words, backed off and
/// given up on like any crash; nothing panics.
fn missing_program_is_reported_and_given_up<R: Registry>() {
    let program = "procstore-test-no-such-program";
    let (supervisor, events) = Supervisor::<R>::start(config(1, program, &[], storm_policy(3))).unwrap();
    let states = wait_for(&supervisor, "the child to give up", |s| s.status() == Status::Fatal);
    drop(supervisor);
    assert_eq!((states[0].restarts(), states[0].pid()), (2, None));
    let events = &events_by_child(&events)[&ProcessId(0)];
    let failures: Vec<_> = events
        .iter()
        .filter_map(|e| if let EventKind::SpawnFailed { error } = e { Some(error) } else { None })
        .collect();
    assert_eq!(failures.len(), 3, "{events:#?}");
    assert!(failures[0].contains(program) && failures[0].contains("No such file"), "{}", failures[0]);
}

/// Children that exit cleanly are restarted at once under `always` while
/// readers query: every exit becomes exactly one restart, and no reader
/// sees a version go backwards, by name or in the list.
fn churn_keeps_every_restart_and_readers_consistent<R: Registry>() {
    // `true` runs for about a millisecond, always longer than this: every
    // run is stable, so every exit restarts at once.
    let policy = Policy { stable_after: Duration::from_nanos(1), give_up_after: None, ..storm_policy(1) };
    let (supervisor, events) = Supervisor::<R>::start(config(2, "true", &[], policy)).unwrap();
    let table = supervisor.table().clone();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut reader = procstore_supervisor::TableReader::new(&table);
            thread::spawn(move || {
                let mut last = [0u64; 2];
                let start = Instant::now();
                while last.iter().any(|&v| v < 30) {
                    assert!(start.elapsed() < PATIENCE, "churn stalled at versions {last:?}");
                    for (index, last) in last.iter_mut().enumerate() {
                        let listed = reader.list().unwrap()[index].version();
                        let by_name = reader
                            .by_name(&format!("child-{index}"), ProcessState::version)
                            .unwrap()
                            .unwrap();
                        assert!(listed >= *last, "the list went back from {last} to {listed}");
                        assert!(by_name >= listed, "by name went back from {listed} to {by_name}");
                        *last = by_name;
                    }
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().expect("reader invariants hold");
    }
    supervisor.shutdown();
    let mut reader = procstore_supervisor::TableReader::new(&table);
    let final_states = reader.list().unwrap();
    let by_child = events_by_child(&events);
    for state in final_states {
        // At rest, every read path agrees.
        assert_eq!(reader.read(state.id(), ProcessState::clone).unwrap(), Some(state.clone()));
        let events = &by_child[&state.id()];
        let spawned = spawned_pids(events);
        let exits =
            events.iter().filter(|e| matches!(e, EventKind::Exited { .. } | EventKind::Stopped { .. }));
        // Every run ended and was seen; every run after the first was a restart.
        assert_eq!(exits.count(), spawned.len(), "{events:#?}");
        assert_eq!(state.restarts() as usize + 1, spawned.len(), "{state:?}");
        assert!(!state.status().is_alive(), "{state:?}");
        spawned.into_iter().for_each(assert_gone);
    }
}

/// Shutdown stops long-running children with SIGTERM and reaps them all.
fn shutdown_stops_and_reaps_running_children<R: Registry>() {
    shutdown_stops_and_reaps::<R>(Spawn::default());
}

fn shutdown_stops_and_reaps<R: Registry>(spawn: Spawn) {
    let config = Config { spawn, ..config(3, "sleep", &["30"], Policy::default()) };
    let (supervisor, events) = Supervisor::<R>::start(config).unwrap();
    wait_for(&supervisor, "every child to run", |s| s.status() == Status::Running);
    let table = supervisor.table().clone();
    let started = Instant::now();
    supervisor.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "sleep exits on SIGTERM, well within the grace period"
    );
    let states = procstore_supervisor::TableReader::new(&table).list().unwrap();
    assert!(states.iter().all(|s| s.status() == Status::Stopped && s.pid().is_none()), "{states:#?}");
    for events in events_by_child(&events).values() {
        assert!(matches!(events.last(), Some(EventKind::Stopped { killed: false, .. })), "{events:#?}");
        spawned_pids(events).into_iter().for_each(assert_gone);
    }
}

/// Children added and removed while the supervisor runs: an added child
/// starts and is found by name; a removed one is stopped, reaped and gone
/// from every read path; its name can be used again.
fn children_come_and_go_while_supervised<R: Registry>() {
    let (supervisor, events) =
        Supervisor::<R>::start(config(1, "sleep", &["30"], Policy::default())).unwrap();
    let worker = supervisor.add(ChildSpec::new("worker", "sleep", ["30"])).unwrap();
    assert_eq!(worker, ProcessId(1));
    let twin = supervisor.add(ChildSpec::new("worker", "true", [] as [&str; 0]));
    assert_eq!(twin, Err(ControlError::Table(TableError::DuplicateName("worker".to_owned()))));
    wait_for(&supervisor, "both children to run", |s| s.status() == Status::Running);
    let mut reader = supervisor.reader();
    let pid = reader.by_name("worker", ProcessState::pid).unwrap().flatten().expect("running");
    // Two removals at once: one stops the child, the other gets the same
    // answer or (if it came after) finds no such child; none is dropped.
    let (mine, theirs) = thread::scope(|scope| {
        let theirs = scope.spawn(|| supervisor.remove("worker"));
        (supervisor.remove("worker"), theirs.join().expect("no panic"))
    });
    let unknown = Err(ControlError::Table(TableError::UnknownName("worker".to_owned())));
    assert!(mine == theirs || mine == unknown || theirs == unknown, "{mine:?} {theirs:?}");
    let last = mine.or(theirs).unwrap();
    assert_eq!((last.id(), last.status()), (worker, Status::Stopped));
    assert_eq!(reader.by_name("worker", ProcessState::id).unwrap(), None);
    assert_eq!(reader.by_pid(pid).unwrap(), None);
    assert_eq!(reader.list().unwrap().len(), 1);
    assert_gone(pid);
    assert_eq!(supervisor.remove("worker"), unknown);
    assert_eq!(supervisor.add(ChildSpec::new("worker", "sleep", ["30"])), Ok(ProcessId(2)));
    supervisor.shutdown();
    let removed = &events_by_child(&events)[&worker];
    assert_eq!(removed.last(), Some(&EventKind::Removed), "{removed:#?}");
}

macro_rules! supervisor_tests {
    ($($module:ident: $id:literal, $label:literal, $family:ident, $registry_ty:ty;)+) => {$(
        mod $module {
            type R = $registry_ty;

            #[test]
            fn failing_children_back_off_then_give_up() {
                super::failing_children_back_off_then_give_up::<R>();
            }
            #[test]
            fn missing_program_is_reported_and_given_up() {
                super::missing_program_is_reported_and_given_up::<R>();
            }
            #[test]
            fn churn_keeps_every_restart_and_readers_consistent() {
                super::churn_keeps_every_restart_and_readers_consistent::<R>();
            }
            #[test]
            fn shutdown_stops_and_reaps_running_children() {
                super::shutdown_stops_and_reaps_running_children::<R>();
            }
            #[test]
            fn children_come_and_go_while_supervised() {
                super::children_come_and_go_while_supervised::<R>();
            }
        }
    )+};
}

procstore_catalog::with_registries!(supervisor_tests);

#[test]
fn posix_spawned_children_run_and_are_stopped_and_reaped() {
    shutdown_stops_and_reaps::<Default>(Spawn::PosixSpawn);
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_the_grace_period() {
    // The shell says when its trap is set: a SIGTERM before that would simply end it.
    let ready = std::env::temp_dir().join(format!("procstore-trap-{}", std::process::id()));
    let script = format!("trap '' TERM; : > '{}'; while :; do sleep 1; done", ready.display());
    let mut config = config(1, "sh", &["-c", &script], Policy::default());
    config.stop_grace = 200 * MS;
    let (supervisor, events) = Supervisor::<Default>::start(config).unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < PATIENCE, "the shell never set its trap");
        thread::sleep(5 * MS);
    }
    supervisor.shutdown();
    let _ = std::fs::remove_file(&ready);
    let events = &events_by_child(&events)[&ProcessId(0)];
    assert!(matches!(events.last(), Some(EventKind::Stopped { killed: true, .. })), "{events:#?}");
    spawned_pids(events).into_iter().for_each(assert_gone);
}

/// Orphan reaping under containment makes the whole process a subreaper,
/// while the other tests' supervisors run in parallel threads: it reaps
/// the orphans and none of another supervisor's children, whose exits that
/// supervisor still sees (a stolen one would be reported as vanished).
#[test]
fn a_containing_supervisor_reaps_orphans_but_no_other_supervisors_children() {
    let orphan_makers =
        Config { containment: true, ..config(2, "sh", &["-c", "sleep 30 & exit 0"], storm_policy(u32::MAX)) };
    if let Err(why) = procstore_supervisor::become_subreaper() {
        // qemu-user 7, for one: the start must say so, not run uncontained.
        let error = Supervisor::<Default>::start(orphan_makers).unwrap_err();
        assert_eq!(error.to_string(), "cannot become a child subreaper");
        eprintln!("no child subreaper here ({why}): only the refusal to start was checked");
        return;
    }
    let (containing, _) = Supervisor::<Default>::start(orphan_makers).unwrap();
    let (neighbour, events) =
        Supervisor::<Default>::start(config(3, "true", &[], storm_policy(u32::MAX))).unwrap();
    // Long enough for many exits on both sides.
    thread::sleep(Duration::from_secs(1));
    neighbour.shutdown();
    containing.shutdown();
    let events: Vec<EventKind> = events_by_child(&events).into_values().flatten().collect();
    let exits = events.iter().filter(|e| matches!(e, EventKind::Exited { .. })).count();
    assert!(exits > 3, "{events:#?}");
    let problems: Vec<_> = events.iter().filter(|e| matches!(e, EventKind::Problem(_))).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    spawned_pids(&events).into_iter().for_each(assert_gone);
}

#[test]
fn unusable_configs_are_clear_errors() {
    type Sup = Supervisor<Default>;
    let error = |config| Sup::start(config).unwrap_err().to_string();
    assert_eq!(error(config(0, "true", &[], Policy::default())), "a supervisor needs at least one child");
    let mut twins = config(2, "true", &[], Policy::default());
    twins.children[1].name = "child-0".to_owned();
    assert_eq!(error(twins), "two children are named `child-0`");
    let spinning = Policy { initial_backoff: Duration::ZERO, ..Policy::default() };
    assert!(
        error(config(1, "true", &[], spinning)).starts_with("invalid restart policy: the initial backoff")
    );
    let never_quick = Policy { stable_after: Duration::ZERO, ..Policy::default() };
    assert!(error(config(1, "true", &[], never_quick)).contains("stable-after must be above zero"));
}

#[test]
fn events_read_as_sentences() {
    let (supervisor, events) =
        Supervisor::<Default>::start(config(1, "sh", &["-c", "exit 7"], storm_policy(1))).unwrap();
    wait_for(&supervisor, "the child to give up", |s| s.status() == Status::Fatal);
    drop(supervisor);
    let lines: Vec<String> = events.try_iter().map(|e| e.to_string()).collect();
    assert!(lines[0].starts_with("child-0: started as pid "), "{lines:?}");
    assert!(lines[1].contains("exited with code 7 after"), "{lines:?}");
    assert_eq!(lines[2], "child-0: gave up after 1 quick exits in a row; stays down (fatal)");
}
