//! The supervisor workload: does the micro-benchmark ranking survive a
//! process manager's real mix, and what happens to tail latency?
//!
//! A `procstore-supervisor` table (one registry of the children's states)
//! takes lifecycle events from real child processes or from a generator,
//! while reader threads query it (as many as the contention groups use, and
//! one per core), paced like status pollers or in a closed loop. Each query
//! is timed on its own into an HDR histogram (so each includes one clock
//! read; the `timer only` floor row, whose readers only read the clock
//! beside the same supervisor, measures that and what readers that never
//! block leave the writer), and each reader notes when it is the first to
//! see a new version of a child, which gives the event's lag: from the
//! event until a reader saw it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use procstore_catalog::{
    Entry, REGISTRIES, RegistryPicker, facade_default, floors, registry_named, with_registry,
};
use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, Registry};
use procstore_report::{Percentiles, Query, QueryLatency, ReaderLoad, Setting, WorkloadMode, WorkloadRecord};
use procstore_supervisor::control::{ControlClient, ControlServer, Limits, Request};
use procstore_supervisor::{
    ChildOutput, ChildSpec, Config, Policy, PublishHook, Restart, Spawn, Supervisor, Table, TableReader,
};

use crate::pool::spawn;
use crate::profile::Profile;
use crate::tails::{histogram, percentiles, record};
use crate::workload::{Pacer, Rng, paced};

/// The query mix, one entry per operation in a cycle of 20: 80% status by
/// name, 10% lookup by pid, 5% list, 5% counts.
const MIX: [Query; 20] = {
    let mut mix = [Query::ByName; 20];
    mix[5] = Query::ByPid;
    mix[15] = Query::ByPid;
    mix[10] = Query::List;
    mix[19] = Query::Counts;
    mix
};
const QUERIES: [Query; 4] = [Query::ByName, Query::ByPid, Query::List, Query::Counts];

/// Queries/s each reader of the remote setting is offered: a fleet of
/// status pollers on the control socket, each far below what one
/// connection's round trip allows, so every row is offered the same work.
const REMOTE_QUERY_RATE: u64 = 1_000;

/// The workload's shape, from the profile.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Supervised children.
    pub children: usize,
    /// Reader counts to run at: the contention groups' count (the Go
    /// record's 10) and one per core, so an oversubscribed machine shows
    /// both what oversubscription does and what it does not.
    pub readers: Vec<usize>,
    /// How the readers query: paced like status pollers, every row offered
    /// the same load, and in a closed loop, as much as each row allows.
    pub loads: Vec<ReaderLoad>,
    /// Untimed time before each measurement.
    pub warm_up: Duration,
    /// Measured time per round.
    pub measure: Duration,
    /// Rounds per strategy, interleaved across strategies so that a noisy
    /// moment of a shared machine is spread over all rows. The full
    /// profile's five let the report judge each row on its median round:
    /// a slow stretch of a shared machine lasts seconds and doubles every
    /// query's tail, and one such round would decide a merged p99.9.
    pub rounds: usize,
    /// Rounds of the default's head-to-head with each paced setting's best
    /// rows, run after that setting's main pass. Two to four rows, so a
    /// row's rounds are seconds apart, not the main pass's quarter minute;
    /// the full profile's nine cost about half a minute per setting, and
    /// four slow rounds of nine cannot make the median a slow one.
    pub head_to_head_rounds: usize,
    /// How long a real child lives before it exits and is restarted.
    pub child_lifetime: Duration,
    /// The simulated generator's events per second.
    pub simulated_rate: f64,
}

impl Settings {
    /// The settings for `profile`.
    pub fn for_profile(profile: &Profile) -> Settings {
        let quick = profile.name == "quick";
        Settings {
            children: 16,
            readers: reader_counts(
                profile.threads,
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
            loads: vec![ReaderLoad::Paced { queries_per_sec: profile.query_rate }, ReaderLoad::ClosedLoop],
            warm_up: Duration::from_millis(if quick { 100 } else { 300 }),
            measure: Duration::from_millis(if quick { 300 } else { 600 }),
            rounds: if quick { 1 } else { 5 },
            head_to_head_rounds: if quick { 1 } else { 9 },
            child_lifetime: Duration::from_millis(50),
            simulated_rate: profile.paced_rate,
        }
    }
}

/// `threads`, and one reader per core if that differs.
fn reader_counts(threads: usize, cores: usize) -> Vec<usize> {
    if threads == cores { vec![threads] } else { vec![threads, cores] }
}

/// Every row of the workload: each registry of the catalogue, then the
/// timer floor.
pub fn every_row() -> Vec<&'static Entry> {
    REGISTRIES.iter().chain([&floors::TIMER]).collect()
}

/// Over the socket: `readers` status pollers, each paced at 1,000
/// queries/s (one load only, since a round trip costs microseconds
/// whatever the registry).
pub fn remote_setting(readers: u32) -> Setting {
    Setting {
        mode: WorkloadMode::Remote,
        readers,
        load: ReaderLoad::Paced { queries_per_sec: REMOTE_QUERY_RATE },
    }
}

/// What the workload measured.
#[derive(Debug, Default)]
pub struct Workload {
    /// Every row, in every setting.
    pub records: Vec<WorkloadRecord>,
    /// In each paced setting, the facade's default and the rows its main
    /// pass found best, on fresh rounds (see [`head_to_head`]).
    pub head_to_head: Vec<WorkloadRecord>,
}

/// Runs the workload for every registry in every mode, load and reader
/// count, plus the timer floor, and after each paced setting the default's
/// head-to-head.
pub fn run_all(settings: &Settings) -> Workload {
    let rows = every_row();
    let mut workload = Workload::default();
    let mut run = |setting: Setting| {
        let records = run_setting(settings, setting, &rows);
        if matches!(setting.load, ReaderLoad::Paced { .. }) {
            workload.head_to_head.extend(head_to_head(settings, setting, &records));
        }
        workload.records.extend(records);
    };
    for mode in [WorkloadMode::Processes, WorkloadMode::Simulated, WorkloadMode::Churn] {
        for &load in &settings.loads {
            for &readers in &settings.readers {
                run(Setting { mode, readers: readers as u32, load });
            }
        }
    }
    // Over the socket: the Go record's reader count.
    run(remote_setting(settings.readers[0] as u32));
    workload
}

/// The facade's default again in `setting`, against the rows its main pass
/// (`records`) found best on each of the bar's criteria, over
/// `head_to_head_rounds` rounds interleaved among those rows alone: the
/// best of many noisy rows is biased low, and fresh rounds are not.
pub fn head_to_head(
    settings: &Settings,
    setting: Setting,
    records: &[WorkloadRecord],
) -> Vec<WorkloadRecord> {
    let best = procstore_report::head_to_head_rows(records);
    let rows: Vec<&'static Entry> = std::iter::once(facade_default())
        .chain(best.iter().map(|id| registry_named(id).expect("chosen from the listed rows")))
        .collect();
    let names: Vec<&str> = rows[1..].iter().map(|row| row.label).collect();
    eprintln!(
        "procstore-benches: workload {}, head to head: the default against {}",
        setting.label(),
        names.join(", ")
    );
    let settings = Settings { rounds: settings.head_to_head_rounds, ..settings.clone() };
    run_setting(&settings, setting, &rows)
}

/// `rows` (registries of the catalogue, or [`floors::TIMER`]) in one
/// setting, over the rounds, each round visiting every row once, in an
/// order of its own (a shuffle seeded by the round number), so that
/// neither a row's place in the round nor the row before it stays the
/// same from round to round.
///
/// # Panics
///
/// Before measuring anything, if a row is neither a listed registry nor
/// the timer floor.
pub fn run_setting(settings: &Settings, setting: Setting, rows: &[&'static Entry]) -> Vec<WorkloadRecord> {
    let plan: Vec<(&str, Readers)> = rows
        .iter()
        .map(|row| match row.id {
            // The floor's readers only read the clock, beside a supervisor on the default registry.
            id if id == floors::TIMER.id => (facade_default().id, Readers::ClockOnly),
            id if REGISTRIES.iter().any(|entry| entry.id == id) => (id, Readers::Query),
            id => panic!("{id} is neither a listed registry nor the timer floor"),
        })
        .collect();
    let mut measured: Vec<Option<Measured>> = vec![None; rows.len()];
    for round in 0..settings.rounds {
        for at in turns(rows.len(), round) {
            let (row, (registry, what), total) = (rows[at], plan[at], &mut measured[at]);
            let mut this =
                with_registry(registry, Measure { settings, setting, what }).expect("checked above");
            let latency = this.latency();
            this.rounds = vec![percentiles(&latency)];
            eprintln!(
                "procstore-benches: workload {}, round {}/{}: {} p50 {} ns, p99.9 {} ns, {:.2}M queries/s, \
                 {:.0} events/s",
                setting.label(),
                round + 1,
                settings.rounds,
                row.label,
                latency.value_at_quantile(0.5),
                latency.value_at_quantile(0.999),
                this.queries as f64 / this.seconds / 1e6,
                this.events as f64 / this.seconds,
            );
            match total {
                Some(total) => total.merge(&this),
                None => *total = Some(this),
            }
        }
    }
    rows.iter()
        .zip(measured)
        .filter_map(|(row, measured)| Some(measured?.into_record(row, setting, settings)))
        .collect()
}

/// The order in which round `round` visits `rows` rows: every row once,
/// shuffled (Fisher-Yates) by a sequence seeded with the round, the same
/// in every run.
fn turns(rows: usize, round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows).collect();
    let mut rng = Rng::new(round as u64);
    for last in (1..rows).rev() {
        order.swap(last, rng.below(last as u64 + 1) as usize);
    }
    order
}

/// One row's measurement: a supervisor on the registry visited, its readers
/// doing `what`.
struct Measure<'s> {
    settings: &'s Settings,
    setting: Setting,
    what: Readers,
}

impl RegistryPicker for Measure<'_> {
    type Output = Measured;

    fn visit<R: Registry>(self, _: &'static Entry) -> Measured {
        measure::<R>(self.settings, self.setting, self.what)
    }
}

/// What the reader threads do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Readers {
    /// Query the table: the rows.
    Query,
    /// Time nothing between two clock reads: the floor.
    ClockOnly,
}

/// One row: a supervisor on registry `R` in `setting`, its readers doing `what`.
fn measure<R: Registry>(settings: &Settings, setting: Setting, what: Readers) -> Measured {
    match setting.mode {
        WorkloadMode::Processes | WorkloadMode::Remote => with_processes::<R>(settings, setting, what),
        WorkloadMode::Simulated => with_generator::<R>(settings, setting, what, None),
        WorkloadMode::Churn => with_generator::<R>(settings, setting, what, Some(CHURN_EVERY)),
    }
}

/// In the churn setting, one step in this many replaces a child (removes it
/// and adds one of the same name) instead of publishing a transition.
const CHURN_EVERY: usize = 10;

/// Real children, each `sleep`ing for the child lifetime, restarted at once
/// whenever they exit.
fn with_processes<R: Registry>(settings: &Settings, setting: Setting, what: Readers) -> Measured {
    let lifetime = format!("{}", settings.child_lifetime.as_secs_f64());
    let clock = Arc::new(EventClock::new(settings.children));
    let config = Config {
        children: (0..settings.children)
            .map(|i| ChildSpec::new(format!("child-{i}"), "sleep", [&lifetime]))
            .collect(),
        policy: Policy {
            restart: Restart::Always,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            // Every run of the lifetime is stable, so restarts are immediate.
            stable_after: settings.child_lifetime / 2,
            give_up_after: None,
        },
        stop_grace: Duration::from_secs(5),
        output: ChildOutput::Discard,
        // fork would stall every reader that allocates while it copies the
        // process (about 1 ms at every row's p99.9): noise from the spawn,
        // not the registry this workload compares.
        spawn: Spawn::PosixSpawn,
        publish_hook: Some(Arc::clone(&clock) as Arc<dyn PublishHook>),
        containment: false,
    };
    let (supervisor, events) = Supervisor::<R>::start(config).expect("the workload's supervisor starts");
    drop(events);
    let server = (setting.mode == WorkloadMode::Remote).then(|| {
        ControlServer::bind(&socket_path(), supervisor.control(), || {}, Limits::default())
            .expect("the workload's control socket opens")
    });
    let socket = server.as_ref().map(ControlServer::path);
    let measured = measure_readers(supervisor.table(), &clock, settings, setting, what, socket);
    drop(server);
    supervisor.shutdown();
    measured
}

/// A socket path no other run uses.
fn socket_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("procstore-bench-{}-{n}.sock", std::process::id()))
}

/// A generator thread walks every child round the restart cycle at the
/// simulated rate: a supervisor under more churn than an OS could spawn.
/// With `replace_every: Some(n)`, every n-th step instead removes a child and
/// adds it back under a new id, so the registry's map is written too.
fn with_generator<R: Registry>(
    settings: &Settings,
    setting: Setting,
    what: Readers,
    replace_every: Option<usize>,
) -> Measured {
    let names: Vec<Arc<str>> = (0..settings.children).map(|i| Arc::from(format!("child-{i}"))).collect();
    let clock = Arc::new(EventClock::new(settings.children));
    let table = Table::<R>::with_children(names.iter().cloned()).expect("distinct names");
    let table = Arc::new(table.with_publish_hook(Arc::clone(&clock) as Arc<dyn PublishHook>));
    let stop = Arc::new(AtomicBool::new(false));
    let generator = {
        let (table, stop, rate) = (Arc::clone(&table), Arc::clone(&stop), settings.simulated_rate);
        thread::spawn(move || {
            let mut ids: Vec<ProcessId> = (0..names.len() as u64).map(ProcessId).collect();
            let (mut step, mut replaced) = (0usize, 0usize);
            paced(Some(rate), &stop, || {
                let child = step % ids.len();
                if replace_every.is_some_and(|n| step % n == n - 1) {
                    // Its own counter, so every child is replaced in turn
                    // (`step` at these points would visit only some of them).
                    let child = replaced % ids.len();
                    replaced += 1;
                    table.remove(ids[child]).expect("the generator's children are registered");
                    ids[child] = table.add(Arc::clone(&names[child])).expect("the name was just freed");
                } else {
                    table
                        .publish(ids[child], Instant::now(), restart_cycle)
                        .expect("restart cycle steps are valid");
                }
                step += 1;
            })
        })
    };
    let measured = measure_readers(&table, &clock, settings, setting, what, None);
    stop.store(true, Ordering::Release);
    generator.join().expect("the generator does not panic");
    measured
}

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const DONE: u8 = 2;

/// How long a paced reader sleeps when ahead of its rate: its queries come
/// in bursts of a millisecond's worth.
const READER_NAP: Duration = Duration::from_millis(1);

/// Runs the readers through a warm-up and one measured window; with a
/// `socket`, the querying readers ask over it.
fn measure_readers<R: Registry>(
    table: &Arc<Table<R>>,
    clock: &Arc<EventClock>,
    settings: &Settings,
    setting: Setting,
    what: Readers,
    socket: Option<&Path>,
) -> Measured {
    let rate = match setting.load {
        ReaderLoad::Paced { queries_per_sec } => Some(queries_per_sec as f64),
        ReaderLoad::ClosedLoop => None,
    };
    let readers = setting.readers as usize;
    let phase = Arc::new(AtomicU8::new(WARMING));
    let first_seen: Arc<[AtomicU64]> = (0..clock.capacity()).map(|_| AtomicU64::new(0)).collect();
    let ready = Arc::new(Barrier::new(readers + 1));
    let readers: Vec<_> = (0..readers)
        .map(|thread| {
            let (table, clock, phase, first_seen, ready, socket) = (
                Arc::clone(table),
                Arc::clone(clock),
                Arc::clone(&phase),
                Arc::clone(&first_seen),
                Arc::clone(&ready),
                socket.map(Path::to_owned),
            );
            spawn("reader", (thread, readers), move || {
                let mut reader = TableReader::new(&table);
                let names: Vec<(Arc<str>, ProcessId)> =
                    reader.list().expect("readable").iter().map(|s| (s.name_arc().clone(), s.id())).collect();
                let mut remote = socket.map(|path| Remote {
                    client: ControlClient::connect(&path).expect("the workload's socket answers"),
                    names: names.clone(),
                });
                let mut local = Local { reader, pids: vec![0; names.len()], names };
                ready.wait();
                let pacer = Pacer::new(rate, READER_NAP);
                match (what, &mut remote) {
                    (Readers::Query, None) => {
                        query_loop(&mut local, &clock, thread, &phase, &first_seen, pacer)
                    }
                    (Readers::Query, Some(remote)) => {
                        query_loop(remote, &clock, thread, &phase, &first_seen, pacer)
                    }
                    (Readers::ClockOnly, _) => clock_loop(&phase, pacer),
                }
            })
        })
        .collect();
    ready.wait();
    thread::sleep(settings.warm_up);
    let events_before = table.events();
    let started = Instant::now();
    phase.store(MEASURING, Ordering::Relaxed);
    thread::sleep(settings.measure);
    phase.store(DONE, Ordering::Relaxed);
    let mut measured = Measured::new(started.elapsed().as_secs_f64(), table.events() - events_before);
    for reader in readers {
        measured.merge(&reader.join().expect("a reader does not panic"));
    }
    measured
}

/// How a reader asks the supervisor.
trait Ask {
    /// The children asked about, in index order.
    fn children(&self) -> usize;
    /// Asks `query` about child `child` (a status by name tells the child's
    /// id, version and pid); returns the query actually made.
    fn ask(&mut self, query: Query, child: usize) -> (Query, Option<(ProcessId, u64, Option<u32>)>);
}

/// A thread of the supervisor's own process, reading its table.
struct Local<R: Registry> {
    reader: TableReader<R>,
    names: Vec<(Arc<str>, ProcessId)>,
    /// Each child's pid as last seen, for the lookups by pid.
    pids: Vec<u32>,
}

impl<R: Registry> Ask for Local<R> {
    fn children(&self) -> usize {
        self.names.len()
    }

    fn ask(&mut self, query: Query, child: usize) -> (Query, Option<(ProcessId, u64, Option<u32>)>) {
        let reader = &mut self.reader;
        let seen = match query {
            Query::ByName => {
                let seen = reader
                    .by_name(&self.names[child].0, |s| (s.id(), s.version(), s.pid()))
                    .expect("readable");
                if let Some((_, _, pid)) = seen {
                    self.pids[child] = pid.unwrap_or(0);
                }
                seen
            }
            Query::ByPid => {
                std::hint::black_box(reader.by_pid(self.pids[child]).expect("readable"));
                None
            }
            Query::List => {
                std::hint::black_box(reader.list().expect("readable"));
                None
            }
            Query::Counts => {
                std::hint::black_box(reader.counts().expect("readable"));
                None
            }
        };
        (query, seen)
    }
}

/// A client of the control socket: one child's status for a status by name
/// (and a lookup by pid, which the socket lacks), every child's for a list
/// (and for counts).
struct Remote {
    client: ControlClient,
    names: Vec<(Arc<str>, ProcessId)>,
}

impl Ask for Remote {
    fn children(&self) -> usize {
        self.names.len()
    }

    fn ask(&mut self, query: Query, child: usize) -> (Query, Option<(ProcessId, u64, Option<u32>)>) {
        let (name, id) = &self.names[child];
        let (asked, names) = match query {
            Query::ByName | Query::ByPid => (Query::ByName, vec![name.to_string()]),
            Query::List | Query::Counts => (Query::List, Vec::new()),
        };
        let one = names.len() == 1;
        let answer = self.client.request(&Request::Status { names }).expect("the supervisor answers");
        assert!(answer.ok, "{answer:?}");
        let seen = one.then(|| &answer.children[0]).map(|c| (*id, c.version, c.pid));
        (asked, std::hint::black_box(seen))
    }
}

/// One reader: queries, paced or back to back, timing each while measuring.
fn query_loop(
    asker: &mut impl Ask,
    clock: &EventClock,
    thread: usize,
    phase: &AtomicU8,
    first_seen: &[AtomicU64],
    mut pacer: Pacer,
) -> Measured {
    let children = asker.children();
    // Indexed by id: only the first children's ids are tracked for lag (see EventClock).
    let mut seen = vec![0u64; first_seen.len()];
    let mut measured = Measured::new(0.0, 0);
    // Readers start at different points of the mix and of the children.
    for op in thread * 7.. {
        let now_phase = phase.load(Ordering::Relaxed);
        if now_phase == DONE {
            break;
        }
        if !pacer.due() {
            continue;
        }
        let child = op % children;
        let start = Instant::now();
        let (query, seen_version) = asker.ask(MIX[op % MIX.len()], child);
        let end = Instant::now();
        let measuring = now_phase == MEASURING;
        if measuring {
            measured.record(query, end - start);
        }
        let Some((id, version, _)) = seen_version else { continue };
        let Some(index) = clock.index(id) else { continue };
        // Versions are tracked from the warm-up on, so the first look after
        // it does not count a version's whole warm-up as its lag.
        if version > seen[index] {
            seen[index] = version;
            // Only the first reader to see a version records its lag.
            if first_seen[index].fetch_max(version, Ordering::Relaxed) < version
                && measuring
                && let Some(age) = clock.event_age(id, version, end)
            {
                measured.lag.record(age.as_nanos() as u64).expect("auto-resizing histograms take any value");
            }
        }
    }
    measured
}

/// A floor reader: times nothing between two clock reads, at the same pace
/// as the rows' readers.
fn clock_loop(phase: &AtomicU8, mut pacer: Pacer) -> Measured {
    let mut measured = Measured::new(0.0, 0);
    let mut op = 0usize;
    loop {
        let now_phase = phase.load(Ordering::Relaxed);
        if now_phase == DONE {
            return measured;
        }
        if !pacer.due() {
            continue;
        }
        let start = Instant::now();
        std::hint::black_box(op);
        let end = Instant::now();
        if now_phase == MEASURING {
            measured.record(MIX[op % MIX.len()], end - start);
        }
        op += 1;
    }
}

/// When recent versions' events happened, per child, for measuring how long
/// they take to become visible: the table's publish hook. A ring indexed by
/// version: each entry packs the version's low bits with the event's time,
/// so a reader can tell a stale entry from its own. Only ids below the
/// capacity are tracked: the first children, not those the churn setting
/// adds later.
#[derive(Debug)]
struct EventClock {
    epoch: Instant,
    rings: Box<[[AtomicU64; EventClock::RING]]>,
}

impl EventClock {
    const RING: usize = 64;
    /// Nanoseconds since the epoch, modulo 2^40 (about 18 minutes): enough
    /// for any lag, and leaves 24 bits for the version tag.
    const NANOS_BITS: u32 = 40;
    const NANOS_MASK: u64 = (1 << Self::NANOS_BITS) - 1;

    fn new(children: usize) -> Self {
        let rings = (0..children).map(|_| std::array::from_fn(|_| AtomicU64::new(0))).collect();
        EventClock { epoch: Instant::now(), rings }
    }

    fn capacity(&self) -> usize {
        self.rings.len()
    }

    /// Where child `id`'s ring is, if it is tracked.
    fn index(&self, id: ProcessId) -> Option<usize> {
        usize::try_from(id.0).ok().filter(|&index| index < self.rings.len())
    }

    fn nanos(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_nanos() as u64 & Self::NANOS_MASK
    }

    /// How long ago, as of `now`, the event behind `version` of child `id`
    /// happened; `None` for an untracked child, or once a much later version
    /// (a reader 64 versions behind) overwrote its entry.
    fn event_age(&self, id: ProcessId, version: u64, now: Instant) -> Option<Duration> {
        let entry = self.rings[self.index(id)?][version as usize % Self::RING].load(Ordering::Relaxed);
        let tag_matches = entry >> Self::NANOS_BITS == version & (u64::MAX >> Self::NANOS_BITS);
        let at = entry & Self::NANOS_MASK;
        tag_matches.then(|| Duration::from_nanos(self.nanos(now).wrapping_sub(at) & Self::NANOS_MASK))
    }
}

impl PublishHook for EventClock {
    fn before_publish(&self, id: ProcessId, version: u64, at: Instant) {
        let Some(index) = self.index(id) else { return };
        let entry = version << Self::NANOS_BITS | self.nanos(at);
        // Relaxed: the store's publish (release) orders it before the version becomes visible.
        self.rings[index][version as usize % Self::RING].store(entry, Ordering::Relaxed);
    }
}

/// Histograms and totals of one or more measured windows.
#[derive(Clone, Debug)]
struct Measured {
    by_query: [Histogram<u64>; 4],
    lag: Histogram<u64>,
    queries: u64,
    events: u64,
    seconds: f64,
    /// Each whole round's latency, once merged into a row's total.
    rounds: Vec<Percentiles>,
}

impl Measured {
    fn new(seconds: f64, events: u64) -> Self {
        Measured {
            by_query: std::array::from_fn(|_| histogram()),
            lag: histogram(),
            queries: 0,
            events,
            seconds,
            rounds: Vec::new(),
        }
    }

    fn record(&mut self, query: Query, took: Duration) {
        record(&mut self.by_query[query as usize], took);
        self.queries += 1;
    }

    fn merge(&mut self, other: &Measured) {
        for (mine, theirs) in self.by_query.iter_mut().zip(&other.by_query) {
            mine.add(theirs).expect("auto-resizing histograms merge");
        }
        self.lag.add(&other.lag).expect("auto-resizing histograms merge");
        self.queries += other.queries;
        self.events += other.events;
        self.seconds += other.seconds;
        self.rounds.extend_from_slice(&other.rounds);
    }

    fn latency(&self) -> Histogram<u64> {
        let mut all = histogram();
        for h in &self.by_query {
            all.add(h).expect("auto-resizing histograms merge");
        }
        all
    }

    fn into_record(self, row: &Entry, setting: Setting, settings: &Settings) -> WorkloadRecord {
        let Setting { mode, readers, load } = setting;
        WorkloadRecord {
            mode,
            id: row.id.to_owned(),
            strategy: row.label.to_owned(),
            kind: row.family,
            default: row.id == facade_default().id,
            children: settings.children as u32,
            readers,
            load,
            seconds: self.seconds,
            queries: self.queries,
            events: self.events,
            target_events_per_sec: match mode {
                WorkloadMode::Processes | WorkloadMode::Remote => None,
                WorkloadMode::Simulated => Some(settings.simulated_rate),
                // One step in CHURN_EVERY replaces a child instead of publishing.
                WorkloadMode::Churn => Some(settings.simulated_rate * (1.0 - 1.0 / CHURN_EVERY as f64)),
            },
            latency: percentiles(&self.latency()),
            by_query: QUERIES
                .iter()
                .map(|&query| QueryLatency { query, latency: percentiles(&self.by_query[query as usize]) })
                .filter(|q| q.latency.count > 0)
                .collect(),
            event_lag: (!self.lag.is_empty()).then(|| percentiles(&self.lag)),
            rounds: self.rounds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procstore_catalog::Family;

    #[test]
    fn event_age_is_known_for_recent_versions_only() {
        let clock = EventClock::new(1);
        let at = Instant::now();
        for version in 1..=EventClock::RING as u64 + 1 {
            clock.before_publish(ProcessId(0), version, at);
        }
        let later = at + Duration::from_millis(5);
        let age = |version| clock.event_age(ProcessId(0), version, later);
        assert_eq!(age(EventClock::RING as u64 + 1), Some(Duration::from_millis(5)));
        assert_eq!(age(1), None, "overwritten by version {}", 1 + EventClock::RING);
        assert_eq!(clock.event_age(ProcessId(1), 1, later), None, "untracked");
    }

    #[test]
    fn each_round_visits_every_row_once_in_an_order_of_its_own() {
        let rounds: Vec<Vec<usize>> = (0..9).map(|round| turns(4, round)).collect();
        for order in &rounds {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2, 3], "{order:?}");
        }
        let firsts: std::collections::HashSet<usize> = rounds.iter().map(|order| order[0]).collect();
        assert!(firsts.len() > 2, "the first row hardly changes: {rounds:?}");
        // The row before row 3 in each round (`None` where it ran first).
        let before_3 = |order: &Vec<usize>| {
            let at = order.iter().position(|&row| row == 3).expect("every row");
            at.checked_sub(1).map(|before| order[before])
        };
        let predecessors: std::collections::HashSet<_> = rounds.iter().map(before_3).collect();
        assert!(predecessors.len() > 2, "row 3 keeps its neighbour: {rounds:?}");
        assert_eq!(turns(4, 5), rounds[5], "the same in every run");
        assert!(turns(0, 3).is_empty() && turns(1, 3) == vec![0]);
    }

    #[test]
    fn readers_run_at_the_go_count_and_at_one_per_core() {
        assert_eq!(reader_counts(10, 2), vec![10, 2]);
        assert_eq!(reader_counts(10, 64), vec![10, 64]);
        assert_eq!(reader_counts(4, 4), vec![4]);
    }

    /// A short setting for the tests: one reader, rounds of 50 ms.
    fn brief() -> Settings {
        Settings {
            children: 3,
            readers: vec![1],
            loads: vec![ReaderLoad::Paced { queries_per_sec: 50_000 }],
            warm_up: Duration::from_millis(10),
            measure: Duration::from_millis(50),
            rounds: 2,
            head_to_head_rounds: 3,
            child_lifetime: Duration::from_millis(20),
            simulated_rate: 20_000.0,
        }
    }

    #[test]
    fn a_setting_runs_the_rows_named_in_their_order_repeats_included() {
        let settings = brief();
        let setting = Setting { mode: WorkloadMode::Simulated, readers: 1, load: settings.loads[0] };
        let std_rwlock = procstore_catalog::registry_named("std-rwlock-map").expect("listed");
        let rows = [&floors::TIMER, std_rwlock, std_rwlock];
        let records = run_setting(&settings, setting, &rows);
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["timer", "std-rwlock-map", "std-rwlock-map"]);
        for r in &records {
            assert!(r.queries > 0 && (0.05..1.0).contains(&r.seconds), "two rounds each: {r:?}");
            assert_eq!(r.rounds.len(), 2, "each round's latency kept: {r:?}");
            assert_eq!(r.rounds.iter().map(|round| round.count).sum::<u64>(), r.latency.count);
        }
    }

    #[test]
    #[should_panic(expected = "nope is neither a listed registry nor the timer floor")]
    fn an_unlisted_row_is_refused() {
        static NOPE: Entry = Entry { id: "nope", label: "nope", family: Family::Lock };
        let settings = brief();
        let setting = Setting { mode: WorkloadMode::Simulated, readers: 1, load: settings.loads[0] };
        run_setting(&settings, setting, &[&floors::TIMER, &NOPE]);
    }

    #[test]
    fn every_registry_runs_in_every_mode_with_lag_and_every_query() {
        let settings = Settings {
            children: 3,
            readers: vec![2],
            loads: vec![ReaderLoad::Paced { queries_per_sec: 50_000 }, ReaderLoad::ClosedLoop],
            warm_up: Duration::from_millis(20),
            measure: Duration::from_millis(100),
            rounds: 2,
            head_to_head_rounds: 1,
            child_lifetime: Duration::from_millis(20),
            simulated_rate: 20_000.0,
        };
        let Workload { records, head_to_head } = run_all(&settings);
        // Three modes by two loads, and the remote setting.
        let settings = 3 * 2 + 1;
        assert_eq!(
            records.len(),
            settings * (REGISTRIES.len() + 1),
            "every registry and the floor, per setting"
        );
        for entry in REGISTRIES {
            let runs = records.iter().filter(|r| r.id == entry.id).count();
            assert_eq!(runs, settings, "{} runs in every mode and load", entry.id);
        }
        // After each paced setting (three modes and the remote one), the
        // default first, then the best other row on each criterion.
        let mut paced: Vec<Setting> = records
            .iter()
            .map(WorkloadRecord::setting)
            .filter(|s| matches!(s.load, ReaderLoad::Paced { .. }))
            .collect();
        paced.dedup();
        assert_eq!(paced.len(), 4);
        for setting in paced {
            let main: Vec<WorkloadRecord> =
                records.iter().filter(|r| r.setting() == setting).cloned().collect();
            let again: Vec<&str> =
                head_to_head.iter().filter(|r| r.setting() == setting).map(|r| r.id.as_str()).collect();
            let best = procstore_report::head_to_head_rows(&main);
            assert!((1..=3).contains(&best.len()), "{setting:?}: {best:?}");
            assert_eq!(again[0], facade_default().id, "{setting:?}");
            assert_eq!(again[1..], best, "{setting:?}");
        }
        assert!(
            head_to_head.iter().all(|r| r.rounds.len() == 1 && r.default == (r.id == facade_default().id))
        );
        for r in &records {
            let context = format!("{} {:?}", r.strategy, r.mode);
            assert!(r.queries > 0 && r.latency.count == r.queries, "{context}: {r:?}");
            assert!((0.2..2.0).contains(&r.seconds), "{context}: two rounds of 100 ms, got {}", r.seconds);
            assert!(
                r.latency.p50_ns <= r.latency.p99_ns && r.latency.p99_ns <= r.latency.max_ns,
                "{context}"
            );
            assert!(r.events > 0, "{context}: churn happened");
            if r.kind == Family::Floor {
                assert_eq!(r.event_lag, None, "{context}: the floor's readers look at no version");
                continue;
            }
            if r.mode == WorkloadMode::Remote {
                // The socket asks for one child or for all (a slow machine,
                // qemu, may not reach a list in 100 ms).
                let asked: Vec<Query> = r.by_query.iter().map(|q| q.query).collect();
                assert!(asked.starts_with(&[Query::ByName]), "{context}: {asked:?}");
                assert!(
                    asked.iter().all(|q| matches!(q, Query::ByName | Query::List)),
                    "{context}: {asked:?}"
                );
                assert_eq!(r.load, ReaderLoad::Paced { queries_per_sec: REMOTE_QUERY_RATE }, "{context}");
                continue;
            }
            assert_eq!(r.by_query.len(), 4, "{context}: every query kind ran");
            // Real children publish a few events per 100 ms, which a slow reader (an actor under
            // qemu) may miss; the simulated stream publishes thousands.
            if r.mode == WorkloadMode::Simulated {
                assert!(r.event_lag.is_some_and(|lag| lag.count > 0), "{context}: lag measured");
            }
        }
    }
}
