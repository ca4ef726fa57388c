//! One non-inlined function per strategy and path, each under a symbol of
//! its own (`procstore_probe_read_arc_swap_cache`), so that a disassembler
//! can find the code a read compiles to and callgrind can count what it
//! executes.

use std::hint::black_box;

use procstore_benches::floor::{ImmutableMapFloor, LeakyFloor};
use procstore_catalog::{Family, with_registries, with_stores};
use procstore_conformance::workload::restart_cycle;
use procstore_core::{
    ProcessId, ProcessState, Registry, RegistryReader, RemoveError, StateReader, StateStore, Status,
};

/// What every probe function's symbol starts with.
pub const SYMBOL_PREFIX: &str = "procstore_probe_";

/// What a probe exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `status()` through a store's reader handle, in steady state.
    Read,
    /// One `update` of a store (a restart-cycle step).
    Update,
    /// `status(id)` through a registry's reader, for a registered id.
    GetHit,
    /// `status(id)` through a registry's reader, for an unregistered id.
    GetMiss,
    /// One `insert` and the `remove` of the same id.
    InsertRemove,
}

impl Kind {
    /// The path's prefix in a probe's name, e.g. `read`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Update => "update",
            Kind::GetHit => "get-hit",
            Kind::GetMiss => "get-miss",
            Kind::InsertRemove => "insert-remove",
        }
    }

    /// Whether the path only reads, so must not allocate.
    pub fn is_read(self) -> bool {
        matches!(self, Kind::Read | Kind::GetHit | Kind::GetMiss)
    }

    /// Whether the path's count depends on the hash seed each run draws: a
    /// write's amortized work (a rehash, a reclamation batch) and how far a
    /// miss probes before the map shows the key absent.
    pub fn is_seed_dependent(self) -> bool {
        matches!(self, Kind::Update | Kind::GetMiss | Kind::InsertRemove)
    }

    /// The kind a probe path (`kind/strategy-id`) names.
    pub fn of_path(path: &str) -> Option<Kind> {
        let (name, _) = path.split_once('/')?;
        [Kind::Read, Kind::Update, Kind::GetHit, Kind::GetMiss, Kind::InsertRemove]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// The measured operation: called once per iteration.
pub type Op = Box<dyn FnMut()>;

/// One path of one strategy.
pub struct Probe {
    /// `kind/strategy-id`, e.g. `read/arc-swap-cache`.
    pub path: String,
    /// The path.
    pub kind: Kind,
    /// The strategy's catalogue id.
    pub strategy: &'static str,
    /// The symbol of the function that does the work.
    pub symbol: &'static str,
    /// Why its count is not the same from run to run, so it is
    /// disassembled but not counted; `None` for every path whose count is.
    pub not_counted: Option<&'static str>,
    make: Box<dyn Fn() -> Op + Send + Sync>,
}

impl Probe {
    /// Whether callgrind counts this probe: only where its count is the
    /// same from run to run (see [`not_counted`](Self::not_counted)). The
    /// wall-clock report's allocation column covers the others.
    pub fn counted(&self) -> bool {
        self.not_counted.is_none()
    }

    /// A fresh strategy, populated and with its reader, ready to repeat the path.
    pub fn prepare(&self) -> Op {
        (self.make)()
    }
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("path", &self.path)
            .field("symbol", &self.symbol)
            .finish_non_exhaustive()
    }
}

/// Why an actor's count varies: a read waits on another thread, and how
/// long it spins before it sleeps depends on the schedule.
const WAITS: &str = "waits-on-another-thread";
/// Why these maps' counts vary: how far a probe runs, and when the table
/// grows, depends on the hash seed each run draws (a papaya miss took 107
/// or 437 instructions in five runs of the same binary).
const SEEDED: &str = "layout-depends-on-the-hash-seed";
/// Why `family`'s probes are not counted, if they are not; `seeded`:
/// [`Registry::LAYOUT_VARIES_WITH_SEED`].
fn not_counted(family: Family, seeded: bool) -> Option<&'static str> {
    if family == Family::Channel {
        Some(WAITS)
    } else if seeded {
        Some(SEEDED)
    } else {
        None
    }
}

/// How many processes a registry probe registers first. Gets cycle through
/// as many ids (registered ones for a hit, others for a miss), so a count
/// averages over hash positions rather than hang on where one id landed.
pub const REGISTERED: u64 = 64;
/// The first id a miss asks for: none from here on is registered.
const FIRST_MISS: u64 = 1 << 40;

fn process(id: u64) -> ProcessState {
    ProcessState::new(ProcessId(id), format!("p{id}"))
}

/// Runs `op` `iterations` times.
#[inline(never)]
pub fn measure(iterations: u64, op: &mut dyn FnMut()) {
    for _ in 0..iterations {
        op();
    }
}

/// What the `inject-regression` feature adds to one read: 16 instructions
/// the optimizer cannot remove, as many again as arc-swap Cache's hit
/// itself executes (a 2x regression of the read).
#[cfg(feature = "inject-regression")]
#[inline(always)]
fn injected_work() {
    let mut sum = 0u64;
    for i in 0..12 {
        sum = black_box(sum.wrapping_add(i));
    }
    black_box(sum);
}

fn read_probe<S: StateStore, E: 'static>(
    strategy: &'static str,
    symbol: &'static str,
    family: Family,
    read: fn(&mut S::Reader) -> Result<Status, E>,
) -> Probe {
    Probe {
        path: format!("read/{strategy}"),
        kind: Kind::Read,
        strategy,
        symbol,
        not_counted: not_counted(family, false),
        make: Box::new(move || {
            let store = S::new(process(1));
            let mut reader = store.reader();
            Box::new(move || {
                black_box(read(black_box(&mut reader)).is_ok());
                black_box(&store);
            })
        }),
    }
}

fn update_probe<S: StateStore, T: 'static>(
    strategy: &'static str,
    symbol: &'static str,
    family: Family,
    update: fn(&S) -> T,
) -> Probe {
    Probe {
        path: format!("update/{strategy}"),
        kind: Kind::Update,
        strategy,
        symbol,
        not_counted: not_counted(family, false),
        make: Box::new(move || {
            let store = S::new(process(1));
            // A reader, as every store has in use (left-right's writer
            // waits on them, arc-swap's debts are theirs).
            let reader = store.reader();
            Box::new(move || {
                black_box(update(black_box(&store)));
                black_box(&reader);
            })
        }),
    }
}

fn populated<R: Registry>() -> R {
    let registry = R::new();
    for id in 0..REGISTERED {
        registry.insert(process(id)).expect("fresh ids");
    }
    registry
}

fn get_probe<R: Registry, E: 'static>(
    kind: Kind,
    strategy: &'static str,
    symbol: &'static str,
    family: Family,
    get: fn(&mut R::Reader, ProcessId) -> Result<Option<Status>, E>,
) -> Probe {
    let first = if kind == Kind::GetHit { 0 } else { FIRST_MISS };
    Probe {
        path: format!("{}/{strategy}", kind.name()),
        kind,
        strategy,
        symbol,
        not_counted: not_counted(family, R::LAYOUT_VARIES_WITH_SEED),
        make: Box::new(move || {
            let registry = populated::<R>();
            let mut reader = registry.reader();
            let mut ids = (0..REGISTERED).cycle().map(move |i| ProcessId(first + i));
            Box::new(move || {
                let id = ids.next().expect("cycles forever");
                black_box(get(black_box(&mut reader), id).is_ok());
                black_box(&registry);
            })
        }),
    }
}

fn insert_remove_probe<R: Registry>(
    strategy: &'static str,
    symbol: &'static str,
    family: Family,
    insert_remove: fn(&R, ProcessState) -> Result<ProcessState, RemoveError>,
) -> Probe {
    Probe {
        path: format!("insert-remove/{strategy}"),
        kind: Kind::InsertRemove,
        strategy,
        symbol,
        not_counted: not_counted(family, R::LAYOUT_VARIES_WITH_SEED),
        make: Box::new(move || {
            let registry = populated::<R>();
            let template = process(REGISTERED);
            Box::new(move || {
                black_box(insert_remove(black_box(&registry), template.clone()).is_ok());
            })
        }),
    }
}

// `export_name` is an unsafe attribute because two items exporting one name
// would clash at link time; every name here is its kind plus the catalogue's
// module name, which the catalogue keeps unique.

/// Defines `$list() -> Vec<Probe>`: a read and an update probe per store.
macro_rules! store_probes {
    ($list:ident; $($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        $(
            mod $module {
                use super::*;

                #[unsafe(export_name = concat!("procstore_probe_read_", stringify!($module)))]
                #[inline(never)]
                pub(super) fn read(
                    reader: &mut <$ty as StateStore>::Reader,
                ) -> Result<Status, <<$ty as StateStore>::Reader as StateReader>::Error> {
                    #[cfg(feature = "inject-regression")]
                    if stringify!($module) == "arc_swap_cache" {
                        injected_work();
                    }
                    reader.status()
                }

                #[unsafe(export_name = concat!("procstore_probe_update_", stringify!($module)))]
                #[inline(never)]
                pub(super) fn update(
                    store: &$ty,
                ) -> Result<ProcessState, procstore_core::UpdateError<procstore_core::TransitionError>> {
                    store.update(restart_cycle)
                }
            }
        )+

        fn $list() -> Vec<Probe> {
            vec![$(
                read_probe::<$ty, _>(
                    $id, concat!("procstore_probe_read_", stringify!($module)), Family::$family, $module::read,
                ),
                update_probe::<$ty, _>(
                    $id, concat!("procstore_probe_update_", stringify!($module)), Family::$family, $module::update,
                ),
            )+]
        }
    };
}

/// Defines `$list() -> Vec<Probe>`: get hit, get miss and insert-remove per registry.
macro_rules! registry_probes {
    ($list:ident; $($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        $(
            mod $module {
                use super::*;

                #[unsafe(export_name = concat!("procstore_probe_get_", stringify!($module)))]
                #[inline(never)]
                pub(super) fn get(
                    reader: &mut <$ty as Registry>::Reader,
                    id: ProcessId,
                ) -> Result<Option<Status>, <<$ty as Registry>::Reader as RegistryReader>::Error> {
                    reader.status(id)
                }

                #[unsafe(export_name = concat!("procstore_probe_insert_remove_", stringify!($module)))]
                #[inline(never)]
                pub(super) fn insert_remove(registry: &$ty, state: ProcessState) -> Result<ProcessState, RemoveError> {
                    let id = state.id();
                    registry.insert(state).map_err(|error| RemoveError { id: error.id })?;
                    registry.remove(id)
                }
            }
        )+

        fn $list() -> Vec<Probe> {
            vec![$(
                get_probe::<$ty, _>(
                    Kind::GetHit, $id, concat!("procstore_probe_get_", stringify!($module)), Family::$family,
                    $module::get,
                ),
                get_probe::<$ty, _>(
                    Kind::GetMiss, $id, concat!("procstore_probe_get_", stringify!($module)), Family::$family,
                    $module::get,
                ),
                insert_remove_probe::<$ty>(
                    $id, concat!("procstore_probe_insert_remove_", stringify!($module)), Family::$family,
                    $module::insert_remove,
                ),
            )+]
        }
    };
}

macro_rules! catalog_stores {
    ($($entries:tt)+) => { store_probes!(catalog_store_probes; $($entries)+); };
}
macro_rules! catalog_registries {
    ($($entries:tt)+) => { registry_probes!(catalog_registry_probes; $($entries)+); };
}
with_stores!(catalog_stores);
with_registries!(catalog_registries);

// The floors: the leaky pointer a Go atomic.Pointer load compares with, and
// the immutable map the registries are held to.
store_probes!(floor_store_probes; leaky_atomic_ptr: "leaky-atomic-ptr", "", Floor, LeakyFloor;);
registry_probes!(floor_registry_probes; immutable_map: "immutable-map", "", Floor, ImmutableMapFloor;);

/// Every probe: each store's read and update (the leaky floor last), then
/// each registry's get hit, get miss and insert-remove (the immutable-map
/// floor last).
pub fn all() -> Vec<Probe> {
    let mut probes = catalog_store_probes();
    probes.extend(floor_store_probes());
    probes.extend(catalog_registry_probes());
    probes.extend(floor_registry_probes());
    probes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_has_its_paths_and_every_probe_runs() {
        let probes = all();
        let stores = procstore_catalog::STORES.len() + 1;
        let registries = procstore_catalog::REGISTRIES.len() + 1;
        assert_eq!(probes.len(), 2 * stores + 3 * registries);
        assert!(probes.iter().all(|p| p.symbol.starts_with(SYMBOL_PREFIX)));
        let reason = |strategy: &str| {
            let mut reasons = probes.iter().filter(|p| p.strategy == strategy).map(|p| p.not_counted);
            let first = reasons.next().expect("the strategy has probes");
            assert!(reasons.all(|r| r == first), "{strategy}: one reason for every path");
            first
        };
        // The map type declares it, through HandleRegistry, whatever the store.
        for seeded in ["handles-papaya", "handles-papaya-seqlock", "handles-scc-index"] {
            assert_eq!(reason(seeded), Some(SEEDED), "{seeded}");
        }
        for counted in
            ["std-rwlock-map", "dashmap", "handles-dashmap", "handles-cow-map-seqlock", "arc-swap-cache"]
        {
            assert_eq!(reason(counted), None, "{counted}");
        }
        let mut paths: Vec<&str> = probes.iter().map(|p| p.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), probes.len(), "paths are unique");
        for probe in &probes {
            let mut op = probe.prepare();
            measure(3, &mut op);
        }
    }
}
