//! The two-level store and registry contracts every strategy implements.
//!
//! A store (or registry) is shared by all threads and performs updates. Each
//! thread asks it once for a reader handle, which owns whatever its strategy
//! needs per thread (a hazard pointer, an `arc_swap::Cache`, a reply
//! channel), so the hot read path allocates and registers nothing.
//!
//! Reads go through a closure, so no lock guard, shard reference or
//! hazard-protected borrow escapes: nothing a caller holds can deadlock the
//! store or pin memory across another call. The closure runs while the
//! strategy's protection is held, so it must not call back into the same
//! store; copy out what you need (or call `snapshot`) and act afterwards.
//!
//! Updates take `f(&current) -> Result<ProcessState, E>` and publish its
//! result atomically: concurrent updates never lose one another. `f` may run
//! more than once (a CAS loop retries it on a race), so it should be a pure
//! function of `current`; lock-based stores and DashMap run it under their
//! lock, so it must not call back into the same store either. If `f` panics, the panic reaches the caller and the
//! store keeps its previous state, unpoisoned, for every later call.

use crate::error::{InsertError, RegistryUpdateError, RemoveError, Stopped, UpdateError};
use crate::state::{ProcessId, ProcessState};
use crate::status::{Status, StatusCounts};

/// One process's state, shared between threads.
pub trait StateStore: Send + Sync + Sized + 'static {
    /// The per-thread read handle.
    type Reader: StateReader;

    /// Whether the states it keeps alive stay within a bound whatever its
    /// readers do. `false` for epoch-based reclamation: one reader that
    /// stays inside a read, or is descheduled there, holds back every state
    /// retired meanwhile. The conformance suite holds every store with
    /// `true` to its bound during a write storm, and every store to
    /// reclaiming once its readers have left.
    const GARBAGE_IS_BOUNDED: bool = true;

    /// A store that publishes `initial`.
    fn new(initial: ProcessState) -> Self;

    /// A read handle for one thread. Call it once per thread, never in a hot loop.
    fn reader(&self) -> Self::Reader;

    /// Atomically replaces the state with `current.successor(f)` and returns
    /// what was published. The publish is a release: a read that returns
    /// the new state happens after everything the updating thread did
    /// before the update (the registries of handles rely on it).
    ///
    /// # Errors
    ///
    /// What [`ProcessState::successor`] refuses; nothing is published.
    fn update<E, F>(&self, f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>;
}

/// A thread's read handle on a [`StateStore`].
///
/// Readers own their resources, so they may outlive the store: reads then
/// return the last published state, or [`Stopped`] for stores whose state
/// lived on a thread that has stopped. They never hang.
pub trait StateReader: Send + 'static {
    /// Why a read can fail: [`Infallible`](std::convert::Infallible) where
    /// the state outlives every reader, [`Stopped`] where it lives on a
    /// thread that stops. Either converts into [`Stopped`], for code that
    /// mixes strategies.
    type Error: std::error::Error + Into<Stopped> + PartialEq + Send + Sync + 'static;

    /// Runs `f` on the current state.
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Self::Error>;

    /// The current lifecycle status (the Go record's `GetStatus`).
    #[inline]
    fn status(&mut self) -> Result<Status, Self::Error> {
        self.read(ProcessState::status)
    }

    /// An owned copy of the current state.
    #[inline]
    fn snapshot(&mut self) -> Result<ProcessState, Self::Error> {
        self.read(ProcessState::clone)
    }
}

/// Every managed process's state by [`ProcessId`], shared between threads.
pub trait Registry: Send + Sync + Sized + 'static {
    /// The per-thread read handle.
    type Reader: RegistryReader;

    /// Whether how far a lookup probes, and when the table grows, depends on
    /// the hash seed the map draws, enough that one operation executes a
    /// different number of instructions from run to run (a papaya miss took
    /// 107 or 437 in five runs of one binary). Only the instruction-count
    /// gate reads it: it disassembles such a registry's paths but does not
    /// count them.
    const LAYOUT_VARIES_WITH_SEED: bool = false;

    /// An empty registry.
    fn new() -> Self;

    /// A read handle for one thread. Call it once per thread, never in a hot loop.
    fn reader(&self) -> Self::Reader;

    /// Registers `state` under its id.
    ///
    /// # Errors
    ///
    /// [`InsertError`] (and no change) if the id is taken. Of concurrent
    /// inserts of one id, exactly one succeeds.
    fn insert(&self, state: ProcessState) -> Result<(), InsertError>;

    /// Atomically replaces the state of `id` with `current.successor(f)`
    /// and returns what was published. `f` may run more than once, and
    /// must not call into the same registry: several hold a lock (on the
    /// map, a shard or the process) while it runs.
    ///
    /// # Errors
    ///
    /// [`RegistryUpdateError::NotFound`] if `id` is not registered, else
    /// what [`ProcessState::successor`] refuses; nothing is published.
    fn update<E, F>(&self, id: ProcessId, f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>;

    /// Unregisters `id` and returns its last state.
    ///
    /// # Errors
    ///
    /// [`RemoveError`] if `id` is not registered.
    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError>;
}

/// A thread's read handle on a [`Registry`].
///
/// Like a [`StateReader`], it may outlive its registry and never hangs.
pub trait RegistryReader: Send + 'static {
    /// Why a read can fail (see [`StateReader::Error`]).
    type Error: std::error::Error + Into<Stopped> + PartialEq + Send + Sync + 'static;

    /// Runs `f` on the state of `id`; `Ok(None)` if `id` is not registered.
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R)
    -> Result<Option<R>, Self::Error>;

    /// Every registered state, sorted by id.
    fn list(&mut self) -> Result<Vec<ProcessState>, Self::Error>;

    /// Runs `f` on every registered state, in no set order: what
    /// [`list`](Self::list) would return, without copying a state, for
    /// searches and summaries. This provided method copies through `list`;
    /// every registry here overrides it except the actors, whose states
    /// live on their own thread. A steady-state pass allocates nothing,
    /// except DashMap's iterator (one `Arc` per shard) and a registry of
    /// handles reading a process for the first time (it makes its reader).
    ///
    /// `f` must not call into the same registry: several hold a lock (on
    /// the map, a shard or a store) while it runs, so keep it short too.
    /// On `Err`, `f` may have run on some of the states.
    fn for_each(&mut self, f: impl FnMut(&ProcessState)) -> Result<(), Self::Error> {
        self.list()?.iter().for_each(f);
        Ok(())
    }

    /// The process running as OS process `pid`, if any: a copy of its
    /// state. This provided method is one [`for_each`](Self::for_each)
    /// pass that copies only the match (but on the actors, whose pass
    /// copies every state); the registries of handles answer from each
    /// process's summary and read only the matching store.
    fn by_pid(&mut self, pid: u32) -> Result<Option<ProcessState>, Self::Error> {
        let mut found = None;
        self.for_each(|state| {
            if found.is_none() && state.pid() == Some(pid) {
                found = Some(state.clone());
            }
        })?;
        Ok(found)
    }

    /// How many processes are in each status, each counted once. This
    /// provided method is one [`for_each`](Self::for_each) pass; the
    /// registries of handles count each process's summary, reading a
    /// store only where an update is in flight.
    fn counts(&mut self) -> Result<StatusCounts, Self::Error> {
        let mut counts = StatusCounts::default();
        self.for_each(|state| counts.add(state.status()))?;
        Ok(counts)
    }

    /// How many processes are registered.
    fn len(&mut self) -> Result<usize, Self::Error>;

    /// Whether no process is registered.
    fn is_empty(&mut self) -> Result<bool, Self::Error> {
        Ok(self.len()? == 0)
    }

    /// The status of `id`; `Ok(None)` if `id` is not registered.
    #[inline]
    fn status(&mut self, id: ProcessId) -> Result<Option<Status>, Self::Error> {
        self.get(id, ProcessState::status)
    }
}
