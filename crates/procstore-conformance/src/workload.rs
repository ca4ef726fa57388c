//! The update that tests and benchmarks apply, with a known result per version.
//!
//! [`restart_cycle`] moves a process around `Starting -> Running -> Crashed ->
//! Starting`, one restart per lap. Starting from [`ProcessState::new`], the
//! state at version `v` is fully determined by `v` ([`expected_at`]), so a
//! reader can check that what it saw is a whole, published state and not a
//! mix of two, and a writer's total can be checked from the final version.

use std::sync::Arc;
use std::time::SystemTime;

use procstore_core::{ProcessId, ProcessState, Status, TransitionError};

/// The statuses of one lap, indexed by `version % LAP`.
pub const LAP: [Status; 3] = [Status::Starting, Status::Running, Status::Crashed];

/// The time every [`restart_cycle`] step records: a constant, so a step
/// reads no clock and a benchmark of it measures the store alone.
pub const AT: SystemTime = SystemTime::UNIX_EPOCH;

/// One step around the restart cycle.
pub fn restart_cycle(state: &ProcessState) -> Result<ProcessState, TransitionError> {
    match state.status() {
        // The fake pid encodes the version being published, for the consistency check.
        Status::Starting => state.running(pid_for(state.version() + 1), AT),
        Status::Running => state.exited(Some(1), AT),
        _ => state.transition(Status::Starting),
    }
}

/// The (status, restarts, pid) a state at `version` must have, if every
/// update since [`ProcessState::new`] was a [`restart_cycle`] step.
pub fn expected_at(version: u64) -> (Status, u32, Option<u32>) {
    let status = LAP[(version % 3) as usize];
    let restarts = (version / 3) as u32;
    let pid = (status == Status::Running).then(|| pid_for(version));
    (status, restarts, pid)
}

/// Panics unless `state` is what [`expected_at`] says for its version.
pub fn assert_consistent(state: &ProcessState) {
    let seen = (state.status(), state.restarts(), state.pid());
    assert_eq!(seen, expected_at(state.version()), "torn or foreign state at version {}", state.version());
}

fn pid_for(version: u64) -> u32 {
    // Truncation is fine: the check only needs the same function on both sides.
    version as u32
}

/// Counts one store's states that are still alive: published, held by a
/// reader, or retired and not yet freed.
///
/// Every state a store publishes is a successor of the gauge's
/// [`initial_state`](Self::initial_state) and shares its name, so the name's
/// reference count, less the gauge's own, is the number of states alive. A
/// read of it is one relaxed atomic load: a writer can sample it after every
/// update without changing what it measures.
#[derive(Debug)]
pub struct GarbageGauge {
    name: Arc<str>,
}

impl GarbageGauge {
    /// A gauge with no state alive yet.
    pub fn new() -> GarbageGauge {
        GarbageGauge { name: Arc::from("garbage-counted") }
    }

    /// The state to create the measured store with.
    pub fn initial_state(&self) -> ProcessState {
        ProcessState::new(ProcessId(1), Arc::clone(&self.name))
    }

    /// States alive now.
    pub fn alive(&self) -> usize {
        Arc::strong_count(&self.name) - 1
    }
}

impl Default for GarbageGauge {
    fn default() -> Self {
        GarbageGauge::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procstore_core::ProcessId;

    #[test]
    fn cycle_matches_expectation_for_many_laps() {
        let mut s = ProcessState::new(ProcessId(1), "cycle");
        for _ in 0..20 {
            assert_consistent(&s);
            s = s.successor(&mut restart_cycle).unwrap();
        }
        assert_eq!(s.version(), 20);
    }
}
