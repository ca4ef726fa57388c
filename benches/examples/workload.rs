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

use procstore_benches::profile::{MAX_THREADS, Profile};
use procstore_benches::supervision::{REMOTE_QUERY_RATE, Settings, run_setting};
use procstore_catalog::{Entry, REGISTRIES, floors, registry_named};
use procstore_report::{Percentiles, ReaderLoad, Setting, WorkloadMode};

const USAGE: &str = "usage: workload MODE [--readers N] [--closed-loop] [--rounds N] [REGISTRY...]
  MODE       processes, simulated, churn or remote
  --readers  reader threads (default: PROCSTORE_BENCH_THREADS, 10)
  --closed-loop  readers query back to back instead of at PROCSTORE_BENCH_QUERY_RATE
  --rounds   rounds per row, interleaved across rows (default: the profile's)
  REGISTRY   registry ids or facade aliases, and `timer` for the clock floor (default: all)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("workload: {error}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let profile = Profile::from_env()?;
    let mut settings = Settings::for_profile(&profile);
    let mut args = args.into_iter();
    let mode = match args.next().as_deref() {
        Some("processes") => WorkloadMode::Processes,
        Some("simulated") => WorkloadMode::Simulated,
        Some("churn") => WorkloadMode::Churn,
        Some("remote") => WorkloadMode::Remote,
        Some(other) => return Err(format!("unknown mode `{other}`")),
        None => return Err("no mode given".to_owned()),
    };
    let mut readers = profile.threads;
    let mut closed_loop = false;
    let mut rows: Vec<&'static Entry> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--readers" => readers = count(&arg, args.next(), MAX_THREADS)?,
            "--rounds" => settings.rounds = count(&arg, args.next(), 100)?,
            "--closed-loop" => closed_loop = true,
            "timer" => rows.push(&floors::TIMER),
            id => rows.push(registry_named(id).ok_or_else(|| {
                let known: Vec<&str> = REGISTRIES.iter().map(|entry| entry.id).collect();
                format!("no registry `{id}`; the registries: {}", known.join(", "))
            })?),
        }
    }
    if rows.is_empty() {
        rows = REGISTRIES.iter().chain([&floors::TIMER]).collect();
    }
    let load = match (mode, closed_loop) {
        (WorkloadMode::Remote, true) => return Err("the remote setting is paced only".to_owned()),
        (WorkloadMode::Remote, false) => ReaderLoad::Paced { queries_per_sec: REMOTE_QUERY_RATE },
        (_, true) => ReaderLoad::ClosedLoop,
        (_, false) => ReaderLoad::Paced { queries_per_sec: profile.query_rate },
    };
    let setting = Setting { mode, readers: readers as u32, load };
    println!("{}, {} round(s) of {:?} per row", setting.label(), settings.rounds, settings.measure);
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}  p99 by query",
        "registry", "queries/s", "p50", "p99", "p99.9", "max", "events/s"
    );
    for record in run_setting(&settings, setting, &rows) {
        let by_query: Vec<String> =
            record.by_query.iter().map(|q| format!("{:?} {}", q.query, nanos(q.latency.p99_ns))).collect();
        let Percentiles { p50_ns, p99_ns, p999_ns, max_ns, .. } = record.latency;
        println!(
            "{:<28} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>10.0}  {}",
            record.id,
            record.queries as f64 / record.seconds,
            nanos(p50_ns),
            nanos(p99_ns),
            nanos(p999_ns),
            nanos(max_ns),
            record.events as f64 / record.seconds,
            by_query.join(", "),
        );
    }
    Ok(())
}

/// The whole number after `flag`, from 1 to `max`.
fn count(flag: &str, value: Option<String>, max: usize) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value
        .parse()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("{flag} takes a whole number from 1 to {max}, got `{value}`"))
}

/// `ns` with a unit a reader can compare at a glance.
fn nanos(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.0} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    }
}
