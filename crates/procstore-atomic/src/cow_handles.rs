//! Process stores in a copy-on-write map, each reader indexing its own
//! readers of them.
//!
//! A [`HandleRegistry`](procstore_core::HandleRegistry) finds a process in
//! the shared map, then its own reader of that process's store in a second,
//! per-reader table: two lookups and, with many processes, two more cache
//! misses than a plain map read. A copy-on-write map can skip the first: its
//! snapshot changes only when a process is added or removed, so a reader
//! keeps one table from id to its reader of the store, built from the
//! snapshot it last saw, and on each read only checks that the snapshot is
//! still current (its version compared). A get is then one lookup in the
//! reader's own table and one read of the store.
//!
//! Each snapshot also records the ids its last few writes added or
//! removed, so a reader that fell a few writes behind updates just those
//! entries of its table; only one further behind rebuilds it whole.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache};
use procstore_core::{
    FastHash, InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError,
    RemoveError, StateReader, StateStore, StatusCounts, Tenant,
};

use crate::cow_registry::rcu;

type Tenants<S, H> = HashMap<ProcessId, Arc<Tenant<S>>, H>;
type Shared<S, H> = Arc<ArcSwap<Snapshot<S, H>>>;

/// How many writes back a snapshot remembers which ids changed.
const LOGGED_WRITES: usize = 32;

/// One version of the map, and which ids its latest writes changed.
struct Snapshot<S, H> {
    tenants: Tenants<S, H>,
    /// How many writes (adds and removes) made this snapshot.
    version: u64,
    /// The id that write `v` added or removed is at `v % LOGGED_WRITES`,
    /// for the last `LOGGED_WRITES` writes.
    changed: [ProcessId; LOGGED_WRITES],
}

impl<S, H: Clone> Clone for Snapshot<S, H> {
    fn clone(&self) -> Self {
        Snapshot { tenants: self.tenants.clone(), version: self.version, changed: self.changed }
    }
}

impl<S, H> Snapshot<S, H> {
    /// Notes that the write making this snapshot added or removed `id`.
    fn log(&mut self, id: ProcessId) {
        self.version += 1;
        self.changed[(self.version % LOGGED_WRITES as u64) as usize] = id;
    }

    /// The ids the writes since snapshot version `older` changed, if it is
    /// recent enough for this snapshot to remember them all.
    fn changed_since(&self, older: u64) -> Option<impl Iterator<Item = ProcessId> + '_> {
        let behind = self.version.checked_sub(older)?;
        (behind <= LOGGED_WRITES as u64)
            .then(|| (older + 1..=self.version).map(|v| self.changed[(v % LOGGED_WRITES as u64) as usize]))
    }
}

/// Every process's own store `S` in an immutable map behind arc-swap,
/// replaced whole when a process is added or removed (a transition writes
/// only its store).
///
/// Each reader keeps, per process, its own reader of the store (an arc-swap
/// `Cache`, a hazard pointer), indexed by id. A steady-state read allocates
/// and registers nothing. After an add or remove, each reader's next read
/// updates the entries of the ids changed since its last read: O(1) per
/// write, until a reader falls more than 32 writes behind; then it rebuilds
/// its index, O(processes), as each write itself copied the map. Counts
/// and searches by pid read each process's summary (see [`Tenant`]), and
/// a store only where the pid matches or an update is in flight.
pub struct CowHandles<S, H = FastHash> {
    map: Shared<S, H>,
}

/// A reader of a [`CowHandles`]: the snapshot it last saw, and its own
/// reader of each store in that snapshot.
pub struct CowHandlesReader<S: StateStore, H = FastHash> {
    /// The snapshot this reader last loaded, which the cache holds (so the
    /// last reader to move on from a snapshot frees it).
    map: Cache<Shared<S, H>, Arc<Snapshot<S, H>>>,
    /// The version of the snapshot `stores` was built from: a read compares
    /// it with the cache's, and updates `stores` only when they differ.
    indexed: u64,
    stores: HashMap<ProcessId, Indexed<S>, H>,
}

/// This reader's reader of one tenant's store.
struct Indexed<S: StateStore> {
    /// Tells a process removed and added back under its id from itself.
    tenant: Arc<Tenant<S>>,
    reader: S::Reader,
}

impl<S, H> fmt::Debug for CowHandles<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CowHandles").finish_non_exhaustive()
    }
}

impl<S: StateStore, H> fmt::Debug for CowHandlesReader<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CowHandlesReader").field("indexed_stores", &self.stores.len()).finish_non_exhaustive()
    }
}

impl<S, H> Registry for CowHandles<S, H>
where
    S: StateStore,
    H: BuildHasher + Clone + Default + Send + Sync + 'static,
{
    type Reader = CowHandlesReader<S, H>;

    fn new() -> Self {
        let empty = Snapshot {
            tenants: Tenants::with_hasher(H::default()),
            version: 0,
            // Placeholders: no reader asks for writes before the first.
            changed: [ProcessId(0); LOGGED_WRITES],
        };
        CowHandles { map: Arc::new(ArcSwap::from_pointee(empty)) }
    }

    fn reader(&self) -> Self::Reader {
        let mut map = Cache::new(Arc::clone(&self.map));
        let current = map.load();
        let (indexed, stores) =
            (current.version, index(&current.tenants, HashMap::with_hasher(H::default())));
        CowHandlesReader { map, indexed, stores }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        let id = state.id();
        let tenant = Arc::new(Tenant::new(state));
        rcu(&self.map, |map| {
            if map.tenants.contains_key(&id) {
                return Err(InsertError { id });
            }
            map.tenants.insert(id, Arc::clone(&tenant));
            map.log(id);
            Ok(())
        })
    }

    fn update<E, F>(&self, id: ProcessId, f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let tenant = self.map.load().tenants.get(&id).cloned().ok_or(RegistryUpdateError::NotFound(id))?;
        tenant.update(id, f)
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let tenant = rcu(&self.map, |map| {
            let tenant = map.tenants.remove(&id).ok_or(RemoveError { id })?;
            map.log(id);
            Ok(tenant)
        })?;
        Ok(tenant.close())
    }
}

/// A reader of every store in `snapshot`, reusing those of `old` whose
/// tenant is still there and dropping the rest (so a removed process's
/// state is not kept alive).
fn index<S: StateStore, H: BuildHasher + Default>(
    tenants: &Tenants<S, H>,
    mut old: HashMap<ProcessId, Indexed<S>, H>,
) -> HashMap<ProcessId, Indexed<S>, H> {
    let mut stores = HashMap::with_capacity_and_hasher(tenants.len(), H::default());
    for (&id, tenant) in tenants {
        let indexed = match old.remove(&id) {
            Some(kept) if Arc::ptr_eq(&kept.tenant, tenant) => kept,
            _ => Indexed::new(tenant),
        };
        stores.insert(id, indexed);
    }
    stores
}

impl<S: StateStore> Indexed<S> {
    fn new(tenant: &Arc<Tenant<S>>) -> Self {
        Indexed { tenant: Arc::clone(tenant), reader: tenant.reader() }
    }
}

impl<S, H> CowHandlesReader<S, H>
where
    S: StateStore,
    H: BuildHasher + Default,
{
    /// Brings `stores` up to the current snapshot: a version compare unless
    /// a process was added or removed since the last read.
    #[inline]
    fn refresh(&mut self) {
        let current = self.map.load();
        if current.version != self.indexed {
            Self::catch_up(&mut self.stores, self.indexed, current);
            self.indexed = current.version;
        }
    }

    /// Updates the entries of `stores` for the ids changed since snapshot
    /// version `indexed` (the others have the same tenant in both), or,
    /// that many writes behind, rebuilds the whole table.
    #[cold]
    fn catch_up(stores: &mut HashMap<ProcessId, Indexed<S>, H>, indexed: u64, current: &Snapshot<S, H>) {
        let Some(changed) = current.changed_since(indexed) else {
            *stores = index(&current.tenants, std::mem::take(stores));
            return;
        };
        for id in changed {
            match current.tenants.get(&id) {
                None => {
                    stores.remove(&id);
                }
                Some(tenant) => match stores.get(&id) {
                    Some(kept) if Arc::ptr_eq(&kept.tenant, tenant) => {}
                    _ => {
                        stores.insert(id, Indexed::new(tenant));
                    }
                },
            }
        }
    }
}

impl<S, H> RegistryReader for CowHandlesReader<S, H>
where
    S: StateStore,
    H: BuildHasher + Default + Send + Sync + 'static,
{
    /// What a read of one of the stores can fail with.
    type Error = <S::Reader as StateReader>::Error;

    #[inline]
    fn get<R>(
        &mut self,
        id: ProcessId,
        f: impl FnOnce(&ProcessState) -> R,
    ) -> Result<Option<R>, Self::Error> {
        self.refresh();
        self.stores.get_mut(&id).map(|indexed| indexed.reader.read(f)).transpose()
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Self::Error> {
        self.refresh();
        // Sized up front: collecting through `Result` would grow it in steps.
        let mut all = Vec::with_capacity(self.stores.len());
        for indexed in self.stores.values_mut() {
            all.push(indexed.reader.snapshot()?);
        }
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, mut f: impl FnMut(&ProcessState)) -> Result<(), Self::Error> {
        self.refresh();
        self.stores.values_mut().try_for_each(|indexed| indexed.reader.read(&mut f))
    }

    /// Reads each process's summary, and a store only where the pid
    /// matches or an update is in flight.
    fn by_pid(&mut self, pid: u32) -> Result<Option<ProcessState>, Self::Error> {
        self.refresh();
        for Indexed { tenant, reader } in self.stores.values_mut() {
            if let Some(found) = tenant.running_as(pid, || reader)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Counts each process's summary, reading a store only where an update
    /// is in flight.
    fn counts(&mut self) -> Result<StatusCounts, Self::Error> {
        self.refresh();
        self.stores.values_mut().map(|Indexed { tenant, reader }| tenant.status(|| reader.status())).collect()
    }

    fn len(&mut self) -> Result<usize, Self::Error> {
        Ok(self.map.load().tenants.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArcSwapCacheStore;

    type Handles = CowHandles<ArcSwapCacheStore>;

    /// What `reader` indexes: each id and the tenant its reader reads.
    fn indexed(reader: &CowHandlesReader<ArcSwapCacheStore>) -> Vec<(ProcessId, usize)> {
        let mut all: Vec<_> =
            reader.stores.iter().map(|(&id, indexed)| (id, Arc::as_ptr(&indexed.tenant) as usize)).collect();
        all.sort_unstable();
        all
    }

    /// A reader that fell behind by any number of writes (within the log,
    /// at its edge, past it) indexes exactly what a new reader does: adds,
    /// removes, and ids removed and added back as a new tenant.
    #[test]
    fn a_reader_behind_by_any_number_of_writes_catches_up_to_a_new_readers_index() {
        let counts = [1, 2, 3, LOGGED_WRITES - 1, LOGGED_WRITES, LOGGED_WRITES + 1, 3 * LOGGED_WRITES];
        for behind in counts {
            let registry = Handles::new();
            for id in 0..8 {
                registry.insert(ProcessState::new(ProcessId(id), "first")).expect("insert");
            }
            let mut reader = registry.reader();
            assert!(reader.status(ProcessId(0)).is_ok());
            // Exactly `behind` writes: a new id every fourth, else one of
            // the first seven removed, or added back if it was. (The log's
            // window itself is the next test's.)
            for write in 0..behind as u64 {
                let id = ProcessId(write * 5 % 7);
                if write % 4 == 3 {
                    registry.insert(ProcessState::new(ProcessId(100 + write), "new")).expect("insert");
                } else if registry.remove(id).is_err() {
                    registry.insert(ProcessState::new(id, "again")).expect("insert");
                }
            }
            assert!(reader.status(ProcessId(0)).is_ok());
            assert_eq!(indexed(&reader), indexed(&registry.reader()), "{behind} writes behind");
            let fresh = registry.reader().list().expect("list");
            assert_eq!(reader.list().expect("list"), fresh, "{behind} writes behind");
        }
    }

    /// The log names the ids of exactly the writes since a snapshot up to
    /// `LOGGED_WRITES` back, and nothing for one further back.
    #[test]
    fn the_log_gives_the_writes_since_a_snapshot_within_its_length() {
        let mut snapshot = Snapshot::clone(&Handles::new().map.load_full());
        let mut versions = vec![snapshot.clone()];
        for id in 1..=80 {
            snapshot.log(ProcessId(id));
            versions.push(snapshot.clone());
        }
        for older in &versions {
            let behind = snapshot.version - older.version;
            let changed: Option<Vec<u64>> =
                snapshot.changed_since(older.version).map(|ids| ids.map(|id| id.0).collect());
            let expected = (behind <= LOGGED_WRITES as u64).then(|| (older.version + 1..=80).collect());
            assert_eq!(changed, expected, "{behind} writes behind");
        }
    }
}
