//! procstore: per-process state shared between threads, with the strategy
//! picked by Cargo feature.
//!
//! | feature | [`DefaultStore`] | [`DefaultRegistry`] |
//! |---|---|---|
//! | `atomic` (default) | [`ArcSwapCacheStore`](procstore_atomic::ArcSwapCacheStore) | [`DashMapRegistry`](procstore_atomic::DashMapRegistry) |
//! | `mutex` (the fallback) | `procstore_mutex::ParkingLotRwLockStore` | `procstore_mutex::ParkingLotRwLockRegistry` |
//! | `channel` | `procstore_channel::CrossbeamReusedReplyStore` | `procstore_channel::CrossbeamActorRegistry` |
//!
//! Features are additive, so when several are on the most conservative
//! wins: `mutex` over `channel` over `atomic`. Turning `mutex` on anywhere in
//! the dependency graph is the kill switch that falls back to locks, as the
//! Go record's rollout behind feature flags intended. The types of every
//! enabled strategy crate are in [`strategies`].
//!
//! ```
//! use std::time::SystemTime;
//! use procstore::{DefaultStore, ProcessId, ProcessState, StateReader, StateStore, Status};
//!
//! let store = DefaultStore::new(ProcessState::new(ProcessId(1), "web"));
//! let mut reader = store.reader(); // once per thread
//! store.update(|s| s.running(4242, SystemTime::now())).unwrap();
//! assert_eq!(reader.status(), Ok(Status::Running));
//! ```
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
pub type DefaultStore = procstore_atomic::ArcSwapCacheStore;
/// The registry the enabled features select (see the crate docs).
#[cfg(all(feature = "atomic", not(any(feature = "mutex", feature = "channel"))))]
pub type DefaultRegistry = procstore_atomic::DashMapRegistry;

/// The types of every strategy crate whose feature is on.
pub mod strategies {
    #[cfg(feature = "atomic")]
    pub use procstore_atomic::*;
    #[cfg(feature = "channel")]
    pub use procstore_channel::*;
    #[cfg(feature = "mutex")]
    pub use procstore_mutex::*;
}
