//! Where a run's records go: `reports/<arch>-<os>/` for a complete run,
//! `target/` for a partial one (a filter, `--test`), so a partial run never
//! replaces a whole table.

use std::path::{Path, PathBuf};

use procstore_report::{ReclamationRecord, Record, Results, RunConfig, SCHEMA_VERSION};

use crate::profile::Profile;
use crate::supervision::Workload;
use crate::{machine, provenance};

/// The workspace root (the parent of this package).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("benches/ has a parent").to_path_buf()
}

/// What a run measured beside criterion's records.
#[derive(Debug, Default)]
pub struct Experiments {
    /// The supervisor workload.
    pub workload: Workload,
    /// The garbage gauge and the stalled reader.
    pub reclamation: Vec<ReclamationRecord>,
}

/// Writes the run's results and, for a complete run, renders the reports.
/// `registered` is how many timed benchmarks the harness registered.
pub fn finish(profile: &Profile, records: Vec<Record>, experiments: Experiments, registered: usize) {
    let Experiments { workload: Workload { records: workload, head_to_head }, reclamation } = experiments;
    let timed = records.iter().filter(|r| r.ns_per_op.is_some()).count();
    let results = Results {
        schema_version: SCHEMA_VERSION,
        machine: machine::describe(profile.machine.clone()),
        config: RunConfig {
            profile: profile.name.to_owned(),
            concurrent_threads: profile.threads as u32,
            sweep: profile.sweep.iter().map(|&t| t as u32).collect(),
            paced_rate: profile.paced_rate,
            registry_size: profile.registry_size as u32,
            table_size: crate::workload::TABLE_SIZE as u32,
            sample_size: profile.sample_size as u32,
            measurement_secs: profile.measurement.as_secs_f64(),
        },
        records,
        workload,
        head_to_head,
        reclamation,
        commit: provenance::commit(),
        versions: provenance::strategy_crate_versions(),
    };
    let root = workspace_root();
    if timed < registered {
        let path = root.join("target/procstore-bench/partial-results.json");
        write(&path, &results);
        eprintln!(
            "procstore-benches: {timed} of {registered} benchmarks measured (a filter, --test or --quick); \
             results in {} and reports/ left as they were",
            path.display()
        );
        return;
    }
    let dir = root.join("reports").join(results.machine.slug());
    write(&dir.join("results.json"), &results);
    eprintln!("procstore-benches: wrote {}", dir.join("results.json").display());
    match procstore_report::render_all(&root.join("reports")) {
        Ok(written) => {
            for path in written {
                eprintln!("procstore-benches: wrote {}", path.display());
            }
        }
        Err(error) => {
            eprintln!("procstore-benches: rendering the reports failed: {error}");
            std::process::exit(1);
        }
    }
}

fn write(path: &Path, results: &Results) {
    let text = serde_json::to_string_pretty(results).expect("results serialize");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    }
    std::fs::write(path, text + "\n").unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
