//! A process supervisor built on procstore: it runs real child processes,
//! records every lifecycle transition through any [`StateStore`] and
//! [`Registry`], restarts children under a [`Policy`] with bounded backoff,
//! and answers status queries from any number of threads.
//!
//! - [`Table`] and [`TableReader`]: the shared state (one store per child, a
//!   registry beside them) and the per-thread query handle: by name, by
//!   pid, list all, counts by status.
//! - [`Supervisor`]: spawns the children and runs the reaper thread that
//!   watches them; dropping it stops and reaps every child.
//!
//! The `procstore-supervisor` binary (the default `cli` feature) is a live
//! view over all of it, on any pair in `procstore-catalog`; the library
//! alone depends on no strategy and no command-line parser. The workload
//! benchmark in `benches/` measures it under churn.
//!
//! ```no_run
//! use procstore_atomic::{ArcSwapCacheStore, DashMapRegistry};
//! use procstore_supervisor::{ChildSpec, Config, Supervisor};
//!
//! let children = (0..4).map(|i| ChildSpec::new(format!("sleeper-{i}"), "sleep", ["1"])).collect();
//! let (supervisor, events) = Supervisor::<ArcSwapCacheStore, DashMapRegistry>::start(Config::new(children))?;
//! let mut reader = supervisor.reader(); // once per thread
//! println!("{}", reader.counts()?);
//! println!("{}", events.recv()?); // e.g. "sleeper-0: started as pid 4242"
//! supervisor.shutdown(); // SIGTERM, then SIGKILL after the grace period; every child reaped
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`StateStore`]: procstore_core::StateStore
//! [`Registry`]: procstore_core::Registry

mod format;
mod policy;
mod supervisor;
mod table;

pub use format::duration as format_duration;
pub use policy::{Decision, Ending, Policy, Restart, Streak};
pub use supervisor::{ChildOutput, ChildSpec, Config, Event, EventKind, StartError, Supervisor};
pub use table::{PublishHook, StatusCounts, Table, TableError, TableReader};
