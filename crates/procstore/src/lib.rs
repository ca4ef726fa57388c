#![doc = include_str!("../../../README.md")]
//!
//! # Reads
//!
//! A read runs a closure while the strategy's protection (a lock, a hazard
//! pointer, a pinned `Arc`) is held, so no guard or borrowed state escapes:
//! nothing a caller keeps can deadlock the store or pin memory. Copy out
//! what you need:
//!
//! ```
//! # use procstore::{DefaultStore, ProcessId, ProcessState, StateReader, StateStore};
//! # let store = DefaultStore::new(ProcessState::new(ProcessId(1), "web"));
//! # let mut reader = store.reader();
//! let name: String = reader.read(|s| s.name().to_owned()).unwrap();
//! # assert_eq!(name, "web");
//! ```
//!
//! A reference out of the closure does not compile, whether the state
//! itself or a borrow of it:
//!
//! ```compile_fail
//! # use procstore::{DefaultStore, ProcessId, ProcessState, StateReader, StateStore};
//! # let store = DefaultStore::new(ProcessState::new(ProcessId(1), "web"));
//! # let mut reader = store.reader();
//! let state = reader.read(|s| s).unwrap();
//! ```
//!
//! ```compile_fail
//! # use procstore::{DefaultStore, ProcessId, ProcessState, StateReader, StateStore};
//! # let store = DefaultStore::new(ProcessState::new(ProcessId(1), "web"));
//! # let mut reader = store.reader();
//! let name: &str = reader.read(|s| s.name()).unwrap();
//! ```
//!
//! # Errors
//!
//! One error type per operation, naming only what can happen: reads fail
//! only for the actor strategies, whose readers can outlive the actor
//! ([`Stopped`]); every other reader's error is
//! [`Infallible`](std::convert::Infallible). `insert` fails only with
//! [`InsertError`], `remove` with [`RemoveError`], and updates with
//! [`UpdateError`] or [`RegistryUpdateError`]. Each error's message
//! describes its own layer; the error it wraps is its `source()`.

pub use procstore_core::{
    InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError,
    StateReader, StateStore, Status, Stopped, TransitionError, UpdateError,
};

#[cfg(not(any(feature = "atomic", feature = "mutex", feature = "channel")))]
compile_error!("procstore: enable one of the features `atomic` (default), `mutex` or `channel`");

/// The store the enabled features select (see the crate docs).
#[cfg(feature = "mutex")]
pub type DefaultStore = procstore_mutex::ParkingLotRwLockStore;
/// The registry the enabled features select (see the crate docs).
#[cfg(feature = "mutex")]
pub type DefaultRegistry = procstore_mutex::ParkingLotRwLockRegistry;

/// The store the enabled features select (see the crate docs).
#[cfg(all(feature = "channel", not(feature = "mutex")))]
pub type DefaultStore = procstore_channel::CrossbeamReusedReplyStore;
/// The registry the enabled features select (see the crate docs).
#[cfg(all(feature = "channel", not(feature = "mutex")))]
pub type DefaultRegistry = procstore_channel::CrossbeamActorRegistry;

/// The store the enabled features select (see the crate docs).
#[cfg(all(feature = "atomic", not(any(feature = "mutex", feature = "channel"))))]
pub type DefaultStore = procstore_atomic::SeqLockStore;
/// The registry the enabled features select (see the crate docs).
///
/// Each process's own [`SeqLockStore`](procstore_atomic::SeqLockStore) in
/// a copy-on-write map: a transition writes only its process's store, and
/// neither readers nor the writer ever wait for each other. The supervisor
/// workload, not the micro-benchmark, picks it (each report's
/// Recommendation section, which flags a run that would pick another).
#[cfg(all(feature = "atomic", not(any(feature = "mutex", feature = "channel"))))]
pub type DefaultRegistry = procstore_atomic::CowMapHandles<procstore_atomic::SeqLockStore>;

/// The types of every strategy crate whose feature is on.
pub mod strategies {
    #[cfg(feature = "atomic")]
    pub use procstore_atomic::*;
    #[cfg(feature = "channel")]
    pub use procstore_channel::*;
    #[cfg(feature = "mutex")]
    pub use procstore_mutex::*;
}
