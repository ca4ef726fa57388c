//! A copy-on-write registry: an immutable `HashMap` behind arc-swap, read
//! through a per-reader `Cache`, replaced whole by every write.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache, Guard};
use procstore_core::{
    FastHash, InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError,
    RemoveError,
};

type Map = HashMap<ProcessId, Arc<ProcessState>, FastHash>;

/// Every process's state in an immutable map that each write copies.
///
/// Reads cost what an [`ArcSwapCacheStore`](crate::ArcSwapCacheStore) read
/// costs plus a hash lookup; a write copies the map (one reference-count
/// increment per entry), so this fits registries that change rarely.
#[derive(Debug)]
pub struct CowRegistry {
    map: Arc<ArcSwap<Map>>,
}

/// A reader of a [`CowRegistry`]: pins the last map it saw until its next
/// read or its drop.
#[derive(Debug)]
pub struct CowRegistryReader {
    cache: Cache<Arc<ArcSwap<Map>>, Arc<Map>>,
}

/// Replaces the value in `cell` with `edit(copy of the current one)` by a
/// CAS loop; an error from `edit` leaves it as it was. The copy-on-write
/// registry and the copy-on-write handles both write this way.
pub(crate) fn rcu<M: Clone, T, E>(
    cell: &ArcSwap<M>,
    mut edit: impl FnMut(&mut M) -> Result<T, E>,
) -> Result<T, E> {
    let mut current = cell.load_full();
    loop {
        let mut next = M::clone(&current);
        let result = edit(&mut next)?;
        // Holding `current` keeps its address from being reused: no ABA.
        let previous = cell.compare_and_swap(&current, Arc::new(next));
        if Arc::ptr_eq(&previous, &current) {
            return Ok(result);
        }
        current = Guard::into_inner(previous);
    }
}

impl CowRegistry {
    fn rcu<T, E>(&self, edit: impl FnMut(&mut Map) -> Result<T, E>) -> Result<T, E> {
        rcu(&self.map, edit)
    }
}

impl Registry for CowRegistry {
    type Reader = CowRegistryReader;

    fn new() -> Self {
        CowRegistry { map: Arc::new(ArcSwap::from_pointee(Map::default())) }
    }

    fn reader(&self) -> Self::Reader {
        CowRegistryReader { cache: Cache::new(Arc::clone(&self.map)) }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        let id = state.id();
        let state = Arc::new(state);
        self.rcu(|map| {
            if map.contains_key(&id) {
                return Err(InsertError { id });
            }
            map.insert(id, Arc::clone(&state));
            Ok(())
        })
    }

    fn update<E, F>(&self, id: ProcessId, mut f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        self.rcu(|map| {
            let slot = map.get_mut(&id).ok_or(RegistryUpdateError::NotFound(id))?;
            let next = slot.successor(&mut f)?;
            *slot = Arc::new(next.clone());
            Ok(next)
        })
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let removed = self.rcu(|map| map.remove(&id).ok_or(RemoveError { id }))?;
        Ok(Arc::unwrap_or_clone(removed))
    }
}

impl RegistryReader for CowRegistryReader {
    type Error = Infallible;

    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Infallible> {
        Ok(self.cache.load().get(&id).map(|state| f(state)))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Infallible> {
        let mut all: Vec<ProcessState> = self.cache.load().values().map(|s| ProcessState::clone(s)).collect();
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, mut f: impl FnMut(&ProcessState)) -> Result<(), Infallible> {
        self.cache.load().values().for_each(|state| f(state));
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Infallible> {
        Ok(self.cache.load().len())
    }
}
