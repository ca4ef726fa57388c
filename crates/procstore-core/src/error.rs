//! Errors shared by every store and registry.

use std::fmt;

use crate::state::ProcessId;

/// Why a store or registry operation did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The store was shut down (an actor store whose actor has stopped).
    Stopped,
    /// No process with this id is registered.
    NotFound(ProcessId),
    /// A process with this id is already registered; use `update` to change it.
    AlreadyExists(ProcessId),
    /// An update closure returned a state for another process.
    IdChanged {
        /// The id of the state being updated.
        expected: ProcessId,
        /// The id the closure returned.
        found: ProcessId,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Stopped => Stopped.fmt(f),
            Error::NotFound(id) => write!(f, "process {id} is not registered"),
            Error::AlreadyExists(id) => write!(f, "process {id} is already registered"),
            Error::IdChanged { expected, found } => {
                write!(f, "an update of process {expected} returned process {found}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Why a read did not happen: the store's state lived on a thread that has
/// stopped (an actor store after it was dropped). The only way a read fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the store has stopped")
    }
}

impl std::error::Error for Stopped {}

impl From<Stopped> for Error {
    fn from(_: Stopped) -> Self {
        Error::Stopped
    }
}

impl<E> From<Stopped> for UpdateError<E> {
    fn from(_: Stopped) -> Self {
        UpdateError::Store(Error::Stopped)
    }
}

/// Why an `update` did not publish: the closure said no, or the store did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateError<E> {
    /// The update closure returned this error; nothing was published.
    Rejected(E),
    /// The store refused the update.
    Store(Error),
}

impl<E> From<Error> for UpdateError<E> {
    fn from(e: Error) -> Self {
        UpdateError::Store(e)
    }
}

impl<E: fmt::Display> fmt::Display for UpdateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::Rejected(e) => write!(f, "update rejected: {e}"),
            UpdateError::Store(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for UpdateError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpdateError::Rejected(e) => Some(e),
            UpdateError::Store(e) => Some(e),
        }
    }
}
