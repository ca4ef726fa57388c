//! The registry of handles: each process's state lives in its own store,
//! and a concurrent map holds the stores.
//!
//! This is the Go record's design (a `sync.Map` of processes whose state is
//! an atomic pointer): a transition writes only its process's store, so
//! readers of the map never hold a writer up; the map changes only when a
//! process is added or removed. Compare the registries of values, where
//! every transition writes the map.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use crate::error::{InsertError, RegistryUpdateError, RemoveError};
use crate::state::{ProcessId, ProcessState};
use crate::status::{Status, StatusCounts};
use crate::sync::{AtomicU64, Mutex};
use crate::traits::{Registry, RegistryReader, StateReader, StateStore};

/// A concurrent map from process ids to handles: the map half of a
/// [`HandleRegistry`]. Values are cheap to clone (an `Arc`).
pub trait HandleMap<V: Clone + Send + Sync + 'static>: Send + Sync + Sized + 'static {
    /// The per-thread read handle.
    type Reader: HandleMapReader<V>;

    /// [`Registry::LAYOUT_VARIES_WITH_SEED`] of a [`HandleRegistry`] on this map.
    const LAYOUT_VARIES_WITH_SEED: bool = false;

    /// An empty map.
    fn new() -> Self;

    /// A read handle for one thread.
    fn reader(&self) -> Self::Reader;

    /// Inserts `value` under `id` unless `id` is taken, else hands it back.
    /// Of concurrent inserts of one id, exactly one succeeds.
    fn insert(&self, id: ProcessId, value: V) -> Result<(), V>;

    /// A clone of the value of `id`: the writers' lookup.
    fn get_cloned(&self, id: ProcessId) -> Option<V>;

    /// Removes `id` and returns its value.
    fn remove(&self, id: ProcessId) -> Option<V>;
}

/// A thread's read handle on a [`HandleMap`].
pub trait HandleMapReader<V>: Send + 'static {
    /// Runs `f` on the value of `id`, if present.
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&V) -> R) -> Option<R>;

    /// Runs `f` on every value, in no particular order.
    fn for_each(&mut self, f: impl FnMut(&V));

    /// How many values the map holds.
    fn len(&mut self) -> usize;

    /// Whether the map holds no value.
    fn is_empty(&mut self) -> bool {
        self.len() == 0
    }
}

/// One process's store in a registry of handles, closed to updates once
/// removed: no update publishes after its process's removal returned.
///
/// Beside the store it keeps the process's summary (status and pid), so a
/// count or a search by pid reads one word per process, not every store.
/// An update marks the summary in flight before it publishes, and a reader
/// that finds the mark reads the store instead: so a thread that has read
/// a state never gets an older answer from the summary afterwards.
pub struct Tenant<S> {
    store: S,
    /// Set by [`Tenant::close`]. Updates hold it too, so they publish one
    /// at a time and the summary follows them in order.
    removed: Mutex<bool>,
    /// [`Summary`], packed: the last published state's, or in flight.
    summary: AtomicU64,
}

/// What a read of a tenant's store can fail with.
type ReadError<S> = <<S as StateStore>::Reader as StateReader>::Error;

impl<S: StateStore> Tenant<S> {
    /// A tenant whose store starts at `state`.
    pub fn new(state: ProcessState) -> Self {
        let summary = AtomicU64::new(Summary::of(&state).packed());
        Tenant { store: S::new(state), removed: Mutex::new(false), summary }
    }

    /// A reader of the process's store.
    pub fn reader(&self) -> S::Reader {
        self.store.reader()
    }

    /// Applies `f` to the store, unless the process `id` was removed. `f`
    /// must not call into this tenant (its lock is held).
    pub fn update<E, F>(&self, id: ProcessId, f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let removed = self.removed.lock().unwrap_or_else(PoisonError::into_inner);
        if *removed {
            return Err(RegistryUpdateError::NotFound(id));
        }
        // Marked before the publish, which orders the mark before the new
        // state for every reader that sees that state: such a reader then
        // finds the mark (or the new summary), never the old summary.
        // Relaxed: the lock orders the writers. A panic in `f` leaves the
        // mark, so readers read the store until the next update.
        let settled = self.summary.load(Ordering::Relaxed);
        self.summary.store(settled | Summary::IN_FLIGHT, Ordering::Relaxed);
        let published = self.store.update(f);
        let summary = published.as_ref().map_or(settled, |state| Summary::of(state).packed());
        // Release: a reader that loads this summary then reads this state,
        // or a later one, from the store.
        self.summary.store(summary, Ordering::Release);
        Ok(published?)
    }

    /// The process's status: from its summary, or, while an update is in
    /// flight, what `read_store` reads from the store.
    pub fn status<E>(&self, read_store: impl FnOnce() -> Result<Status, E>) -> Result<Status, E> {
        match self.summary() {
            Some(summary) => Ok(summary.status),
            None => read_store(),
        }
    }

    /// A copy of the process's state if it runs as `pid`. The store
    /// decides, read through the reader `reader` gives, and only where the
    /// summary has that pid or an update is in flight.
    pub fn running_as<'r>(
        &self,
        pid: u32,
        reader: impl FnOnce() -> &'r mut S::Reader,
    ) -> Result<Option<ProcessState>, ReadError<S>> {
        if self.summary().is_some_and(|summary| summary.pid != Some(pid)) {
            return Ok(None);
        }
        reader().read(|state| (state.pid() == Some(pid)).then(|| state.clone()))
    }

    /// The last published state's summary; `None` while an update is in flight.
    fn summary(&self) -> Option<Summary> {
        Summary::unpacked(self.summary.load(Ordering::Acquire))
    }

    /// Closes the store to updates, once any in flight has published, and
    /// returns its last state: call it after taking the tenant out of its
    /// map.
    pub fn close(&self) -> ProcessState {
        let mut removed = self.removed.lock().unwrap_or_else(PoisonError::into_inner);
        *removed = true;
        let Ok(last) = self.store.reader().snapshot() else {
            unreachable!("a store answers while its owner holds it")
        };
        last
    }
}

/// A process's status and pid, packed in one word so that they are read
/// together: the pid in the low 32 bits, whether there is one in bit 32,
/// the status's index in [`Status::ALL`] above, and the top bit set while
/// an update is in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Summary {
    status: Status,
    pid: Option<u32>,
}

impl Summary {
    const HAS_PID: u64 = 1 << 32;
    const STATUS_SHIFT: u32 = 33;
    const IN_FLIGHT: u64 = 1 << 63;

    fn of(state: &ProcessState) -> Summary {
        Summary { status: state.status(), pid: state.pid() }
    }

    fn packed(self) -> u64 {
        let pid = self.pid.map_or(0, |pid| Summary::HAS_PID | u64::from(pid));
        pid | (self.status as u64) << Summary::STATUS_SHIFT
    }

    /// The summary `word` holds; `None` if it is marked in flight.
    fn unpacked(word: u64) -> Option<Summary> {
        if word & Summary::IN_FLIGHT != 0 {
            return None;
        }
        let pid = (word & Summary::HAS_PID != 0).then_some(word as u32);
        Some(Summary { status: Status::ALL[(word >> Summary::STATUS_SHIFT) as usize], pid })
    }
}

impl<S> fmt::Debug for Tenant<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").finish_non_exhaustive()
    }
}

/// One process: its store, and what readers need to find their own reader
/// of it.
pub struct Handle<S> {
    tenant: Tenant<S>,
    /// Index of this handle's reader in every registry reader's cache;
    /// reused after removal, so `generation` tells tenants apart.
    slot: usize,
    /// Unique per handle for the registry's lifetime.
    generation: u64,
}

impl<S> fmt::Debug for Handle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("slot", &self.slot).field("generation", &self.generation).finish()
    }
}

/// Every process's own store `S`, in a concurrent map `M`.
///
/// Reads find the process in the map and read its store through the
/// calling thread's own reader of that store (an arc-swap `Cache`, a hazard
/// pointer), made on the thread's first read of the process and kept, so a
/// steady-state read allocates and registers nothing. `list` and
/// `for_each` read every store; `counts` and `by_pid` read each process's
/// summary (status and pid) instead, and a store only where the pid
/// matches or an update is in flight.
/// Updates write only the process's store and summary.
pub struct HandleRegistry<S, M> {
    map: Arc<M>,
    slots: Mutex<Slots>,
    generations: AtomicU64,
    _stores: std::marker::PhantomData<fn() -> S>,
}

#[derive(Debug, Default)]
struct Slots {
    free: Vec<usize>,
    next: usize,
}

/// A reader of a [`HandleRegistry`]: the map's reader, and this thread's
/// readers of the stores it has read, by slot.
pub struct HandleRegistryReader<S: StateStore, M: HandleMap<Arc<Handle<S>>>> {
    map: M::Reader,
    stores: Vec<Option<CachedReader<S::Reader>>>,
    /// How many passes over every store (`for_each`, `list`) this reader
    /// has made: a cached reader not stamped with the latest belongs to a
    /// removed process.
    lists: u64,
    /// The last list's length, so the next allocates once.
    last_len: usize,
}

/// This thread's reader of one handle's store.
struct CachedReader<R> {
    generation: u64,
    /// The number of the last pass that saw the handle.
    listed: u64,
    reader: R,
}

impl<S, M> fmt::Debug for HandleRegistry<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleRegistry").finish_non_exhaustive()
    }
}

impl<S: StateStore, M: HandleMap<Arc<Handle<S>>>> fmt::Debug for HandleRegistryReader<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleRegistryReader")
            .field("cached_stores", &self.stores.len())
            .finish_non_exhaustive()
    }
}

impl<S: StateStore, M: HandleMap<Arc<Handle<S>>>> HandleRegistry<S, M> {
    fn take_slot(&self) -> usize {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.free.pop().unwrap_or_else(|| {
            slots.next += 1;
            slots.next - 1
        })
    }

    fn free_slot(&self, slot: usize) {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).free.push(slot);
    }
}

impl<S: StateStore, M: HandleMap<Arc<Handle<S>>>> Registry for HandleRegistry<S, M> {
    type Reader = HandleRegistryReader<S, M>;

    const LAYOUT_VARIES_WITH_SEED: bool = M::LAYOUT_VARIES_WITH_SEED;

    fn new() -> Self {
        HandleRegistry {
            map: Arc::new(M::new()),
            slots: Mutex::new(Slots::default()),
            generations: AtomicU64::new(0),
            _stores: std::marker::PhantomData,
        }
    }

    fn reader(&self) -> Self::Reader {
        HandleRegistryReader { map: self.map.reader(), stores: Vec::new(), lists: 0, last_len: 0 }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        let id = state.id();
        let handle = Arc::new(Handle {
            tenant: Tenant::new(state),
            slot: self.take_slot(),
            generation: self.generations.fetch_add(1, Ordering::Relaxed),
        });
        self.map.insert(id, handle).map_err(|lost| {
            self.free_slot(lost.slot);
            InsertError { id }
        })
    }

    fn update<E, F>(&self, id: ProcessId, f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        // The map is not held while `f` runs: a lock map's lock would be.
        let handle = self.map.get_cloned(id).ok_or(RegistryUpdateError::NotFound(id))?;
        handle.tenant.update(id, f)
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let handle = self.map.remove(id).ok_or(RemoveError { id })?;
        let last = handle.tenant.close();
        self.free_slot(handle.slot);
        Ok(last)
    }
}

impl<S: StateStore, M: HandleMap<Arc<Handle<S>>>> HandleRegistryReader<S, M> {
    /// This thread's reader of `handle`'s store, made on first use (stamped
    /// with pass number `listed`). A pass over every store sets `stamp` to
    /// mark every reader it saw; `get` does not, so a hit writes nothing: a
    /// reader made since the last pass carries that pass's number, and the
    /// next pass stamps it before it drops the unstamped.
    fn store_reader<'r>(
        stores: &'r mut Vec<Option<CachedReader<S::Reader>>>,
        handle: &Handle<S>,
        listed: u64,
        stamp: bool,
    ) -> &'r mut S::Reader {
        if stores.len() <= handle.slot {
            stores.resize_with(handle.slot + 1, || None);
        }
        let cached = &mut stores[handle.slot];
        match cached {
            Some(c) if c.generation == handle.generation => {
                if stamp {
                    c.listed = listed;
                }
            }
            _ => {
                *cached = Some(CachedReader {
                    generation: handle.generation,
                    listed,
                    reader: handle.tenant.reader(),
                })
            }
        }
        &mut cached.as_mut().expect("just filled").reader
    }
}

impl<S: StateStore, M: HandleMap<Arc<Handle<S>>>> RegistryReader for HandleRegistryReader<S, M> {
    /// What a read of one of the stores can fail with.
    type Error = <S::Reader as StateReader>::Error;

    #[inline]
    fn get<R>(
        &mut self,
        id: ProcessId,
        f: impl FnOnce(&ProcessState) -> R,
    ) -> Result<Option<R>, Self::Error> {
        let (stores, listed) = (&mut self.stores, self.lists);
        self.map.get(id, |handle| Self::store_reader(stores, handle, listed, false).read(f)).transpose()
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Self::Error> {
        let mut all = Vec::with_capacity(self.last_len);
        self.for_each(|state| all.push(state.clone()))?;
        self.last_len = all.len();
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, mut f: impl FnMut(&ProcessState)) -> Result<(), Self::Error> {
        self.lists += 1;
        let (stores, listed) = (&mut self.stores, self.lists);
        let mut stopped = None;
        self.map.for_each(|handle| {
            if let Err(e) = Self::store_reader(stores, handle, listed, true).read(&mut f) {
                stopped = Some(e);
            }
        });
        // Forget the readers of removed processes (this pass did not see
        // them), so they free what they hold.
        for cached in stores.iter_mut() {
            if cached.as_ref().is_some_and(|c| c.listed != listed) {
                *cached = None;
            }
        }
        stopped.map_or(Ok(()), Err)
    }

    /// Reads each process's summary, and a store only where the pid
    /// matches or an update is in flight.
    fn by_pid(&mut self, pid: u32) -> Result<Option<ProcessState>, Self::Error> {
        let (stores, listed) = (&mut self.stores, self.lists);
        let mut found = Ok(None);
        self.map.for_each(|handle| {
            if matches!(found, Ok(None)) {
                found = handle.tenant.running_as(pid, || Self::store_reader(stores, handle, listed, false));
            }
        });
        found
    }

    /// Counts each process's summary, reading a store only where an update
    /// is in flight.
    fn counts(&mut self) -> Result<StatusCounts, Self::Error> {
        let (stores, listed) = (&mut self.stores, self.lists);
        let mut counts = StatusCounts::default();
        let mut stopped = None;
        self.map.for_each(|handle| {
            match handle.tenant.status(|| Self::store_reader(stores, handle, listed, false).status()) {
                Ok(status) => counts.add(status),
                Err(e) => stopped = Some(e),
            }
        });
        stopped.map_or(Ok(counts), Err)
    }

    fn len(&mut self) -> Result<usize, Self::Error> {
        Ok(self.map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_round_trips_every_status_and_pid_and_the_mark_hides_it() {
        for status in Status::ALL {
            for pid in [None, Some(0), Some(1), Some(u32::MAX)] {
                let summary = Summary { status, pid };
                assert_eq!(Summary::unpacked(summary.packed()), Some(summary));
                assert_eq!(Summary::unpacked(summary.packed() | Summary::IN_FLIGHT), None);
            }
        }
    }
}
