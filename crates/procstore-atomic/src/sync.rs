//! The synchronization types of our own code: loom's under `cfg(loom)`, so
//! the models in `tests/loom.rs` see every reference count of the hazard
//! store (haphazard switches its atomics to loom's under the same cfg) and
//! every handoff of the epoch store's pooled handles, and std's otherwise.

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
