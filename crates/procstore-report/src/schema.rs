//! `results.json`: what the harness measured, as the renderer reads it.

use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// Seconds since the Unix epoch when the run finished.
    pub finished_unix: u64,
}

impl Machine {
    /// The directory name under `reports/`, e.g. `x86_64-linux`.
    pub fn slug(&self) -> String {
        format!("{}-{}", self.arch, self.os)
    }
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
    /// Criterion samples per benchmark.
    pub sample_size: u32,
    /// Criterion measurement time per benchmark, in seconds.
    pub measurement_secs: f64,
}

/// The family a strategy belongs to, for the Go record's rows and claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A lock around the state or map (the Go "Mutex" row).
    Lock,
    /// An actor thread behind channels (the Go "Channel" row).
    Channel,
    /// An atomic pointer with safe reclamation (the Go "Atomic" row).
    Atomic,
    /// A concurrent map (the Go sync.Map claim).
    ConcurrentMap,
    /// A benchmark-only lower bound, never a store.
    Floor,
}

impl Kind {
    /// The family in words, e.g. `concurrent map`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Channel => "channel",
            Kind::Atomic => "atomic",
            Kind::ConcurrentMap => "concurrent map",
            Kind::Floor => "floor",
        }
    }
}

/// One figure: a strategy in a group at a thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The benchmark group, one of [`groups`].
    pub group: String,
    /// The strategy's row label.
    pub strategy: String,
    /// Its family.
    pub kind: Kind,
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
}
