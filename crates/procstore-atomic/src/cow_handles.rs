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
//! still current (one pointer compare). A get is then one lookup in the
//! reader's own table and one read of the store.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache};
use procstore_core::{
    InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError,
    StateReader, StateStore, Tenant,
};

use crate::FastHash;
use crate::cow_registry::rcu;

type Snapshot<S, H> = HashMap<ProcessId, Arc<Tenant<S>>, H>;
type Shared<S, H> = Arc<ArcSwap<Snapshot<S, H>>>;

/// Every process's own store `S` in an immutable map behind arc-swap,
/// replaced whole when a process is added or removed (a transition writes
/// only its store).
///
/// Each reader keeps, per process, its own reader of the store (an arc-swap
/// `Cache`, a hazard pointer), indexed by id and rebuilt when the map
/// changes. A steady-state read allocates and registers nothing; after an
/// add or remove, each reader's next read rebuilds its index, O(processes),
/// as the write itself copied the map.
pub struct CowHandles<S, H = FastHash> {
    map: Shared<S, H>,
}

/// A reader of a [`CowHandles`]: the snapshot it last saw, and its own
/// reader of each store in that snapshot.
pub struct CowHandlesReader<S: StateStore, H = FastHash> {
    map: Cache<Shared<S, H>, Arc<Snapshot<S, H>>>,
    /// The snapshot `stores` was built from.
    indexed: Arc<Snapshot<S, H>>,
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
        CowHandles { map: Arc::new(ArcSwap::from_pointee(Snapshot::with_hasher(H::default()))) }
    }

    fn reader(&self) -> Self::Reader {
        let mut map = Cache::new(Arc::clone(&self.map));
        let indexed = Arc::clone(map.load());
        let stores = index(&indexed, HashMap::with_hasher(H::default()));
        CowHandlesReader { map, indexed, stores }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        let id = state.id();
        let tenant = Arc::new(Tenant::new(state));
        rcu(&self.map, |map| match map.contains_key(&id) {
            true => Err(InsertError { id }),
            false => Ok(map.insert(id, Arc::clone(&tenant))),
        })
        .map(|_| ())
    }

    fn update<E, F>(&self, id: ProcessId, f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let tenant = self.map.load().get(&id).cloned().ok_or(RegistryUpdateError::NotFound(id))?;
        tenant.update(id, f)
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let tenant = rcu(&self.map, |map| map.remove(&id).ok_or(RemoveError { id }))?;
        Ok(tenant.close())
    }
}

/// A reader of every store in `snapshot`, reusing those of `old` whose
/// tenant is still there and dropping the rest (so a removed process's
/// state is not kept alive).
fn index<S: StateStore, H: BuildHasher + Default>(
    snapshot: &Snapshot<S, H>,
    mut old: HashMap<ProcessId, Indexed<S>, H>,
) -> HashMap<ProcessId, Indexed<S>, H> {
    let mut stores = HashMap::with_capacity_and_hasher(snapshot.len(), H::default());
    for (&id, tenant) in snapshot {
        let indexed = match old.remove(&id) {
            Some(kept) if Arc::ptr_eq(&kept.tenant, tenant) => kept,
            _ => Indexed { tenant: Arc::clone(tenant), reader: tenant.store().reader() },
        };
        stores.insert(id, indexed);
    }
    stores
}

impl<S, H> CowHandlesReader<S, H>
where
    S: StateStore,
    H: BuildHasher + Default,
{
    /// Brings `stores` up to the current snapshot: a pointer compare unless
    /// a process was added or removed since the last read.
    #[inline]
    fn refresh(&mut self) {
        let current = self.map.load();
        if !Arc::ptr_eq(current, &self.indexed) {
            self.indexed = Arc::clone(current);
            self.stores = index(&self.indexed, std::mem::take(&mut self.stores));
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
        let mut all = self
            .stores
            .values_mut()
            .map(|indexed| indexed.reader.snapshot())
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn len(&mut self) -> Result<usize, Self::Error> {
        Ok(self.map.load().len())
    }
}
