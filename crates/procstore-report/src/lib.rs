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
//! adds other machines' results ([`add_results`]). Where
//! `reports/instructions.json` exists (`scripts/instructions.sh` writes it:
//! what each store's read and update compile to, per architecture; schema
//! in [`instructions`], read by [`load_instructions`]), every report gains a
//! section on it, beside the wall-clock figures; with it, every
//! `reports/<arch>-linux/instruction-counts.json` (what each probe executes
//! under callgrind, read by [`load_callgrind_counts`]) adds a subsection
//! with every architecture's counts.
//!
//! [`noise_report`] is the A/A control of `scripts/bench-compare.sh`: it reads
//! criterion's baselines of BASE run twice and of the work tree, and calls a
//! benchmark slower or faster only beyond the spread of the two BASE runs;
//! the `bench-noise` binary prints it.

mod add;
mod claims;
mod compare;
mod disassembly;
mod doc;
mod escape;
mod figures;
mod format;
mod go_record;
mod html;
pub mod instructions;
mod load;
mod markdown;
mod noise;
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
pub use format::duration as format_duration;
pub use html::render_html;
pub use load::{LoadError, load, load_callgrind_counts, load_instructions};
pub use markdown::render_markdown;
pub use noise::{Baselines, NoiseError, noise_report};
pub use recommend::head_to_head_rows;
pub use render::{Problem, RESULTS_FILE, RenderError, render_all};
pub use schema::{
    Garbage, Machine, Percentiles, Query, QueryLatency, ReaderLoad, ReclamationRecord, Record, Results,
    RunConfig, SCHEMA_VERSION, Setting, Stall, Tails, WorkloadMode, WorkloadRecord, groups,
    is_directory_name,
};
