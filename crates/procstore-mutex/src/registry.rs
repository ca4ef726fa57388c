use std::any::type_name;
use std::collections::hash_map::Entry;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use procstore_core::{
    InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError,
};

use crate::{Lock, ProcessMap};

/// Every process's state in a `HashMap` under one lock `L`.
pub struct LockRegistry<L> {
    map: Arc<L>,
}

/// A reader of a [`LockRegistry`]: a second handle on the same lock.
pub struct LockRegistryReader<L> {
    map: Arc<L>,
}

impl<L: Lock<ProcessMap>> Registry for LockRegistry<L> {
    type Reader = LockRegistryReader<L>;

    fn new() -> Self {
        LockRegistry { map: Arc::new(L::new(ProcessMap::default())) }
    }

    fn reader(&self) -> Self::Reader {
        LockRegistryReader { map: Arc::clone(&self.map) }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        self.map.write(|map| match map.entry(state.id()) {
            Entry::Occupied(_) => Err(InsertError { id: state.id() }),
            Entry::Vacant(slot) => {
                slot.insert(state);
                Ok(())
            }
        })
    }

    fn update<E, F>(&self, id: ProcessId, mut f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        self.map.write(|map| {
            let current = map.get_mut(&id).ok_or(RegistryUpdateError::NotFound(id))?;
            let next = current.successor(&mut f)?;
            *current = next.clone();
            Ok(next)
        })
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        self.map.write(|map| map.remove(&id)).ok_or(RemoveError { id })
    }
}

impl<L: Lock<ProcessMap>> RegistryReader for LockRegistryReader<L> {
    type Error = Infallible;

    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Infallible> {
        Ok(self.map.read(|map| map.get(&id).map(f)))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Infallible> {
        let mut all: Vec<ProcessState> = self.map.read(|map| map.values().cloned().collect());
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, f: impl FnMut(&ProcessState)) -> Result<(), Infallible> {
        self.map.read(|map| map.values().for_each(f));
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Infallible> {
        Ok(self.map.read(ProcessMap::len))
    }
}

impl<L: Lock<ProcessMap>> fmt::Debug for LockRegistry<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockRegistry").field("lock", &type_name::<L>()).finish_non_exhaustive()
    }
}

impl<L: Lock<ProcessMap>> fmt::Debug for LockRegistryReader<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockRegistryReader").field("lock", &type_name::<L>()).finish_non_exhaustive()
    }
}
