//! The benchmark harness behind `cargo bench`: persistent worker pools, a
//! counting allocator, the benchmark-only floors, machine description, the
//! list of strategies and the supervisor workload. `benches/comparison.rs`
//! drives it with criterion.

pub mod alloc;
pub mod floor;
pub mod machine;
pub mod output;
pub mod pool;
pub mod profile;
pub mod strategies;
pub mod supervision;
pub mod workload;
