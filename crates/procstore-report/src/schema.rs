//! `results.json`: what the harness measured, as the renderer reads it.

use std::collections::BTreeMap;

use procstore_catalog::Family;
use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or disappears. Version 2 added
/// the catalogue ids; version 3 the workload's paced readers (a version 2
/// workload is a closed loop); version 4 the sampled tails and the
/// reclamation records. Older files still load (see [`crate::load`]).
pub const SCHEMA_VERSION: u32 = 4;

/// One benchmark run on one machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Where it ran.
    pub machine: Machine,
    /// How it ran.
    pub config: RunConfig,
    /// One record per strategy x group x thread count.
    pub records: Vec<Record>,
    /// The supervisor workload: one record per row x setting (absent in
    /// runs from before the workload existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workload: Vec<WorkloadRecord>,
    /// The head-to-heads: in each paced setting, on fresh rounds run after
    /// its main pass, the facade's default and the rows that pass found
    /// best on each criterion of the bar (absent in runs from before it was
    /// run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub head_to_head: Vec<WorkloadRecord>,
    /// The git commit the run measured, e.g. `abc1234` or `abc1234-dirty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The garbage each store holds and what one stalled reader costs: one
    /// record per store (absent before schema 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reclamation: Vec<ReclamationRecord>,
    /// Crate name -> resolved version of every crate that implements a row.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub versions: BTreeMap<String, String>,
}

/// The machine a run came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `std::env::consts::ARCH` of the benchmark binary, e.g. `x86_64`.
    pub arch: String,
    /// `std::env::consts::OS`, e.g. `linux`.
    pub os: String,
    /// The CPU model as the OS reports it.
    pub cpu_model: String,
    /// Logical cores available to the process.
    pub cores: u32,
    /// `rustc -V` of the compiler that built the harness.
    pub rustc: String,
    /// Whether the binary ran under an emulator (qemu-user): its figures are
    /// not hardware figures.
    pub emulated: bool,
    /// Why `emulated` was decided (empty when not emulated).
    #[serde(default)]
    pub emulation_evidence: String,
    /// The heavy memory barrier that seize (the `seize` store, papaya's
    /// reclamation) uses here, found as seize finds it: `membarrier`,
    /// `mprotect` or a `SeqCst` fence. Empty in files from before it was
    /// recorded.
    #[serde(default)]
    pub heavy_barrier: String,
    /// Seconds since the Unix epoch when the run finished.
    pub finished_unix: u64,
    /// The folder under `reports/` this run was given with
    /// `PROCSTORE_BENCH_MACHINE`, when several machines of one architecture
    /// are measured; `None` for `<arch>-<os>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Machine {
    /// The directory name under `reports/`: the machine's name if it was
    /// given one, else `<arch>-<os>`, e.g. `x86_64-linux`.
    pub fn slug(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("{}-{}", self.arch, self.os))
    }
}

/// Whether `name` can name a directory under `reports/`: non-empty ASCII
/// letters, digits, `_`, `-` or `.`, not starting with `.` (so never `..`
/// nor a path).
pub fn is_directory_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The run's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// `full` or `quick`.
    pub profile: String,
    /// Reader threads in the Concurrent and contention columns (Go: 10).
    pub concurrent_threads: u32,
    /// Thread counts of the sweep.
    pub sweep: Vec<u32>,
    /// Target updates/s of the paced writer.
    pub paced_rate: f64,
    /// Processes in the registry for the registry groups.
    pub registry_size: u32,
    /// Processes in the table of the registry starvation group.
    #[serde(default)]
    pub table_size: u32,
    /// Criterion samples per benchmark.
    pub sample_size: u32,
    /// Criterion measurement time per benchmark, in seconds.
    pub measurement_secs: f64,
}

/// One figure: a strategy in a group at a thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The benchmark group, one of [`groups`].
    pub group: String,
    /// The catalogue id of the store, registry or floor (`std-mutex`): what
    /// the renderer matches on. Empty only in a schema 1 file before loading.
    #[serde(default)]
    pub id: String,
    /// The strategy's row label, for display.
    pub strategy: String,
    /// Its family.
    pub kind: Family,
    /// Threads doing the measured operation.
    pub threads: u32,
    /// Median over samples of wall time / operations, in ns (Go
    /// `RunParallel` semantics for several threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns_per_op: Option<f64>,
    /// Samples behind the median.
    #[serde(default)]
    pub samples: u32,
    /// Updates/s the background writer achieved (contention groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_updates_per_sec: Option<f64>,
    /// Heap bytes allocated per operation (memory group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_op: Option<f64>,
    /// Heap allocations per operation (memory group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocs_per_op: Option<f64>,
    /// Sampled read latencies and per-thread fairness (Concurrent and
    /// contention groups at the Go reader count, from schema 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tails: Option<Tails>,
}

/// A multi-threaded row's tail, from a timed pass of its own beside
/// criterion's rounds, so no clock runs inside a round criterion times.
/// The same threads do the same work for a fixed time; one read in
/// `sample_every` is timed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tails {
    /// One read in this many was timed: chosen so the clock's cost stays
    /// under 5% of the row's mean read.
    pub sample_every: u64,
    /// The timed reads, the clock's floor included.
    pub latency: Percentiles,
    /// The median time of timing nothing on this machine: every sample
    /// includes it, so no figure below it means anything.
    pub clock_floor_ns: f64,
    /// How long the pass ran, in seconds.
    pub seconds: f64,
    /// The fewest reads one reader thread completed in the pass.
    pub fewest_reads: u64,
    /// The most reads one reader thread completed in the pass.
    pub most_reads: u64,
}

/// The garbage one store holds, and what one stalled reader costs it.
///
/// Counted with the conformance suite's gauge: states alive, that is
/// published, held by a reader, or retired and not yet freed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReclamationRecord {
    /// The store's catalogue id.
    pub id: String,
    /// Its row label.
    pub strategy: String,
    /// Its family.
    pub kind: Family,
    /// What the store declares: whether its garbage stays within a bound
    /// whatever its readers do (`StateStore::GARBAGE_IS_BOUNDED`).
    pub declared_bounded: bool,
    /// Reader threads reading back to back beside the writer.
    pub readers: u32,
    /// One writer updating back to back; `None` for the leaky floor, which
    /// would keep every state a free-running writer makes.
    pub back_to_back: Option<Garbage>,
    /// One writer paced at the configured rate.
    pub paced: Garbage,
    /// One reader stays inside a read while the paced writer publishes.
    pub stall: Stall,
}

/// States alive while one writer publishes, sampled after every update.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Garbage {
    /// How long the writer ran, in seconds.
    pub seconds: f64,
    /// Updates it published.
    pub updates: u64,
    /// The most states alive after any update.
    pub peak: u64,
    /// States alive after an update, on average.
    pub mean: f64,
}

/// One reader inside a read for `seconds` while the paced writer publishes
/// and the other readers read.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stall {
    /// How long the reader stayed inside its read, in seconds (the set
    /// time: its sleep overshoots by microseconds).
    pub seconds: f64,
    /// The writer's target rate.
    pub target_updates_per_sec: f64,
    /// Updates the writer completed during the stall.
    pub updates: u64,
    /// States alive when the stall began.
    pub alive_before: u64,
    /// The most states alive during it.
    pub alive_peak: u64,
    /// Every read of the other readers that overlapped the stall, timed
    /// (one that began before it and waited it out included).
    pub others: Percentiles,
}

impl Stall {
    /// States the stall held back: the growth of the garbage.
    pub fn growth(&self) -> u64 {
        self.alive_peak.saturating_sub(self.alive_before)
    }

    /// Updates per second the writer achieved while a reader stalled.
    pub fn updates_per_sec(&self) -> f64 {
        if self.seconds > 0.0 { self.updates as f64 / self.seconds } else { 0.0 }
    }
}

/// The group names the harness writes.
pub mod groups {
    /// One thread, one reader, ns per status read.
    pub const SINGLE_READER: &str = "single_reader";
    /// N reader threads, wall time / total reads.
    pub const CONCURRENT: &str = "concurrent";
    /// N readers and one writer updating back to back.
    pub const CONTENTION: &str = "contention";
    /// N readers and one writer paced at the configured rate.
    pub const CONTENTION_PACED: &str = "contention_paced";
    /// Bytes and allocations per read (untimed pass).
    pub const MEMORY_READ: &str = "memory_read";
    /// Bytes and allocations per update (untimed pass).
    pub const MEMORY_WRITE: &str = "memory_write";
    /// ns per update, one writer alone.
    pub const WRITE: &str = "write";
    /// ns per update, one writer under N readers.
    pub const WRITE_UNDER_READERS: &str = "write_under_readers";
    /// Registry get of a registered id.
    pub const REGISTRY_GET_HIT: &str = "registry_get_hit";
    /// Registry get of an unknown id.
    pub const REGISTRY_GET_MISS: &str = "registry_get_miss";
    /// Registry insert then remove of a fresh id.
    pub const REGISTRY_CHURN: &str = "registry_churn";
    /// Registry 90% get / 9% update / 1% insert+remove.
    pub const REGISTRY_MIX: &str = "registry_mix";
    /// Registry list of every process.
    pub const REGISTRY_LIST: &str = "registry_list";
    /// N readers getting and listing a small table while one writer updates
    /// it back to back: ns per read, and the writer's updates/s.
    pub const REGISTRY_STARVATION: &str = "registry_starvation";
}

/// How the supervisor workload produced its lifecycle events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadMode {
    /// Real child processes that exit and are restarted by the supervisor.
    Processes,
    /// A generator thread publishing the same lifecycle at a set rate, faster
    /// than any OS could spawn.
    Simulated,
    /// The simulated stream, with children removed and added back as it
    /// runs, so the registry's map is written too.
    Churn,
    /// Real child processes, whose status the readers ask for over the
    /// supervisor's control socket, as `procstore-supervisor ctl` does.
    Remote,
}

impl WorkloadMode {
    /// The mode in words, for headings.
    pub fn label(self) -> &'static str {
        match self {
            WorkloadMode::Processes => "real child processes",
            WorkloadMode::Simulated => "simulated event stream",
            WorkloadMode::Churn => "simulated stream with children coming and going",
            WorkloadMode::Remote => "real child processes queried over the control socket",
        }
    }
}

/// How the workload's readers issue their queries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderLoad {
    /// Each reader queries at a set rate, in bursts with a sleep between: a
    /// status poller. Every row is offered the same load.
    Paced {
        /// Queries per second each reader aims at.
        queries_per_sec: u64,
    },
    /// Each reader queries back to back: as much load as its row's queries
    /// and the cores allow (every run before schema 3 measured this).
    #[default]
    ClosedLoop,
}

impl ReaderLoad {
    /// The load in words, after the reader count: `polling at 100k/s each`.
    pub fn label(self) -> String {
        match self {
            ReaderLoad::Paced { queries_per_sec } => {
                format!("polling at {} each", crate::format::per_sec(Some(queries_per_sec as f64)))
            }
            ReaderLoad::ClosedLoop => "in a closed loop".to_owned(),
        }
    }
}

/// One workload setting: where the events come from, how many readers, and
/// how they query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setting {
    /// Where the lifecycle events come from.
    pub mode: WorkloadMode,
    /// Reader threads.
    pub readers: u32,
    /// How they query.
    pub load: ReaderLoad,
}

impl Setting {
    /// `real child processes, 10 readers polling at 100k/s each`.
    pub fn label(self) -> String {
        format!("{}, {} readers {}", self.mode.label(), self.readers, self.load.label())
    }
}

/// Latency percentiles from one histogram, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50_ns: f64,
    /// 99th percentile.
    pub p99_ns: f64,
    /// 99.9th percentile.
    pub p999_ns: f64,
    /// Largest value recorded.
    pub max_ns: f64,
}

/// One kind of status query the workload's readers make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    /// A child's status by name: one store read.
    ByName,
    /// The child running with an OS pid: a scan of the children's stores.
    ByPid,
    /// Every child's state: one registry list.
    List,
    /// How many children are in each status: one registry list, counted.
    Counts,
}

impl Query {
    /// The query in words, for table headers.
    pub fn label(self) -> &'static str {
        match self {
            Query::ByName => "status by name",
            Query::ByPid => "lookup by pid",
            Query::List => "list all",
            Query::Counts => "counts by status",
        }
    }
}

/// Latency of one kind of query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryLatency {
    /// Which query.
    pub query: Query,
    /// Its latency, ns per query.
    pub latency: Percentiles,
}

/// One strategy's run of the supervisor workload: a supervisor with churn
/// and `readers` threads querying it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRecord {
    /// Where the lifecycle events came from.
    pub mode: WorkloadMode,
    /// The catalogue id of the registry the supervisor's table ran on
    /// (`handles-papaya`), or of the timer floor.
    #[serde(default)]
    pub id: String,
    /// The row label, as in the micro-benchmark's registry table.
    pub strategy: String,
    /// The registry's family.
    pub kind: Family,
    /// Whether this is the registry the `procstore` facade picks by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// Supervised children.
    pub children: u32,
    /// Reader threads querying the supervisor.
    pub readers: u32,
    /// How the readers query.
    #[serde(default)]
    pub load: ReaderLoad,
    /// Measured wall time, seconds.
    pub seconds: f64,
    /// Queries answered by all readers.
    pub queries: u64,
    /// Lifecycle transitions published (each is a store update plus a
    /// registry update).
    pub events: u64,
    /// The event rate the generator aimed at (`simulated` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_events_per_sec: Option<f64>,
    /// Every query's latency, ns, including one clock read.
    pub latency: Percentiles,
    /// Latency by kind of query.
    pub by_query: Vec<QueryLatency>,
    /// Time from an event (the reaper saw an exit, the generator decided)
    /// until a reader first saw its version, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_lag: Option<Percentiles>,
    /// Each round's latency of every query, in the order run (`latency`
    /// merges them): how far one row moves from one round to the next is
    /// the run's own noise. Empty in runs from before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Percentiles>,
}

impl WorkloadRecord {
    /// The setting the record was measured in.
    pub fn setting(&self) -> Setting {
        Setting { mode: self.mode, readers: self.readers, load: self.load }
    }

    /// The queries per second the readers were offered, all together
    /// (`None` in a closed loop).
    pub fn target_queries_per_sec(&self) -> Option<f64> {
        match self.load {
            ReaderLoad::Paced { queries_per_sec } => Some(queries_per_sec as f64 * f64::from(self.readers)),
            ReaderLoad::ClosedLoop => None,
        }
    }

    /// Queries per second, all readers together.
    pub fn queries_per_sec(&self) -> f64 {
        self.queries as f64 / self.seconds
    }

    /// Lifecycle events published per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.seconds
    }

    /// How far apart the rounds were in one percentile (`of`): the highest
    /// round's over the lowest's; `None` with fewer than two rounds.
    pub fn round_spread(&self, of: fn(&Percentiles) -> f64) -> Option<f64> {
        let (low, high) = self
            .rounds
            .iter()
            .map(of)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| (low.min(v), high.max(v)));
        (self.rounds.len() >= 2 && low > 0.0).then(|| high / low)
    }

    /// Its median round: each percentile the median of the rounds' own
    /// (so not one round's figures), `count` every round's together;
    /// rounds that recorded nothing are left out, and `None` if that is
    /// all of them. Unlike the merged `latency`, one slow round of several
    /// cannot decide its tail.
    pub fn median_round(&self) -> Option<Percentiles> {
        let recorded = || self.rounds.iter().filter(|round| round.count > 0);
        let of = |percentile: fn(&Percentiles) -> f64| median(recorded().map(percentile).collect());
        Some(Percentiles {
            count: recorded().map(|round| round.count).sum(),
            p50_ns: of(|p| p.p50_ns)?,
            p99_ns: of(|p| p.p99_ns)?,
            p999_ns: of(|p| p.p999_ns)?,
            max_ns: of(|p| p.max_ns)?,
        })
    }
}

/// The middle value, or the mean of the middle two; `None` if empty.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(count: u64, ns: f64) -> Percentiles {
        Percentiles { count, p50_ns: ns, p99_ns: ns, p999_ns: ns, max_ns: ns }
    }

    #[test]
    fn the_median_round_takes_each_percentile_from_the_rounds_that_recorded_something() {
        assert_eq!(median(Vec::new()), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let mut record = WorkloadRecord {
            mode: WorkloadMode::Simulated,
            id: "r".to_owned(),
            strategy: "r".to_owned(),
            kind: Family::Atomic,
            default: false,
            children: 16,
            readers: 2,
            load: ReaderLoad::ClosedLoop,
            seconds: 1.0,
            queries: 15,
            events: 10,
            target_events_per_sec: None,
            latency: at(15, 1.0),
            by_query: Vec::new(),
            event_lag: None,
            rounds: Vec::new(),
        };
        assert_eq!(record.median_round(), None, "no rounds");
        record.rounds = vec![at(0, 0.0), at(0, 0.0)];
        assert_eq!(record.median_round(), None, "no round recorded anything");
        record.rounds = vec![at(5, 100.0), at(0, 0.0), at(5, 400.0), at(5, 200.0)];
        let median = record.median_round().expect("three rounds recorded");
        assert_eq!((median.count, median.p50_ns, median.p999_ns), (15, 200.0, 200.0));
        // A round that is slow in one percentile only moves that one.
        record.rounds[3].p999_ns = 900.0;
        assert_eq!(record.median_round().map(|m| (m.p50_ns, m.p999_ns)), Some((200.0, 400.0)));
    }
}
