//! A registry on DashMap: a sharded `HashMap`, one `RwLock` per shard.

use std::convert::Infallible;
use std::sync::Arc;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use procstore_core::{
    FastHash, InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError,
    RemoveError,
};

/// Every process's state in a DashMap.
///
/// DashMap's `Ref` guards hold a shard lock; none of them leaves this type
/// (reads run a closure, `list` copies), so no caller can hold one across
/// another call and deadlock the shard. The closures of `get` and
/// `for_each` run under a shard's read lock, so they must not call into
/// the registry (as the trait says).
#[derive(Debug)]
pub struct DashMapRegistry {
    map: Arc<DashMap<ProcessId, ProcessState, FastHash>>,
}

/// A reader of a [`DashMapRegistry`]: a second handle on the same map.
#[derive(Debug)]
pub struct DashMapRegistryReader {
    map: Arc<DashMap<ProcessId, ProcessState, FastHash>>,
}

impl Registry for DashMapRegistry {
    type Reader = DashMapRegistryReader;

    fn new() -> Self {
        DashMapRegistry { map: Arc::new(DashMap::default()) }
    }

    fn reader(&self) -> Self::Reader {
        DashMapRegistryReader { map: Arc::clone(&self.map) }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        match self.map.entry(state.id()) {
            Entry::Occupied(_) => Err(InsertError { id: state.id() }),
            Entry::Vacant(slot) => {
                slot.insert(state);
                Ok(())
            }
        }
    }

    fn update<E, F>(&self, id: ProcessId, mut f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        // The shard stays write-locked while `f` runs, so updates of one key
        // are serialized; DashMap's lock does not poison if `f` panics.
        let mut current = self.map.get_mut(&id).ok_or(RegistryUpdateError::NotFound(id))?;
        let next = current.successor(&mut f)?;
        *current = next.clone();
        Ok(next)
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        self.map.remove(&id).map(|(_, state)| state).ok_or(RemoveError { id })
    }
}

impl RegistryReader for DashMapRegistryReader {
    type Error = Infallible;

    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Infallible> {
        Ok(self.map.get(&id).map(|state| f(&state)))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Infallible> {
        let mut all: Vec<ProcessState> = self.map.iter().map(|entry| entry.value().clone()).collect();
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, mut f: impl FnMut(&ProcessState)) -> Result<(), Infallible> {
        self.map.iter().for_each(|entry| f(entry.value()));
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Infallible> {
        Ok(self.map.len())
    }
}
