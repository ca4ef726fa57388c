//! Lock-based process stores and registries: the Go record's "Mutex" row and
//! procstore's fallback.
//!
//! One generic store ([`LockStore`]) and one generic registry
//! ([`LockRegistry`]) sit on top of the small [`Lock`] trait, implemented for
//! std's and parking_lot's `Mutex` and `RwLock`. The state lives by value
//! under the lock, as in the Go version; a read runs its closure under the
//! lock (shared for an `RwLock`), an update runs `f` and publishes under the
//! exclusive lock, so updates are serialized and never lost.
//!
//! What it costs: every read writes the lock word, so readers on different
//! cores contend on one cache line even though they never conflict; a slow
//! update closure blocks all readers. What it buys: the simplest code, no
//! deferred reclamation, and a state that is dropped the moment it is
//! replaced.
//!
//! Poisoning: std's locks are poisoned by a panic in a caller's closure. Every
//! closure runs before anything under the lock is written, so a poisoned lock
//! still holds a whole, published state, and these types ignore the poison.

mod handle_map;
mod lock;
mod registry;
mod store;

pub use handle_map::LockMap;
pub use lock::Lock;
pub use registry::{LockRegistry, LockRegistryReader};
pub use store::{LockStore, LockStoreReader};

use std::collections::HashMap;

use procstore_core::{FastHash, ProcessId, ProcessState};

/// A map keyed by process id, hashed with [`FastHash`]: what the lock
/// registries and lock handle maps keep under their lock.
pub type IdMap<V> = HashMap<ProcessId, V, FastHash>;

/// What a lock registry keeps under its lock.
pub type ProcessMap = IdMap<ProcessState>;

/// The state under a `std::sync::Mutex`.
pub type StdMutexStore = LockStore<std::sync::Mutex<ProcessState>>;
/// The state under a `std::sync::RwLock`.
pub type StdRwLockStore = LockStore<std::sync::RwLock<ProcessState>>;
/// The state under a `parking_lot::Mutex`.
pub type ParkingLotMutexStore = LockStore<parking_lot::Mutex<ProcessState>>;
/// The state under a `parking_lot::RwLock`.
pub type ParkingLotRwLockStore = LockStore<parking_lot::RwLock<ProcessState>>;

/// A `HashMap` under a `std::sync::Mutex`.
pub type StdMutexRegistry = LockRegistry<std::sync::Mutex<ProcessMap>>;
/// A `HashMap` under a `std::sync::RwLock`.
pub type StdRwLockRegistry = LockRegistry<std::sync::RwLock<ProcessMap>>;
/// A `HashMap` under a `parking_lot::Mutex`.
pub type ParkingLotMutexRegistry = LockRegistry<parking_lot::Mutex<ProcessMap>>;
/// A `HashMap` under a `parking_lot::RwLock`.
pub type ParkingLotRwLockRegistry = LockRegistry<parking_lot::RwLock<ProcessMap>>;
