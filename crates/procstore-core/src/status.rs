//! The process lifecycle and its checked transitions.

use std::fmt;

use crate::state::ProcessState;

/// Where a managed process is in its lifecycle.
///
/// The allowed moves (anything else is a [`TransitionError`]):
///
/// | from         | to                                   |
/// |--------------|--------------------------------------|
/// | `Starting`   | `Running`, `Stopping`, `Crashed`     |
/// | `Running`    | `Stopping`, `Stopped`, `Crashed`     |
/// | `Stopping`   | `Stopped`, `Crashed`                 |
/// | `Stopped`    | `Starting`, `Backoff`, `Fatal`       |
/// | `Crashed`    | `Backoff`, `Starting`, `Fatal`       |
/// | `Backoff`    | `Starting`, `Stopped`, `Fatal`       |
/// | `Fatal`      | `Starting` (an operator restart)     |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    /// Spawn requested; the process is not confirmed running yet.
    Starting,
    /// The process is up.
    Running,
    /// A stop was requested; waiting for the process to exit.
    Stopping,
    /// Exited cleanly (code 0) or was stopped on request.
    Stopped,
    /// Exited unexpectedly (non-zero code or a signal).
    Crashed,
    /// Waiting out a restart delay after an exit.
    Backoff,
    /// Gave up restarting; needs an operator.
    Fatal,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 7] = [
        Status::Starting,
        Status::Running,
        Status::Stopping,
        Status::Stopped,
        Status::Crashed,
        Status::Backoff,
        Status::Fatal,
    ];

    /// Whether the lifecycle allows moving from `self` to `to`.
    pub const fn can_transition_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Starting, Running | Stopping | Crashed)
                | (Running, Stopping | Stopped | Crashed)
                | (Stopping, Stopped | Crashed)
                | (Stopped, Starting | Backoff | Fatal)
                | (Crashed, Backoff | Starting | Fatal)
                | (Backoff, Starting | Stopped | Fatal)
                | (Fatal, Starting)
        )
    }

    /// Checks the move from `self` to `to`.
    pub const fn check_transition(self, to: Status) -> Result<(), TransitionError> {
        if self.can_transition_to(to) { Ok(()) } else { Err(TransitionError { from: self, to }) }
    }

    /// Whether a process in this status is alive (has or is about to have an OS process).
    pub const fn is_alive(self) -> bool {
        matches!(self, Status::Starting | Status::Running | Status::Stopping)
    }

    /// The lower-case name used in logs and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Stopping => "stopping",
            Status::Stopped => "stopped",
            Status::Crashed => "crashed",
            Status::Backoff => "backoff",
            Status::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle move that [`Status::can_transition_to`] forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionError {
    /// The status the process was in.
    pub from: Status,
    /// The status that was asked for.
    pub to: Status,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid transition from {} to {}", self.from, self.to)
    }
}

impl std::error::Error for TransitionError {}

/// How many processes are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts([usize; Status::ALL.len()]);

impl StatusCounts {
    /// Counts the statuses of `states`.
    pub fn of<'s>(states: impl IntoIterator<Item = &'s ProcessState>) -> Self {
        states.into_iter().map(ProcessState::status).collect()
    }

    pub(crate) fn add(&mut self, status: Status) {
        self.0[status as usize] += 1;
    }

    /// Processes in `status`.
    pub fn get(&self, status: Status) -> usize {
        self.0[status as usize]
    }

    /// Processes in any status.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

impl fmt::Display for StatusCounts {
    /// `18 running, 2 backoff`: the non-zero counts in lifecycle order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for status in Status::ALL.into_iter().filter(|&s| self.get(s) > 0) {
            write!(f, "{}{} {status}", if first { "" } else { ", " }, self.get(status))?;
            first = false;
        }
        Ok(())
    }
}

impl FromIterator<Status> for StatusCounts {
    fn from_iter<I: IntoIterator<Item = Status>>(statuses: I) -> Self {
        let mut counts = StatusCounts::default();
        statuses.into_iter().for_each(|status| counts.add(status));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_way_forward() {
        for from in Status::ALL {
            assert!(Status::ALL.iter().any(|&to| from.can_transition_to(to)), "{from} is a dead end");
        }
    }

    #[test]
    fn no_status_moves_to_itself() {
        for s in Status::ALL {
            assert_eq!(s.check_transition(s), Err(TransitionError { from: s, to: s }));
        }
    }

    #[test]
    fn error_names_both_states() {
        let err = Status::Stopped.check_transition(Status::Running).unwrap_err();
        assert_eq!(err.to_string(), "invalid transition from stopped to running");
    }

    #[test]
    fn restart_cycle_is_allowed() {
        use Status::*;
        let cycle = [
            Starting, Running, Crashed, Backoff, Starting, Running, Stopped, Backoff, Starting, Running,
            Stopping, Stopped, Starting,
        ];
        for pair in cycle.windows(2) {
            assert!(pair[0].can_transition_to(pair[1]), "{} -> {}", pair[0], pair[1]);
        }
    }
}
