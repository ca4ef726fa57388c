//! The shared vocabulary of procstore: the per-process state record, its
//! checked lifecycle, and the store and registry traits every strategy
//! implements. The conformance suite they all pass is the dev-only
//! `procstore-conformance` crate.
//!
//! The strategies live in sibling crates (`procstore-mutex`,
//! `procstore-channel`, `procstore-atomic`); the `procstore` facade picks one
//! by Cargo feature.

mod error;
mod handles;
mod state;
mod status;
mod sync;
mod traits;

pub use error::{InsertError, RegistryUpdateError, RemoveError, Stopped, UpdateError};
pub use handles::{Handle, HandleMap, HandleMapReader, HandleRegistry, HandleRegistryReader, Tenant};
pub use state::{InvalidWords, ProcessId, ProcessState, StateWords};
pub use status::{Status, StatusCounts, TransitionError};
pub use traits::{Registry, RegistryReader, StateReader, StateStore};

/// The hasher every registry's map uses for its [`ProcessId`] keys:
/// foldhash, seeded per map. Ids are assigned by the registry's owner (the
/// supervisor numbers its children), not by remote clients, so SipHash's
/// resistance to chosen collisions buys nothing here, and it costs a lookup
/// more than the rest of a read; one registry row (papaya, [`SipHash`])
/// measures the difference.
pub type FastHash = foldhash::fast::RandomState;

/// std's default hasher (SipHash-1-3, randomly seeded), for comparison.
pub type SipHash = std::hash::RandomState;
