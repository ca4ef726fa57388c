//! Instruction counts per probe, measured under callgrind, and the gate
//! that compares them with a committed baseline.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::callgrind;
use crate::probes::Kind;

/// The version of [`Counts`]' JSON.
pub const SCHEMA: u32 = 1;

/// What every probe executes on one architecture, per operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The probe's architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// Whether callgrind ran under an emulator (qemu-user): the counts are
    /// the guest's, exact all the same, but worth saying.
    pub emulated: bool,
    /// The compiler that built the probe.
    pub rustc: String,
    /// Calls measured per probe.
    pub iterations: u64,
    /// One entry per probe, in the probe's order.
    pub paths: Vec<PathCount>,
}

/// One probe's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathCount {
    /// `kind/strategy`, e.g. `read/arc-swap-cache`.
    pub path: String,
    /// Instructions per operation in our own binary (std included, the C
    /// library left out): the probe function, what it calls, and the
    /// measuring loop's call of it (about 24 instructions on x86_64, the
    /// same for every path, so the gate's relative bounds are looser than
    /// they read for the shortest paths).
    pub instructions: f64,
    /// Allocations per operation, as the probe's own global allocator
    /// counts them; not rounded, so one allocation in 2,000 reads still fails.
    pub allocations: f64,
    /// Whether the path must not allocate (a read).
    pub read: bool,
}

/// How to run callgrind: a command that takes callgrind's options, then
/// the program (`valgrind --tool=callgrind`, or an emulated callgrind).
#[derive(Debug)]
pub struct Callgrind<'a> {
    /// The command and its first arguments.
    pub command: &'a [String],
    /// Whether it runs under an emulator.
    pub emulated: bool,
}

/// Calls of the shorter of a probe's two runs; the longer makes twice as many.
pub const ITERATIONS: u64 = 1000;

/// What one run of one probe reported: the instructions callgrind counted
/// in the probe's binary, and the probe's own count of allocations in its
/// measured calls.
struct Run {
    instructions: u64,
    allocations: u64,
}

fn run_once(
    callgrind: &Callgrind<'_>,
    probe: &Path,
    path: &str,
    iterations: u64,
    out: &Path,
) -> Result<Run, String> {
    let (program, first_args) = callgrind.command.split_first().ok_or("an empty callgrind command")?;
    let output = Command::new(program)
        .args(first_args)
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(probe)
        .args(["run", path, "--iterations", &iterations.to_string()])
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{path}: callgrind failed ({}):\n{stderr}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let allocations = stdout
        .lines()
        .find_map(|line| line.strip_prefix("allocations ")?.trim().parse().ok())
        .ok_or_else(|| format!("{path}: the probe did not report its allocations: {stdout}"))?;
    let object = probe.file_name().and_then(|n| n.to_str()).ok_or("the probe's file name")?;
    let text = std::fs::read_to_string(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let instructions = callgrind::read_dump(&text, object).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(Run { instructions, allocations })
}

/// Counts each of `probes` (paths of [`crate::probes::all`]) in `probe`, a
/// build of this program for any architecture, under callgrind, using
/// `work` for its output.
///
/// Each probe runs twice, [`ITERATIONS`] and twice as many measured calls
/// after the same set-up and warm-up; the difference, divided by
/// [`ITERATIONS`], is one call's count, the fixed costs cancelled as far as
/// they are the same in both runs. Work that depends on the hash seed each
/// run draws (a map's probe lengths, when it rehashes) is not cancelled but
/// doubled, which is why the gate gives writes a looser bound and why the
/// maps whose reads depend on it are not counted. This needs nothing of
/// callgrind but its per-address costs: its function-entry triggers
/// (`--toggle-collect`, `--dump-before`) lose track on aarch64 once a read
/// has used arc-swap's thread-local debts. Probes run side by side, one per
/// core.
///
/// # Errors
///
/// Callgrind or the probe failing, or output that cannot be read.
pub fn measure(
    callgrind: &Callgrind<'_>,
    probe: &Path,
    probes: &[&crate::probes::Probe],
    work: &Path,
) -> Result<Counts, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<PathCount, String>>>> =
        probes.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(probes.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(p) = probes.get(i) else { break };
                    let out = |n: u64| work.join(format!("{i}.{n}.out"));
                    let count = run_once(callgrind, probe, &p.path, ITERATIONS, &out(1)).and_then(|short| {
                        let long = run_once(callgrind, probe, &p.path, 2 * ITERATIONS, &out(2))?;
                        let added = long.instructions.checked_sub(short.instructions).ok_or_else(|| {
                            format!(
                                "{}: more calls executed fewer instructions; is the probe deterministic?",
                                p.path
                            )
                        })?;
                        Ok(PathCount {
                            path: p.path.clone(),
                            instructions: round(added as f64 / ITERATIONS as f64),
                            allocations: long.allocations as f64 / (2 * ITERATIONS) as f64,
                            read: p.kind.is_read(),
                        })
                    });
                    *results[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(count);
                }
            });
        }
    });
    let paths = results
        .into_iter()
        .map(|slot| {
            slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).expect("every probe ran")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let arch = arch_of(probe)?;
    Ok(Counts {
        schema: SCHEMA,
        arch,
        emulated: callgrind.emulated,
        rustc: rustc_version(),
        iterations: ITERATIONS,
        paths,
    })
}

/// The probe binary's architecture, from its ELF header.
fn arch_of(probe: &Path) -> Result<String, String> {
    let bytes = std::fs::read(probe).map_err(|e| format!("{}: {e}", probe.display()))?;
    match bytes.get(18..20) {
        _ if bytes.get(..4) != Some(b"\x7fELF") => Err(format!("{}: not an ELF binary", probe.display())),
        Some([0x3e, 0]) => Ok("x86_64".to_owned()),
        Some([0xb7, 0]) => Ok("aarch64".to_owned()),
        other => Err(format!("{}: an ELF machine this does not know: {other:?}", probe.display())),
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// How much a path may grow before the gate fails: both its relative
/// bound and the absolute one must be exceeded, so that a 3-instruction
/// path may gain one without failing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// Relative growth of a read, e.g. 0.20.
    pub read: f64,
    /// Relative growth of a path whose count depends on the hash seed (a
    /// write, a get miss: [`Kind::is_seed_dependent`]), looser: the
    /// immutable map's insert-remove took 435 and 538 instructions in two
    /// runs of the same binary, its get miss 64.5 and 78.6.
    pub seeded: f64,
    /// Absolute growth in instructions per operation.
    pub absolute: f64,
}

/// The gate's verdict on one run.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// A table of every path, for the log.
    pub table: String,
    /// Why the gate fails; empty when it passes.
    pub failures: Vec<String>,
}

/// Compares `current` with `baseline`: a path fails when its count grows
/// past `threshold` or, for a read, when it allocates at all; a path missing
/// from either side fails (record a new baseline on purpose).
///
/// With `partial`, the current run may measure only some paths (as the
/// check that the gate catches an injected regression does).
pub fn gate(baseline: &Counts, current: &Counts, threshold: Threshold, partial: bool) -> Verdict {
    let mut table = String::new();
    let mut failures = Vec::new();
    if baseline.arch != current.arch {
        failures.push(format!("baseline is for {}, this run is {}", baseline.arch, current.arch));
    }
    let _ = writeln!(
        table,
        "{:<48} {:>10} {:>10} {:>8} {:>7}  verdict",
        "path", "baseline", "now", "change", "allocs"
    );
    for now in &current.paths {
        let Some(base) = baseline.paths.iter().find(|b| b.path == now.path) else {
            failures.push(format!(
                "{}: no baseline (record one: scripts/instruction-gate.sh --record)",
                now.path
            ));
            continue;
        };
        let growth = now.instructions - base.instructions;
        let relative = if base.instructions > 0.0 { growth / base.instructions } else { 0.0 };
        let seeded = Kind::of_path(&now.path).map_or(!now.read, Kind::is_seed_dependent);
        let bound = if seeded { threshold.seeded } else { threshold.read };
        let verdict = if growth > threshold.absolute && relative > bound {
            failures.push(format!(
                "{}: {:.1} instructions per operation, baseline {:.1} (+{:.0}%)",
                now.path,
                now.instructions,
                base.instructions,
                relative * 100.0
            ));
            "REGRESSED".to_owned()
        } else if -growth > threshold.absolute && -relative > bound {
            "fewer: record a new baseline to keep the gain".to_owned()
        } else {
            "ok".to_owned()
        };
        if now.read && now.allocations > 0.0 {
            failures.push(format!("{}: a read allocates ({} per read)", now.path, now.allocations));
        }
        let _ = writeln!(
            table,
            "{:<48} {:>10.1} {:>10.1} {:>+7.0}% {:>7.1}  {verdict}",
            now.path,
            base.instructions,
            now.instructions,
            relative * 100.0,
            now.allocations
        );
    }
    for base in baseline.paths.iter().filter(|_| !partial) {
        if !current.paths.iter().any(|now| now.path == base.path) {
            failures.push(format!("{}: in the baseline but not measured", base.path));
        }
    }
    Verdict { table, failures }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(paths: &[(&str, f64, f64)]) -> Counts {
        Counts {
            schema: SCHEMA,
            arch: "x86_64".to_owned(),
            emulated: false,
            rustc: String::new(),
            iterations: 1000,
            paths: paths
                .iter()
                .map(|&(path, instructions, allocations)| PathCount {
                    path: path.to_owned(),
                    instructions,
                    allocations,
                    read: Kind::of_path(path).is_some_and(Kind::is_read),
                })
                .collect(),
        }
    }

    const T: Threshold = Threshold { read: 0.10, seeded: 0.5, absolute: 3.0 };

    #[test]
    fn growth_past_both_bounds_fails_and_within_either_passes() {
        let base = counts(&[("read/a", 20.0, 0.0), ("read/b", 3.0, 0.0), ("update/a", 100.0, 1.0)]);
        let now = counts(&[("read/a", 40.0, 0.0), ("read/b", 4.0, 0.0), ("update/a", 140.0, 1.0)]);
        let verdict = gate(&base, &now, T, false);
        assert_eq!(verdict.failures.len(), 1, "{:?}", verdict.failures);
        assert!(verdict.failures[0].starts_with("read/a: 40.0 instructions"));
        assert!(verdict.table.contains("REGRESSED"));
    }

    #[test]
    fn a_get_miss_has_the_seeded_bound_and_a_get_hit_the_read_bound() {
        let base = counts(&[("get-hit/a", 60.0, 0.0), ("get-miss/a", 60.0, 0.0)]);
        let now = counts(&[("get-hit/a", 75.0, 0.0), ("get-miss/a", 75.0, 0.0)]);
        let failures = gate(&base, &now, T, false).failures;
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].starts_with("get-hit/a: 75.0 instructions"));
    }

    #[test]
    fn a_read_that_allocates_fails() {
        let base = counts(&[("read/a", 20.0, 0.0), ("update/a", 100.0, 1.0)]);
        let now = counts(&[("read/a", 20.0, 1.0), ("update/a", 100.0, 2.0)]);
        let verdict = gate(&base, &now, T, false);
        assert_eq!(verdict.failures, ["read/a: a read allocates (1 per read)"]);
    }

    #[test]
    fn paths_missing_from_either_side_fail() {
        let base = counts(&[("read/a", 20.0, 0.0), ("read/gone", 5.0, 0.0)]);
        let now = counts(&[("read/a", 20.0, 0.0), ("read/new", 5.0, 0.0)]);
        let failures = gate(&base, &now, T, false).failures;
        assert_eq!(failures.len(), 2);
        assert!(failures[0].starts_with("read/new: no baseline"));
        assert!(failures[1].starts_with("read/gone: in the baseline but not measured"));
        let partial = gate(&base, &now, T, true).failures;
        assert_eq!(partial.len(), 1, "a partial run misses paths on purpose: {partial:?}");
    }
}
