//! The synchronization types of the handle registry: loom's under
//! `cfg(loom)`, so procstore-mutex's `tests/loom.rs` sees every interleaving
//! of its insert, update and remove, and std's otherwise.

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU64;
