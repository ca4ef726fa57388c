//! What can go wrong, one type per operation (as crossbeam-channel does it),
//! so a signature says what can happen and nothing more.
//!
//! Every error's `Display` says what went wrong at its own layer; an error
//! it wraps is its [`source`](std::error::Error::source), never repeated in
//! its message, so a reporter that walks the chain prints each cause once.

use std::convert::Infallible;
use std::fmt;

use crate::state::ProcessId;

/// Why a read did not happen: the store's state lived on a thread that has
/// stopped (an actor store after it was dropped).
///
/// The only way a read fails, and only for stores that can stop; every
/// other reader's error type is [`Infallible`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the store has stopped")
    }
}

impl std::error::Error for Stopped {}

/// A reader that cannot fail fits wherever one that can stop is expected.
impl From<Infallible> for Stopped {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// Why a registry's `insert` changed nothing: the id is taken (use
/// `update` to change its state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InsertError {
    /// The id that is already registered.
    pub id: ProcessId,
}

impl fmt::Display for InsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} is already registered", self.id)
    }
}

impl std::error::Error for InsertError {}

/// Why a registry's `remove` removed nothing: the id is not registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RemoveError {
    /// The id that is not registered.
    pub id: ProcessId,
}

impl fmt::Display for RemoveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} is not registered", self.id)
    }
}

impl std::error::Error for RemoveError {}

/// Why a store's `update` published nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateError<E> {
    /// The update closure returned this error (the source).
    Rejected(E),
    /// The update closure returned a state for another process.
    IdChanged {
        /// The id of the state being updated.
        expected: ProcessId,
        /// The id the closure returned.
        found: ProcessId,
    },
}

impl<E> fmt::Display for UpdateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::Rejected(_) => f.write_str("the update closure rejected the change"),
            UpdateError::IdChanged { expected, found } => id_changed(f, *expected, *found),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for UpdateError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpdateError::Rejected(e) => Some(e),
            UpdateError::IdChanged { .. } => None,
        }
    }
}

/// Why a registry's `update` published nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryUpdateError<E> {
    /// No process with this id is registered.
    NotFound(ProcessId),
    /// The update closure returned this error (the source).
    Rejected(E),
    /// The update closure returned a state for another process.
    IdChanged {
        /// The id of the state being updated.
        expected: ProcessId,
        /// The id the closure returned.
        found: ProcessId,
    },
}

impl<E> From<UpdateError<E>> for RegistryUpdateError<E> {
    fn from(error: UpdateError<E>) -> Self {
        match error {
            UpdateError::Rejected(e) => RegistryUpdateError::Rejected(e),
            UpdateError::IdChanged { expected, found } => RegistryUpdateError::IdChanged { expected, found },
        }
    }
}

impl<E> fmt::Display for RegistryUpdateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryUpdateError::NotFound(id) => write!(f, "process {id} is not registered"),
            RegistryUpdateError::Rejected(_) => f.write_str("the update closure rejected the change"),
            RegistryUpdateError::IdChanged { expected, found } => id_changed(f, *expected, *found),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RegistryUpdateError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegistryUpdateError::Rejected(e) => Some(e),
            RegistryUpdateError::NotFound(_) | RegistryUpdateError::IdChanged { .. } => None,
        }
    }
}

fn id_changed(f: &mut fmt::Formatter<'_>, expected: ProcessId, found: ProcessId) -> fmt::Result {
    write!(f, "an update of process {expected} returned process {found}")
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::{Status, TransitionError};

    #[test]
    fn display_says_its_own_layer_and_source_gives_the_cause() {
        let cause = TransitionError { from: Status::Starting, to: Status::Stopped };
        let store = UpdateError::Rejected(cause);
        let registry = RegistryUpdateError::from(store);
        for error in [&store as &dyn std::error::Error, &registry] {
            assert_eq!(error.to_string(), "the update closure rejected the change");
            let source = error.source().expect("the closure's error is the source");
            assert_eq!(source.to_string(), "invalid transition from starting to stopped");
        }
        let moved = UpdateError::<TransitionError>::IdChanged { expected: ProcessId(1), found: ProcessId(2) };
        assert_eq!(moved.to_string(), "an update of process #1 returned process #2");
        assert!(moved.source().is_none());
    }
}
