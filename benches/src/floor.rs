//! Lower bounds measured beside the stores: never stores themselves.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use procstore_catalog::{RegistryVisitor, StoreVisitor, floors};
use procstore_core::{
    InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError,
    StateReader, StateStore, UpdateError,
};

/// A raw `AtomicPtr` whose replaced states are kept until the store is
/// dropped: a read is one acquire load, the physical limit of the Go
/// record's "Atomic" row. Memory grows with every update, so the harness
/// only runs it under a paced writer.
pub struct LeakyFloor {
    shared: Arc<FloorShared>,
}

struct FloorShared {
    current: AtomicPtr<ProcessState>,
    /// Every state ever published; freed only when the last handle goes.
    #[expect(
        clippy::vec_box,
        reason = "readers point into the boxes; growing a Vec<ProcessState> would move them"
    )]
    graveyard: Mutex<Vec<Box<ProcessState>>>,
}

/// A reader of a [`LeakyFloor`].
pub struct LeakyFloorReader {
    shared: Arc<FloorShared>,
}

impl StateStore for LeakyFloor {
    type Reader = LeakyFloorReader;

    /// It frees nothing until it is dropped.
    const GARBAGE_IS_BOUNDED: bool = false;

    fn new(initial: ProcessState) -> Self {
        let mut first = Box::new(initial);
        let current = AtomicPtr::new(&mut *first);
        LeakyFloor { shared: Arc::new(FloorShared { current, graveyard: Mutex::new(vec![first]) }) }
    }

    fn reader(&self) -> Self::Reader {
        LeakyFloorReader { shared: Arc::clone(&self.shared) }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let mut graveyard = self.shared.graveyard.lock().expect("floor graveyard");
        let current = graveyard.last().expect("never empty");
        let mut next = Box::new(current.successor(&mut f)?);
        let published = ProcessState::clone(&next);
        self.shared.current.store(&mut *next, Ordering::Release);
        graveyard.push(next);
        Ok(published)
    }
}

impl StateReader for LeakyFloorReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        let state = self.shared.current.load(Ordering::Acquire);
        // SAFETY: `state` points into a box in the graveyard, published with
        // release ordering after it was written; boxes are freed only when
        // `FloorShared` drops, and this reader holds it.
        Ok(f(unsafe { &*state }))
    }
}

impl std::fmt::Debug for LeakyFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeakyFloor").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for LeakyFloorReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeakyFloorReader").finish_non_exhaustive()
    }
}

/// A bare request/reply round trip over a channel flavor with a reused reply
/// channel and an echo thread: the channel rows without any store.
///
/// The echo thread ends when the server and all its clients are dropped.
#[derive(Debug)]
pub struct EchoServer<S> {
    requests: S,
}

macro_rules! echo_flavor {
    ($server:ident, $client:ident, $krate:ident) => {
        /// The echo server of this flavor.
        pub type $server = EchoServer<$krate::Sender<$krate::Sender<u64>>>;

        impl $server {
            /// Starts the echo thread.
            pub fn start() -> Self {
                let (requests, inbox) =
                    $krate::bounded::<$krate::Sender<u64>>(procstore_channel::REQUEST_QUEUE);
                thread::spawn(move || {
                    while let Ok(reply) = inbox.recv() {
                        let _ = reply.send(1);
                    }
                });
                EchoServer { requests }
            }

            /// A client with its own reused reply channel.
            pub fn client(&self) -> $client {
                let (reply, replies) = $krate::bounded(1);
                $client { requests: self.requests.clone(), reply, replies }
            }
        }

        /// A client of the echo server of this flavor.
        #[derive(Debug)]
        pub struct $client {
            requests: $krate::Sender<$krate::Sender<u64>>,
            reply: $krate::Sender<u64>,
            replies: $krate::Receiver<u64>,
        }

        impl $client {
            /// One round trip; `false` if the server is gone.
            #[inline]
            pub fn round_trip(&mut self) -> bool {
                self.requests.send(self.reply.clone()).is_ok() && self.replies.recv().is_ok()
            }
        }
    };
}

echo_flavor!(CrossbeamEcho, CrossbeamEchoClient, crossbeam_channel);
echo_flavor!(FlumeEcho, FlumeEchoClient, flume);

/// An immutable `HashMap` (foldhash, with a fixed seed) read through a
/// plain shared reference: a get is one hash and probe with no
/// synchronization, the registry's equivalent of the leaky pointer. Each
/// reader sees the map as it was when the reader was made, so the harness
/// only times reads of a map populated beforehand; never a registry.
pub struct ImmutableMapFloor {
    map: Mutex<Arc<FloorMap>>,
}

/// A fixed seed costs a lookup what a random one does, and keeps the
/// floor's instruction counts the same from run to run: with a seed drawn
/// per run, its get miss counted 33 to 79 instructions (the instruction
/// gate's baseline is one run's).
type FloorMap = HashMap<ProcessId, ProcessState, foldhash::fast::FixedState>;

/// A reader of an [`ImmutableMapFloor`]: the map as it was when made.
pub struct ImmutableMapFloorReader {
    map: Arc<FloorMap>,
}

impl ImmutableMapFloor {
    fn edit<T>(&self, f: impl FnOnce(&mut FloorMap) -> T) -> T {
        let mut map = self.map.lock().expect("floor map");
        f(Arc::make_mut(&mut map))
    }
}

impl Registry for ImmutableMapFloor {
    type Reader = ImmutableMapFloorReader;

    fn new() -> Self {
        ImmutableMapFloor { map: Mutex::new(Arc::new(FloorMap::default())) }
    }

    fn reader(&self) -> Self::Reader {
        ImmutableMapFloorReader { map: Arc::clone(&self.map.lock().expect("floor map")) }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        let id = state.id();
        self.edit(|map| match map.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => Err(InsertError { id }),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(state);
                Ok(())
            }
        })
    }

    fn update<E, F>(&self, id: ProcessId, mut f: F) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        self.edit(|map| {
            let current = map.get_mut(&id).ok_or(RegistryUpdateError::NotFound(id))?;
            *current = current.successor(&mut f)?;
            Ok(current.clone())
        })
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        self.edit(|map| map.remove(&id)).ok_or(RemoveError { id })
    }
}

impl RegistryReader for ImmutableMapFloorReader {
    type Error = Infallible;

    #[inline]
    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Infallible> {
        Ok(self.map.get(&id).map(f))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Infallible> {
        let mut all: Vec<ProcessState> = self.map.values().cloned().collect();
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn for_each(&mut self, f: impl FnMut(&ProcessState)) -> Result<(), Infallible> {
        self.map.values().for_each(f);
        Ok(())
    }

    fn len(&mut self) -> Result<usize, Infallible> {
        Ok(self.map.len())
    }
}

impl std::fmt::Debug for ImmutableMapFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImmutableMapFloor").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ImmutableMapFloorReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImmutableMapFloorReader").field("len", &self.map.len()).finish()
    }
}

/// Calls `visitor` with every catalogue store, then the leaky floor.
pub fn each_store_and_floor(visitor: &mut impl StoreVisitor) {
    procstore_catalog::each_store(visitor);
    visitor.visit::<LeakyFloor>(&floors::LEAKY_ATOMIC_PTR);
}

/// Calls `visitor` with every catalogue registry, then the immutable-map floor.
pub fn each_registry_and_floor(visitor: &mut impl RegistryVisitor) {
    procstore_catalog::each_registry(visitor);
    visitor.visit::<ImmutableMapFloor>(&floors::IMMUTABLE_MAP);
}

#[cfg(test)]
mod tests {
    use procstore_catalog::{Entry, REGISTRIES, STORES};

    use super::*;

    #[derive(Default)]
    struct Ids(Vec<&'static str>);
    impl StoreVisitor for Ids {
        fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
            self.0.push(entry.id);
        }
    }
    impl RegistryVisitor for Ids {
        fn visit<R: Registry>(&mut self, entry: &'static Entry) {
            self.0.push(entry.id);
        }
    }

    #[test]
    fn the_benches_measure_every_catalogue_entry_and_its_floor() {
        let mut stores = Ids::default();
        each_store_and_floor(&mut stores);
        let expected: Vec<&str> = STORES.iter().map(|e| e.id).chain([floors::LEAKY_ATOMIC_PTR.id]).collect();
        assert_eq!(stores.0, expected);
        let mut registries = Ids::default();
        each_registry_and_floor(&mut registries);
        let expected: Vec<&str> = REGISTRIES.iter().map(|e| e.id).chain([floors::IMMUTABLE_MAP.id]).collect();
        assert_eq!(registries.0, expected);
    }

    #[test]
    fn the_map_floor_reads_what_was_there_when_its_reader_was_made() {
        let floor = ImmutableMapFloor::new();
        floor.insert(ProcessState::new(ProcessId(1), "a")).unwrap();
        let mut reader = floor.reader();
        floor.insert(ProcessState::new(ProcessId(2), "b")).unwrap();
        assert_eq!(reader.get(ProcessId(1), |s| s.name().to_owned()), Ok(Some("a".to_owned())));
        assert_eq!(reader.get(ProcessId(2), ProcessState::id), Ok(None));
        assert_eq!(floor.reader().len(), Ok(2));
        assert_eq!(floor.insert(ProcessState::new(ProcessId(1), "c")), Err(InsertError { id: ProcessId(1) }));
    }
}
