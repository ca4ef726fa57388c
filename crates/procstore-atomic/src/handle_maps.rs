//! The lock-free and sharded maps a [`HandleRegistry`] can keep its
//! process stores in: papaya, scc's `HashIndex`, DashMap and a
//! copy-on-write map. (The copy-on-write map also has a registry of its
//! own, [`CowHandles`](crate::CowHandles), whose readers skip the shared
//! map by indexing their readers of the stores: each add or remove then
//! costs every reader work, where here a reader makes its reader of a new
//! store on its first read of it.)
//!
//! [`HandleRegistry`]: procstore_core::HandleRegistry

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache};

use procstore_core::{FastHash, Handle, HandleMap, HandleMapReader, HandleRegistry, ProcessId};

use crate::cow_registry::rcu;

/// papaya's lock-free map: readers and writers never block each other;
/// memory is reclaimed by seize (each read enters and leaves a guard).
pub struct PapayaMap<V, H = FastHash> {
    map: Arc<papaya::HashMap<ProcessId, V, H>>,
}

impl<V, H> std::fmt::Debug for PapayaMap<V, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PapayaMap").finish_non_exhaustive()
    }
}

impl<V, H> HandleMap<V> for PapayaMap<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Default + Send + Sync + 'static,
{
    type Reader = PapayaMap<V, H>;

    const LAYOUT_VARIES_WITH_SEED: bool = true;

    fn new() -> Self {
        PapayaMap { map: Arc::new(papaya::HashMap::with_hasher(H::default())) }
    }

    fn reader(&self) -> Self::Reader {
        PapayaMap { map: Arc::clone(&self.map) }
    }

    fn insert(&self, id: ProcessId, value: V) -> Result<(), V> {
        self.map.pin().try_insert(id, value).map(|_| ()).map_err(|taken| taken.not_inserted)
    }

    fn get_cloned(&self, id: ProcessId) -> Option<V> {
        self.map.pin().get(&id).cloned()
    }

    fn remove(&self, id: ProcessId) -> Option<V> {
        self.map.pin().remove(&id).cloned()
    }
}

impl<V, H> HandleMapReader<V> for PapayaMap<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Send + Sync + 'static,
{
    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.pin().get(&id).map(f)
    }

    fn for_each(&mut self, mut f: impl FnMut(&V)) {
        self.map.pin().iter().for_each(|(_, v)| f(v));
    }

    fn len(&mut self) -> usize {
        self.map.len()
    }
}

/// scc's `HashIndex`: reads are lock-free (epoch-protected by sdd); writers
/// lock one bucket.
pub struct SccIndexMap<V, H: BuildHasher = FastHash> {
    map: Arc<scc::HashIndex<ProcessId, V, H>>,
}

impl<V, H: BuildHasher> std::fmt::Debug for SccIndexMap<V, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SccIndexMap").finish_non_exhaustive()
    }
}

impl<V, H> HandleMap<V> for SccIndexMap<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Default + Send + Sync + 'static,
{
    type Reader = SccIndexMap<V, H>;

    const LAYOUT_VARIES_WITH_SEED: bool = true;

    fn new() -> Self {
        SccIndexMap { map: Arc::new(scc::HashIndex::with_hasher(H::default())) }
    }

    fn reader(&self) -> Self::Reader {
        SccIndexMap { map: Arc::clone(&self.map) }
    }

    fn insert(&self, id: ProcessId, value: V) -> Result<(), V> {
        self.map.insert_sync(id, value).map_err(|(_, value)| value)
    }

    fn get_cloned(&self, id: ProcessId) -> Option<V> {
        self.map.peek_with(&id, |_, v| v.clone())
    }

    fn remove(&self, id: ProcessId) -> Option<V> {
        let mut removed = None;
        self.map.remove_if_sync(&id, |v| {
            removed = Some(v.clone());
            true
        });
        removed
    }
}

impl<V, H> HandleMapReader<V> for SccIndexMap<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Send + Sync + 'static,
{
    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.peek_with(&id, |_, v| f(v))
    }

    fn for_each(&mut self, mut f: impl FnMut(&V)) {
        let guard = scc::Guard::new();
        self.map.iter(&guard).for_each(|(_, v)| f(v));
    }

    fn len(&mut self) -> usize {
        self.map.len()
    }
}

/// DashMap: one `RwLock` per shard. A handle registry writes it only to
/// add or remove a process, so its writer-starving shard locks matter far
/// less than in [`DashMapRegistry`](crate::DashMapRegistry).
pub struct DashMapHandles<V, H = FastHash> {
    map: Arc<dashmap::DashMap<ProcessId, V, H>>,
}

impl<V, H> std::fmt::Debug for DashMapHandles<V, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashMapHandles").finish_non_exhaustive()
    }
}

impl<V, H> HandleMap<V> for DashMapHandles<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Clone + Default + Send + Sync + 'static,
{
    type Reader = DashMapHandles<V, H>;

    fn new() -> Self {
        DashMapHandles { map: Arc::new(dashmap::DashMap::with_hasher(H::default())) }
    }

    fn reader(&self) -> Self::Reader {
        DashMapHandles { map: Arc::clone(&self.map) }
    }

    fn insert(&self, id: ProcessId, value: V) -> Result<(), V> {
        match self.map.entry(id) {
            dashmap::Entry::Occupied(_) => Err(value),
            dashmap::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
        }
    }

    fn get_cloned(&self, id: ProcessId) -> Option<V> {
        self.map.get(&id).map(|v| v.clone())
    }

    fn remove(&self, id: ProcessId) -> Option<V> {
        self.map.remove(&id).map(|(_, v)| v)
    }
}

impl<V, H> HandleMapReader<V> for DashMapHandles<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Clone + Send + Sync + 'static,
{
    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.get(&id).map(|v| f(&v))
    }

    fn for_each(&mut self, mut f: impl FnMut(&V)) {
        self.map.iter().for_each(|entry| f(entry.value()));
    }

    fn len(&mut self) -> usize {
        self.map.len()
    }
}

/// An immutable `HashMap` behind arc-swap, copied whole by each insert and
/// remove; each reader reads it through its own arc-swap `Cache`, one load
/// and a compare while nothing changed.
pub struct CowMap<V, H = FastHash> {
    map: SharedMap<V, H>,
}

type IdMap<V, H> = HashMap<ProcessId, V, H>;
type SharedMap<V, H> = Arc<ArcSwap<IdMap<V, H>>>;

/// A reader of a [`CowMap`]: pins the map it last read until its next read.
pub struct CowMapReader<V, H = FastHash> {
    map: Cache<SharedMap<V, H>, Arc<IdMap<V, H>>>,
}

impl<V, H> std::fmt::Debug for CowMap<V, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CowMap").finish_non_exhaustive()
    }
}

impl<V, H> std::fmt::Debug for CowMapReader<V, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CowMapReader").finish_non_exhaustive()
    }
}

impl<V, H> HandleMap<V> for CowMap<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Clone + Default + Send + Sync + 'static,
{
    type Reader = CowMapReader<V, H>;

    fn new() -> Self {
        CowMap { map: Arc::new(ArcSwap::from_pointee(HashMap::with_hasher(H::default()))) }
    }

    fn reader(&self) -> Self::Reader {
        CowMapReader { map: Cache::new(Arc::clone(&self.map)) }
    }

    fn insert(&self, id: ProcessId, value: V) -> Result<(), V> {
        // A clone per try: the CAS loop may run the edit again.
        rcu(&self.map, |map| match map.entry(id) {
            Entry::Occupied(_) => Err(()),
            Entry::Vacant(slot) => {
                slot.insert(value.clone());
                Ok(())
            }
        })
        .map_err(|()| value)
    }

    fn get_cloned(&self, id: ProcessId) -> Option<V> {
        self.map.load().get(&id).cloned()
    }

    fn remove(&self, id: ProcessId) -> Option<V> {
        rcu(&self.map, |map| map.remove(&id).ok_or(())).ok()
    }
}

impl<V, H> HandleMapReader<V> for CowMapReader<V, H>
where
    V: Clone + Send + Sync + 'static,
    H: BuildHasher + Send + Sync + 'static,
{
    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.load().get(&id).map(f)
    }

    fn for_each(&mut self, f: impl FnMut(&V)) {
        self.map.load().values().for_each(f);
    }

    fn len(&mut self) -> usize {
        self.map.load().len()
    }
}

/// Process stores `S` in a [`PapayaMap`].
pub type PapayaHandles<S, H = FastHash> = HandleRegistry<S, PapayaMap<Arc<Handle<S>>, H>>;
/// Process stores `S` in an [`SccIndexMap`].
pub type SccIndexHandles<S, H = FastHash> = HandleRegistry<S, SccIndexMap<Arc<Handle<S>>, H>>;
/// Process stores `S` in a [`DashMapHandles`] map.
pub type DashMapHandleRegistry<S, H = FastHash> = HandleRegistry<S, DashMapHandles<Arc<Handle<S>>, H>>;
/// Process stores `S` in a [`CowMap`].
pub type CowMapHandles<S, H = FastHash> = HandleRegistry<S, CowMap<Arc<Handle<S>>, H>>;
