//! `procstore-instructions`: runs the probes, measures them under callgrind,
//! gates their counts against a committed baseline, and counts what their
//! code does from its disassembly.
//!
//! ```text
//! procstore-instructions run PATH [--iterations N]
//! procstore-instructions count --probe BIN --out FILE [--callgrind CMD] [--emulated] [--filter TEXT]
//! procstore-instructions gate --baseline FILE --counts FILE [--partial]
//! procstore-instructions disasm --binary BIN --objdump CMD --arch ARCH ... --out FILE
//! procstore-instructions disasm --merge FILE... --out FILE
//! ```
//!
//! `scripts/instruction-gate.sh` and `scripts/instructions.sh` drive it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use procstore_benches::alloc::{CountingAllocator, count_allocations};
use procstore_instructions::counts::{self, Callgrind, Counts, Threshold};
use procstore_instructions::probes::{self, measure};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Calls before measuring: first reads register thread-local state.
const WARM_UP: u64 = 100;

#[derive(Debug, Parser)]
#[command(name = "procstore-instructions")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one probe: set-up, warm-up, then N measured calls (what callgrind watches).
    Run {
        /// The probe's path, e.g. read/arc-swap-cache
        path: String,
        /// Measured calls
        #[arg(long, value_name = "N", default_value_t = counts::ITERATIONS)]
        iterations: u64,
    },
    /// Measures every probe of BIN under callgrind and writes the counts as JSON.
    Count {
        /// The probe binary (this program, possibly built for another architecture)
        #[arg(long, value_name = "BIN")]
        probe: PathBuf,
        /// Where to write the counts
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The callgrind command, split on spaces
        #[arg(long, value_name = "CMD", default_value = "valgrind --tool=callgrind")]
        callgrind: String,
        /// Callgrind runs under an emulator (recorded in the counts)
        #[arg(long)]
        emulated: bool,
        /// Only the probes whose path contains TEXT
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
    },
    /// Counts what each store probe's read and update compile to, from objdump, as JSON.
    Disasm(procstore_instructions::disasm::Args),
    /// Compares counts with a baseline; exits 1 when a path regressed.
    Gate {
        /// The committed counts
        #[arg(long, value_name = "FILE")]
        baseline: PathBuf,
        /// This run's counts
        #[arg(long, value_name = "FILE")]
        counts: PathBuf,
        /// Relative growth of a read that fails, in percent
        #[arg(long, value_name = "PERCENT", default_value_t = 20.0)]
        read_percent: f64,
        /// Relative growth that fails of a path whose count depends on the
        /// hash seed (a write, a get miss), in percent
        #[arg(long, value_name = "PERCENT", default_value_t = 50.0)]
        seeded_percent: f64,
        /// Absolute growth that fails, in instructions per operation
        #[arg(long, value_name = "N", default_value_t = 3.0)]
        instructions: f64,
        /// This run measured only some paths: do not fail for the others
        #[arg(long)]
        partial: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { path, iterations } => finish(run(&path, iterations)),
        Command::Count { probe, out, callgrind, emulated, filter } => {
            let command: Vec<String> = callgrind.split_whitespace().map(str::to_owned).collect();
            let work = out.with_extension("callgrind");
            let all = probes::all();
            let chosen: Vec<&probes::Probe> = all
                .iter()
                .filter(|p| p.counted() && filter.as_deref().is_none_or(|f| p.path.contains(f)))
                .collect();
            if chosen.is_empty() {
                return finish(Err(format!("no counted probe matches {:?}", filter.unwrap_or_default())));
            }
            let result = counts::measure(&Callgrind { command: &command, emulated }, &probe, &chosen, &work)
                .and_then(|counts| write_json(&out, &counts));
            let _ = std::fs::remove_dir_all(&work);
            finish(result.map(|()| println!("wrote {}", out.display())))
        }
        Command::Disasm(args) => {
            finish(procstore_instructions::disasm::run(&args).map(|wrote| println!("{wrote}")))
        }
        Command::Gate { baseline, counts, read_percent, seeded_percent, instructions, partial } => {
            let threshold = Threshold {
                read: read_percent / 100.0,
                seeded: seeded_percent / 100.0,
                absolute: instructions,
            };
            let loaded = read_json(&baseline).and_then(|b| Ok((b, read_json(&counts)?)));
            let (baseline_counts, current) = match loaded {
                Ok(both) => both,
                Err(error) => return finish(Err(error)),
            };
            if baseline_counts.rustc != current.rustc {
                println!(
                    "instruction gate: note: the baseline was counted with {}, this run with {}; another \
                     compiler emits other code, so record new counts (--record) after a toolchain change",
                    baseline_counts.rustc, current.rustc
                );
            }
            let verdict = counts::gate(&baseline_counts, &current, threshold, partial);
            print!("{}", verdict.table);
            if verdict.failures.is_empty() {
                println!(
                    "instruction gate: passed ({} paths within +{read_percent}% (reads), +{seeded_percent}% (writes, misses) \
                     or +{instructions} instructions of {})",
                    current.paths.len(),
                    baseline.display()
                );
                ExitCode::SUCCESS
            } else {
                for failure in &verdict.failures {
                    eprintln!("instruction gate: {failure}");
                }
                eprintln!("instruction gate: FAILED against {}", baseline.display());
                ExitCode::FAILURE
            }
        }
    }
}

/// The probe side: one probe's set-up and warm-up, then its measured calls,
/// and how many allocations they made.
fn run(path: &str, iterations: u64) -> Result<(), String> {
    let all = probes::all();
    let probe = all.iter().find(|p| p.path == path).ok_or_else(|| format!("no probe {path}"))?;
    let mut op = probe.prepare();
    measure(WARM_UP, &mut op);
    let allocations = count_allocations(iterations, |n| measure(n, &mut op));
    println!("allocations {}", (allocations.allocations * iterations as f64).round());
    Ok(())
}

fn read_json(path: &std::path::Path) -> Result<Counts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let counts: Counts = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if counts.schema != counts::SCHEMA {
        return Err(format!("{}: schema {}, expected {}", path.display(), counts.schema, counts::SCHEMA));
    }
    Ok(counts)
}

fn write_json(path: &std::path::Path, counts: &Counts) -> Result<(), String> {
    let text = serde_json::to_string_pretty(counts).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("procstore-instructions: {error}");
            ExitCode::FAILURE
        }
    }
}
