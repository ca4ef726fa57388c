//! A copy-on-write registry: an immutable `HashMap` behind arc-swap,
//! replaced whole by every write, and read either through a per-reader
//! `Cache` or by one arc-swap `load` per read.

use std::collections::HashMap;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache, Guard};
use procstore_core::{
    FastHash, InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError,
    RemoveError,
};

type Map = HashMap<ProcessId, Arc<ProcessState>, FastHash>;

/// Every process's state in an immutable map that each write copies.
///
/// A write copies the map (one reference-count increment per entry), so
/// this fits registries that change rarely; the writer never waits for a
/// reader, and a reader never waits at all. `P` is how a reader reaches the
/// current map:
///
/// - [`ReadThroughCache`] (the default): a read that finds the map
///   unchanged costs what an [`ArcSwapCacheStore`](crate::ArcSwapCacheStore)
///   read costs, plus a hash lookup. A read that finds it replaced takes a
///   reference to the new map and drops the one it held, which may be the
///   last, so under frequent writes readers pay those reference counts
///   and free the maps.
/// - [`ReadByLoad`]: every read is an arc-swap `load`, as an
///   [`ArcSwapStore`](crate::ArcSwapStore) read, and nothing is held
///   between reads. The writer frees the map it replaced, unless a read
///   was under way then: that read's end frees it.
#[derive(Debug)]
pub struct CowRegistry<P = ReadThroughCache> {
    map: Arc<ArcSwap<Map>>,
    path: PhantomData<fn() -> P>,
}

/// A reader of a [`CowRegistry`]; how it reads is `P`'s.
#[derive(Debug)]
pub struct CowRegistryReader<P = ReadThroughCache> {
    path: P,
}

/// How a reader of a [`CowRegistry`] reaches the current map:
/// [`ReadThroughCache`] or [`ReadByLoad`]. Sealed: the registry relies on
/// these two alone.
pub trait CowReadPath: Send + 'static + sealed::ReadPath {}

mod sealed {
    use super::{Arc, ArcSwap, Map};

    /// What a [`CowReadPath`](super::CowReadPath) does, out of the public API.
    pub trait ReadPath {
        fn new(map: Arc<ArcSwap<Map>>) -> Self;
        fn with<R>(&mut self, f: impl FnOnce(&Map) -> R) -> R;
    }
}

/// A [`CowRegistry`] read through an arc-swap `Cache`: the reader pins the
/// last map it saw until its next read or its drop.
#[derive(Debug)]
pub struct ReadThroughCache(Cache<Arc<ArcSwap<Map>>, Arc<Map>>);

/// A [`CowRegistry`] read by one arc-swap `load`: the reader pins nothing
/// between reads.
#[derive(Debug)]
pub struct ReadByLoad(Arc<ArcSwap<Map>>);

impl CowReadPath for ReadThroughCache {}
impl CowReadPath for ReadByLoad {}

impl sealed::ReadPath for ReadThroughCache {
    fn new(map: Arc<ArcSwap<Map>>) -> Self {
        ReadThroughCache(Cache::new(map))
    }

    #[inline]
    fn with<R>(&mut self, f: impl FnOnce(&Map) -> R) -> R {
        f(self.0.load())
    }
}

impl sealed::ReadPath for ReadByLoad {
    fn new(map: Arc<ArcSwap<Map>>) -> Self {
        ReadByLoad(map)
    }

    #[inline]
    fn with<R>(&mut self, f: impl FnOnce(&Map) -> R) -> R {
        f(&self.0.load())
    }
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

impl<P> CowRegistry<P> {
    fn rcu<T, E>(&self, edit: impl FnMut(&mut Map) -> Result<T, E>) -> Result<T, E> {
        rcu(&self.map, edit)
    }
}

impl<P: CowReadPath> Registry for CowRegistry<P> {
    type Reader = CowRegistryReader<P>;

    fn new() -> Self {
        CowRegistry { map: Arc::new(ArcSwap::from_pointee(Map::default())), path: PhantomData }
    }

    fn reader(&self) -> Self::Reader {
        CowRegistryReader { path: <P as sealed::ReadPath>::new(Arc::clone(&self.map)) }
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

impl<P: CowReadPath> RegistryReader for CowRegistryReader<P> {
    type Error = Infallible;

    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Infallible> {
        Ok(self.path.with(|map| map.get(&id).map(|state| f(state))))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Infallible> {
        let mut all: Vec<ProcessState> =
            self.path.with(|map| map.values().map(|s| ProcessState::clone(s)).collect());
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, mut f: impl FnMut(&ProcessState)) -> Result<(), Infallible> {
        self.path.with(|map| map.values().for_each(|state| f(state)));
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Infallible> {
        Ok(self.path.with(|map| map.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many copies of a removed process's state are still alive: once
    /// the removal's own is dropped, and again after the reader that read
    /// the process reads once more. Counted by its name's references.
    fn states_alive_after_removal<P: CowReadPath>() -> (usize, usize) {
        let name: Arc<str> = Arc::from("counted");
        let registry = CowRegistry::<P>::new();
        let mut reader = registry.reader();
        registry.insert(ProcessState::new(ProcessId(1), Arc::clone(&name))).expect("insert");
        let Ok(seen) = reader.get(ProcessId(1), |state| state.id());
        assert_eq!(seen, Some(ProcessId(1)));
        drop(registry.remove(ProcessId(1)).expect("remove"));
        let before_next_read = Arc::strong_count(&name) - 1;
        let Ok(len) = reader.len();
        assert_eq!(len, 0);
        (before_next_read, Arc::strong_count(&name) - 1)
    }

    /// A `Cache` reader keeps the last map it saw, and the state in it,
    /// until it reads again; a reader that loads per read keeps nothing
    /// between reads, so here the writer frees what it replaced.
    #[test]
    fn only_a_cache_reader_pins_the_map_it_last_read() {
        assert_eq!(states_alive_after_removal::<ReadThroughCache>(), (1, 0));
        assert_eq!(states_alive_after_removal::<ReadByLoad>(), (0, 0));
    }
}
