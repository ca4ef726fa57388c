//! The lines a run is held to, and how a miss is flagged. A leaf module, so
//! every section reads them from here rather than from the assembler.

use crate::format;
use crate::schema::Machine;

/// The banner of a run under an emulator, repeated in every heading.
pub(crate) const EMULATED: &str = "EMULATED (qemu-user): not hardware figures";

/// The best safe atomic reader should be within this factor of the floor.
pub(crate) const FLOOR_TARGET: f64 = 1.5;

/// A paced writer (or event generator) under this share of its target rate
/// is flagged.
pub(crate) const PACED_SHARE: f64 = 0.95;

/// The best registry's get hit should be within this factor of the
/// immutable-map floor.
pub(crate) const REGISTRY_FLOOR_TARGET: f64 = 2.0;

/// The recommendation's bar, per workload setting: at least this share of
/// the best row's events/s ...
pub(crate) const EVENTS_SHARE: f64 = 0.9;
/// ... a query p50 within this factor of the best row's ...
pub(crate) const P50_FACTOR: f64 = 1.25;
/// ... and a p99.9 within this factor of the best row's.
pub(crate) const P999_FACTOR: f64 = 1.5;

/// A writer under this share of the best writer's rate in the starvation
/// group is named under its table.
pub(crate) const STARVED_SHARE: f64 = 0.1;

/// A writer under this share of its unstalled rate while a reader stalls
/// is blocked by that reader.
pub(crate) const STALLED_WRITER_SHARE: f64 = 0.1;

/// Garbage that grows by this share of the updates made during a stall is
/// held back by the stalled reader: the store frees (almost) nothing.
pub(crate) const HELD_BACK_SHARE: f64 = 0.5;

/// Growth a bounded store may show in a stall: the conformance suite's
/// garbage bound (haphazard reclaims in batches of 1,000, with slack).
pub(crate) const HELD_BACK_MIN: u64 = 1100;

/// How far apart two workload rows' event rates must be for the churn note.
pub(crate) const CHURN_SPREAD: f64 = 2.0;

/// Why the run's figures are not hardware figures, when it ran emulated.
pub(crate) fn emulation(machine: &Machine) -> Option<String> {
    machine.emulated.then(|| {
        if machine.emulation_evidence.is_empty() {
            "the harness detected an emulator".to_owned()
        } else {
            machine.emulation_evidence.clone()
        }
    })
}

/// `rate` as a cell, with ` ⚠ 80% of target` when it fell under
/// [`PACED_SHARE`] of `target`; the flag tells whether it did.
pub(crate) fn rate_against_target(rate: Option<f64>, target: Option<f64>) -> (String, bool) {
    let mut cell = format::per_sec(rate);
    let short = match (rate, target) {
        (Some(rate), Some(target)) if target > 0.0 && rate < PACED_SHARE * target => {
            cell += &format!(" ⚠ {} of target", format::percent(rate / target));
            true
        }
        _ => false,
    };
    (cell, short)
}

/// Whether a floor gap is within [`FLOOR_TARGET`].
pub(crate) fn within_floor_target(gap: f64) -> bool {
    gap <= FLOOR_TARGET
}
