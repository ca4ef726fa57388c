//! One setting of the supervisor workload, for the registries named: a
//! minute's check of a claim in the report, or of a change to one registry,
//! without the whole `cargo bench`.
//!
//! ```sh
//! cargo run --release -p procstore-benches --example workload -- churn --readers 2 std-rwlock-map handles-cow-map
//! ```
//!
//! Compare only the rows of one invocation: a shared machine drifts between
//! runs. The `PROCSTORE_BENCH_*` variables set the profile, the simulated
//! rate and the query rate, as for `cargo bench`; nothing is written to
//! `reports/`.

use std::process::ExitCode;

use procstore_benches::profile::{MAX_THREADS, Profile, whole};
use procstore_benches::supervision::{Settings, every_row, remote_setting, run_setting};
use procstore_catalog::{ALIASES, Entry, REGISTRIES, floors, registry_named};
use procstore_report::{Percentiles, ReaderLoad, Setting, WorkloadMode, format_duration};

const USAGE: &str = "usage: workload MODE [--readers N] [--closed-loop] [--rounds N] [ROW...]
  MODE           processes, simulated, churn or remote
  --readers N    reader threads (default: PROCSTORE_BENCH_THREADS, 10)
  --closed-loop  readers query back to back, not at PROCSTORE_BENCH_QUERY_RATE each
  --rounds N     rounds per row, interleaved across rows (default: the profile's)
  ROW            a registry id, a facade alias, or `timer` for the clock floor (default: every row)";

/// Why the command did not run, and whether the usage helps.
enum Failure {
    Usage(String),
    Environment(String),
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(error)) => {
            eprintln!("workload: {error}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Environment(error)) => {
            eprintln!("workload: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), Failure> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let profile = Profile::from_env().map_err(Failure::Environment)?;
    let mut settings = Settings::for_profile(&profile);
    let mut args = args.into_iter();
    let mode = match args.next().as_deref() {
        Some("processes") => WorkloadMode::Processes,
        Some("simulated") => WorkloadMode::Simulated,
        Some("churn") => WorkloadMode::Churn,
        Some("remote") => WorkloadMode::Remote,
        Some(other) => return Err(Failure::Usage(format!("unknown mode `{other}`"))),
        None => return Err(Failure::Usage("no mode given".to_owned())),
    };
    let mut readers = profile.threads;
    let mut closed_loop = false;
    let mut rows: Vec<&'static Entry> = Vec::new();
    while let Some(arg) = args.next() {
        let number = |value: Option<String>, max| whole(&arg, value.as_deref().unwrap_or(""), max);
        match arg.as_str() {
            "--readers" => readers = number(args.next(), MAX_THREADS).map_err(Failure::Usage)?,
            "--rounds" => settings.rounds = number(args.next(), 100).map_err(Failure::Usage)?,
            "--closed-loop" => closed_loop = true,
            option if option.starts_with('-') => {
                return Err(Failure::Usage(format!("unknown option `{option}`")));
            }
            "timer" => rows.push(&floors::TIMER),
            id => rows.push(registry_named(id).ok_or_else(|| Failure::Usage(unknown_row(id)))?),
        }
    }
    if rows.is_empty() {
        rows = every_row();
    }
    let setting = match (mode, closed_loop) {
        (WorkloadMode::Remote, true) => {
            return Err(Failure::Usage("the remote setting's readers are paced only".to_owned()));
        }
        (WorkloadMode::Remote, false) => remote_setting(readers as u32),
        (_, true) => Setting { mode, readers: readers as u32, load: ReaderLoad::ClosedLoop },
        (_, false) => Setting {
            mode,
            readers: readers as u32,
            load: ReaderLoad::Paced { queries_per_sec: profile.query_rate },
        },
    };
    println!("{}, {} round(s) of {:?} per row", setting.label(), settings.rounds, settings.measure);
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}  p99 by query",
        "row", "queries/s", "p50", "p99", "p99.9", "max", "events/s"
    );
    for record in run_setting(&settings, setting, &rows) {
        let by_query: Vec<String> = record
            .by_query
            .iter()
            .map(|q| format!("{:?} {}", q.query, format_duration(Some(q.latency.p99_ns))))
            .collect();
        let Percentiles { p50_ns, p99_ns, p999_ns, max_ns, .. } = record.latency;
        let [p50, p99, p999, max] = [p50_ns, p99_ns, p999_ns, max_ns].map(|ns| format_duration(Some(ns)));
        println!(
            "{:<28} {:>10.0} {p50:>9} {p99:>9} {p999:>9} {max:>9} {:>10.0}  {}",
            record.id,
            record.queries as f64 / record.seconds,
            record.events as f64 / record.seconds,
            by_query.join(", "),
        );
    }
    Ok(())
}

/// The error for a row that names nothing, listing what does.
fn unknown_row(id: &str) -> String {
    let registries: Vec<&str> = REGISTRIES.iter().map(|entry| entry.id).collect();
    let aliases: Vec<&str> = ALIASES.iter().map(|alias| alias.name).collect();
    format!(
        "no row `{id}`; the registries: {}; the aliases: {}; and `timer`",
        registries.join(", "),
        aliases.join(", ")
    )
}
