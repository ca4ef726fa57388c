//! The benchmark harness behind `cargo bench`: persistent worker pools, a
//! counting allocator, the benchmark-only floors, machine description and
//! provenance, the sampled tails, the garbage and stalled-reader
//! experiments, and the supervisor workload. The strategies come from
//! `procstore-catalog`. `benches/comparison.rs`
//! drives it with criterion.

pub mod alloc;
pub mod floor;
pub mod machine;
pub mod output;
pub mod pool;
pub mod profile;
pub mod provenance;
pub mod reclamation;
pub mod supervision;
pub mod tails;
pub mod workload;

/// Ends the run with `procstore-benches: {message}` on one line and exit
/// status 2: for what the user can fix (a setting, the machine's limits),
/// where a panic's backtrace would only bury the cause.
pub fn exit_with(message: &str) -> ! {
    eprintln!("procstore-benches: {message}");
    std::process::exit(2);
}
