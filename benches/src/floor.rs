//! Lower bounds measured beside the stores: never stores themselves.

use std::convert::Infallible;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use procstore_catalog::{StoreVisitor, floors};
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

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

/// Calls `visitor` with every catalogue store, then the leaky floor.
pub fn each_store_and_floor(visitor: &mut impl StoreVisitor) {
    procstore_catalog::each_store(visitor);
    visitor.visit::<LeakyFloor>(&floors::LEAKY_ATOMIC_PTR);
}
