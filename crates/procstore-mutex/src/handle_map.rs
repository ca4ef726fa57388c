//! An [`IdMap`] under one lock, as the map of a [`HandleRegistry`].
//!
//! [`HandleRegistry`]: procstore_core::HandleRegistry

use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::Arc;

use procstore_core::{HandleMap, HandleMapReader, ProcessId};

use crate::{IdMap, Lock};

/// Process handles in an [`IdMap`] under one lock `L`. Transitions never
/// take it: only adding or removing a process writes it.
pub struct LockMap<L> {
    map: Arc<L>,
}

impl<L> fmt::Debug for LockMap<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockMap").finish_non_exhaustive()
    }
}

impl<V, L> HandleMap<V> for LockMap<L>
where
    V: Clone + Send + Sync + 'static,
    L: Lock<IdMap<V>>,
{
    type Reader = LockMap<L>;

    fn new() -> Self {
        LockMap { map: Arc::new(L::new(IdMap::default())) }
    }

    fn reader(&self) -> Self::Reader {
        LockMap { map: Arc::clone(&self.map) }
    }

    fn insert(&self, id: ProcessId, value: V) -> Result<(), V> {
        self.map.write(|map| match map.entry(id) {
            Entry::Occupied(_) => Err(value),
            Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
        })
    }

    fn get_cloned(&self, id: ProcessId) -> Option<V> {
        self.map.read(|map| map.get(&id).cloned())
    }

    fn remove(&self, id: ProcessId) -> Option<V> {
        self.map.write(|map| map.remove(&id))
    }
}

impl<V, L> HandleMapReader<V> for LockMap<L>
where
    V: Clone + Send + Sync + 'static,
    L: Lock<IdMap<V>>,
{
    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.read(|map| map.get(&id).map(f))
    }

    fn for_each(&mut self, mut f: impl FnMut(&V)) {
        self.map.read(|map| map.values().for_each(&mut f));
    }

    fn len(&mut self) -> usize {
        self.map.read(|map| map.len())
    }
}
