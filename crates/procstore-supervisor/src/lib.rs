//! A process supervisor built on procstore: it runs real child processes,
//! records every lifecycle transition through any [`Registry`], restarts
//! children under a [`Policy`] with bounded backoff, and answers status
//! queries from any number of threads.
//!
//! - [`Table`] and [`TableReader`]: the shared state (one registry: of
//!   handles, each child's own store in a concurrent map, or of values) and
//!   the per-thread query handle: by name, by pid, list all, counts by status.
//! - [`Supervisor`]: spawns the children and runs the reaper thread that
//!   watches them; children can be added and removed while it runs;
//!   dropping it stops and reaps every child.
//! - [`Control`]: a cloneable handle that adds, removes, stops, starts and
//!   restarts children from any thread; [`control`] serves it, and the
//!   table, on a unix socket to other processes (`procstore-supervisor ctl`).
//! - [`become_subreaper`] and [`Cgroup`]: what keeps a child's descendants
//!   from escaping, for a program that owns its whole process (the binary).
//!
//! The `procstore-supervisor` binary (the default `cli` feature) is a live
//! view over all of it, on any pair in `procstore-catalog`; the library
//! alone depends on no strategy and no command-line parser. The workload
//! benchmark in `benches/` measures it under churn.
//!
//! The crate's README follows: the binary's flags and what it prints, and
//! the library example (compiled by `cargo test`).
//!
#![doc = include_str!("../README.md")]
//!
//! [`Registry`]: procstore_core::Registry

mod cgroup;
mod contain;
pub mod control;
mod format;
mod policy;
mod supervisor;
mod table;

pub use cgroup::{Cgroup, CgroupError, Cleaned};
pub use contain::become_subreaper;
pub use format::duration as format_duration;
pub use policy::{Decision, Ending, Policy, Restart, Streak};
pub use procstore_core::StatusCounts;
pub use supervisor::{
    ChildOutput, ChildSpec, Config, Control, ControlError, Event, EventKind, Spawn, StartError, Supervisor,
};
pub use table::{PublishHook, Table, TableError, TableReader};
