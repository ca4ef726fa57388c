//! The schema of `reports/instructions.json`: what each store's read and
//! update compile to, counted from the disassembly of their probe functions
//! (`procstore-instructions disasm`, run by `scripts/instructions.sh`) for
//! several compiler configurations. It is compiler output, the same on
//! every machine, so it lives once under `reports/` and every
//! architecture's report shows it, beside the wall-clock figures.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The file under `reports/`.
pub const INSTRUCTIONS_FILE: &str = "instructions.json";

/// The version of [`Instructions`]' JSON this renderer reads and
/// `procstore-instructions disasm` writes.
pub const INSTRUCTIONS_SCHEMA: u32 = 1;

/// Every configuration's counts for every store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instructions {
    /// [`INSTRUCTIONS_SCHEMA`].
    pub schema_version: u32,
    /// The compiler that built every configuration (`rustc -V`).
    pub rustc: String,
    /// The commit the probes were built from (`git describe --always --dirty`).
    pub commit: String,
    /// How each binary was built and disassembled, in the order the report
    /// shows them.
    pub configurations: Vec<Configuration>,
    /// One entry per store, the leaky floor last.
    pub strategies: Vec<StrategyInstructions>,
}

/// One way of building the probe binary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// What the report calls it: `x86_64`, `aarch64`, `aarch64+lse`.
    pub label: String,
    /// The instruction set: `x86_64` or `aarch64`.
    pub arch: String,
    /// The target triple it was built for.
    pub target: String,
    /// `RUSTFLAGS` of the build (empty: none).
    pub rustflags: String,
    /// The disassembler it was read with.
    pub objdump: String,
}

/// One store's (or the floor's) probe functions, per configuration label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyInstructions {
    /// The catalogue id, e.g. `arc-swap-cache`.
    pub id: String,
    /// `status()` through a reader handle, per configuration label.
    pub read: BTreeMap<String, FunctionCounts>,
    /// One update, per configuration label.
    pub update: BTreeMap<String, FunctionCounts>,
}

/// What one function's code holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCounts {
    /// The probe function's symbol. Where its whole body is one tail call,
    /// the counts below are of the function it jumps to.
    pub symbol: String,
    /// The fast path: the shortest path in instructions from the entry to a
    /// return (or a tail call), a call into the same binary weighing its
    /// callee's own fast path; the function's own instructions on it, a call
    /// counted as one. `None` when no path returns.
    pub fast: Option<PathCounts>,
    /// The same path with each callee's fast path counted in (outline-atomic
    /// helpers, the C library and calls through a register are not followed).
    pub fast_with_callees: Option<PathCounts>,
    /// Every instruction of the function's body, whatever path reaches it.
    pub all: PathCounts,
}

/// What lies on one path (or in a whole body). Loads and stores include
/// the stack's (saved registers, spills), which are also counted apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCounts {
    /// Instructions.
    pub instructions: u64,
    /// Instructions that read memory (not atomic read-modify-writes).
    pub loads: u64,
    /// Of `loads`, those from the stack.
    pub stack_loads: u64,
    /// Of `loads`, acquire loads (aarch64 `ldar`, `ldapr`, `ldaxr`).
    pub acquire_loads: u64,
    /// Instructions that write memory (not atomic read-modify-writes).
    pub stores: u64,
    /// Of `stores`, those to the stack.
    pub stack_stores: u64,
    /// Of `stores`, release stores (aarch64 `stlr`).
    pub release_stores: u64,
    /// Atomic read-modify-writes: x86 `lock`-prefixed, `xchg` with memory,
    /// `cmpxchg`; aarch64 LSE atomics, each exclusive store (`stxr`,
    /// `stlxr`), and each call to an outline-atomic helper.
    pub rmw: u64,
    /// Of `rmw`, calls to outline-atomic helpers (`__aarch64_cas8_acq_rel`).
    pub outline_rmw: u64,
    /// Fences and barriers: x86 `mfence`, `lfence`, `sfence` and the
    /// `lock or [rsp], 0` idiom; aarch64 `dmb`, `dsb`, `isb`.
    pub fences: u64,
    /// Calls, tail calls included.
    pub calls: u64,
    /// The functions called, demangled and shortened, each once, in order.
    pub callees: Vec<String>,
    /// The path's mnemonics in order; only on a function's own fast path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mnemonics: Vec<String>,
}

impl PathCounts {
    /// Loads other than the stack's: the data the path reads.
    pub fn data_loads(&self) -> u64 {
        self.loads.saturating_sub(self.stack_loads)
    }

    /// Stores other than the stack's: the data the path writes.
    pub fn data_stores(&self) -> u64 {
        self.stores.saturating_sub(self.stack_stores)
    }

    /// Adds `other`'s counts and callees (not its mnemonics).
    pub fn add(&mut self, other: &PathCounts) {
        self.instructions += other.instructions;
        self.loads += other.loads;
        self.stack_loads += other.stack_loads;
        self.acquire_loads += other.acquire_loads;
        self.stores += other.stores;
        self.stack_stores += other.stack_stores;
        self.release_stores += other.release_stores;
        self.rmw += other.rmw;
        self.outline_rmw += other.outline_rmw;
        self.fences += other.fences;
        self.calls += other.calls;
        for callee in &other.callees {
            self.add_callee(callee);
        }
    }

    /// Records a call to `callee` (once).
    pub fn add_callee(&mut self, callee: &str) {
        if !self.callees.iter().any(|c| c == callee) {
            self.callees.push(callee.to_owned());
        }
    }
}

impl Instructions {
    /// The strategy with catalogue id `id`.
    pub fn strategy(&self, id: &str) -> Option<&StrategyInstructions> {
        self.strategies.iter().find(|s| s.id == id)
    }
}

/// The file beside each architecture's results,
/// `reports/<arch>-linux/instruction-counts.json`: what every probe
/// executes under callgrind (`procstore-instructions`, the gate's
/// baseline). Every architecture's report shows every such file.
pub const CALLGRIND_FILE: &str = "instruction-counts.json";

/// The version of [`CallgrindCounts`]' JSON this renderer reads (its field
/// is `schema`, not `schema_version`).
pub const CALLGRIND_SCHEMA: u32 = 1;

/// What every probe executes on one architecture, per operation, measured
/// under callgrind: the shape `procstore-instructions` writes (its
/// `Counts`), declared here so this crate does not depend on that one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallgrindCounts {
    /// [`CALLGRIND_SCHEMA`].
    pub schema: u32,
    /// The probe's architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// Whether callgrind ran under an emulator (qemu-user): the counts are
    /// the guest's, exact all the same.
    pub emulated: bool,
    /// The compiler that built the probe.
    pub rustc: String,
    /// Calls measured per probe.
    pub iterations: u64,
    /// One entry per probe.
    pub paths: Vec<CallgrindPath>,
}

/// One probe's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallgrindPath {
    /// `kind/id`: `read/<store>`, `update/<store>`, `get-hit/<registry>`,
    /// `get-miss/<registry>` or `insert-remove/<registry>`.
    pub path: String,
    /// Instructions per operation, the measuring loop's call of the probe
    /// included (the same for every path).
    pub instructions: f64,
    /// Allocations per operation, as the probe's own allocator counts them.
    pub allocations: f64,
    /// Whether the path must not allocate (a read).
    pub read: bool,
}

/// The kinds of path a [`CallgrindPath`] names, in the order the report
/// shows them.
pub const CALLGRIND_KINDS: [&str; 5] = ["read", "update", "get-hit", "get-miss", "insert-remove"];

impl CallgrindCounts {
    /// The counts of path `kind/id`.
    pub fn path(&self, kind: &str, id: &str) -> Option<&CallgrindPath> {
        self.paths.iter().find(|p| p.path.split_once('/') == Some((kind, id)))
    }

    /// The architecture as a column heading: `aarch64 (qemu)` when emulated.
    pub fn heading(&self) -> String {
        if self.emulated { format!("{} (qemu)", self.arch) } else { self.arch.clone() }
    }
}
