//! The shared vocabulary of procstore: the per-process state record, its
//! checked lifecycle, the store and registry traits every strategy
//! implements, and the conformance suite they all pass.
//!
//! The strategies live in sibling crates (`procstore-mutex`,
//! `procstore-channel`, `procstore-atomic`); the `procstore` facade picks one
//! by Cargo feature.

mod error;
mod state;
mod status;
mod traits;

pub mod conformance;
pub mod history;
pub mod workload;

pub use error::{Error, Stopped, UpdateError};
pub use state::{ProcessId, ProcessState};
pub use status::{Status, TransitionError};
pub use traits::{Registry, RegistryReader, StateReader, StateStore};
