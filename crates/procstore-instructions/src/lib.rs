//! What each strategy's read and update execute, as evidence beside the
//! wall-clock report: it holds on a noisy shared runner and on an
//! architecture nobody here can time.
//!
//! - [`probes`]: one non-inlined function per strategy and path, under a
//!   symbol of its own, and the loop callgrind measures them in.
//! - [`callgrind`] and [`counts`]: instructions and allocations per
//!   operation under callgrind, and the gate that fails when a path grows
//!   past its committed baseline (`scripts/instruction-gate.sh`).
//! - [`disasm`]: the instructions, loads, atomic read-modify-writes, fences
//!   and calls of each function's code, from `objdump`, for x86_64 and
//!   aarch64 (`scripts/instructions.sh`).

pub mod callgrind;
pub mod counts;
pub mod disasm;
pub mod probes;
