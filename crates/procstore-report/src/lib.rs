//! The results schema shared by the benchmark harness and the renderer, and
//! the renderer that turns `reports/<arch>-<os>/results.json` into reports:
//!
//! - `reports/<slug>/REPORT.md`: the Go record's table measured, speedups,
//!   contention, writes, the thread sweep, registries, the supervisor
//!   workload, floors, and the Go record's claims checked against the numbers;
//! - `reports/<slug>/index.html`: the same as one self-contained page with
//!   inline SVG charts;
//! - `reports/README.md` and `reports/index.html`: every architecture side
//!   by side.
//!
//! [`render_all`] does all of it; the `procstore-report` binary runs it and
//! adds other machines' results ([`add_results`]).

mod add;
mod claims;
mod compare;
mod doc;
mod escape;
mod figures;
mod format;
mod go_record;
mod html;
mod load;
mod markdown;
mod ranking;
mod reclamation;
mod recommend;
mod render;
mod report;
mod rows;
mod schema;
mod svg;
mod table;
mod thresholds;
mod validate;
mod workload;

pub use add::{AddError, add_results};
pub use claims::{Claim, Verdict, check_claims};
pub use html::render_html;
pub use load::{LoadError, load};
pub use markdown::render_markdown;
pub use render::{Problem, RESULTS_FILE, RenderError, render_all};
pub use schema::{
    Garbage, Machine, Percentiles, Query, QueryLatency, ReaderLoad, ReclamationRecord, Record, Results,
    RunConfig, SCHEMA_VERSION, Setting, Stall, Tails, WorkloadMode, WorkloadRecord, groups,
};
