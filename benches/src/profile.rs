//! How long and how wide to measure: one switch for a quick run, plus knobs.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROCSTORE_BENCH_PROFILE` | `full` | `quick`: short warm-up and measurement (CI, impatient users) |
//! | `PROCSTORE_BENCH_THREADS` | `10` | reader threads in Concurrent and the contention groups (Go: 10): a whole number from 1 to [`MAX_THREADS`] (1024), digits only |
//! | `PROCSTORE_BENCH_PACED_RATE` | `100000` | updates/s of the paced writer: a finite number >= 1, decimals allowed |
//! | `PROCSTORE_BENCH_QUERY_RATE` | `100000` | queries/s of each paced reader in the supervisor workload: a whole number from 1 to [`MAX_QUERY_RATE`] (10^9), digits only |
//! | `PROCSTORE_BENCH_MACHINE` | `<arch>-<os>` | the folder under `reports/` a complete run writes, to keep several machines of one architecture apart (`x86_64-linux-16-cores`): ASCII letters, digits, `_`, `-` and `.`, not starting with `.` |
//!
//! A value outside these ends the run with a one-line error naming the
//! variable and the value.

use std::env::VarError;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use procstore_report::is_directory_name;

use crate::reclamation::Durations;

/// The most reader threads a run takes: twice the hardware threads of
/// today's largest two-socket servers (2 x 128 cores x 2), so any machine
/// can be oversubscribed, while a mistyped count (`100000`) is refused
/// rather than left to exhaust the machine's threads halfway through a run.
pub const MAX_THREADS: usize = 1024;

/// The most queries/s a paced reader is offered: one a nanosecond, past
/// which pacing means nothing (the closed-loop setting measures flat out).
pub const MAX_QUERY_RATE: u64 = 1_000_000_000;

/// The measurement settings of one run.
#[derive(Clone, Debug)]
pub struct Profile {
    /// `full` or `quick`.
    pub name: &'static str,
    /// Criterion warm-up per benchmark.
    pub warm_up: Duration,
    /// Criterion measurement per benchmark.
    pub measurement: Duration,
    /// Criterion samples per benchmark.
    pub sample_size: usize,
    /// Reader threads for Concurrent (N) and the contention groups.
    pub threads: usize,
    /// Thread counts of the sweep: 1, 2, 4, ... up to max(N, 2 x cores), and N.
    pub sweep: Vec<usize>,
    /// Target rate of the paced writer, updates/s.
    pub paced_rate: f64,
    /// Queries/s each paced reader of the supervisor workload is offered.
    pub query_rate: u64,
    /// The folder under `reports/` this machine's runs write, if not
    /// `<arch>-<os>`.
    pub machine: Option<String>,
    /// Processes in the registry.
    pub registry_size: u64,
    /// Operations per strategy in the untimed memory pass.
    pub memory_ops: u64,
    /// How long each multi-threaded row's sampled tail pass runs.
    pub tail_pass: Duration,
    /// How long the garbage gauge runs and the stalled reader stalls.
    pub reclamation: Durations,
}

impl Profile {
    /// Reads the environment; a malformed value is an error naming it.
    pub fn from_env() -> Result<Profile, String> {
        let quick = match std::env::var("PROCSTORE_BENCH_PROFILE").as_deref() {
            Err(_) | Ok("" | "full") => false,
            Ok("quick") => true,
            Ok(other) => {
                return Err(format!("PROCSTORE_BENCH_PROFILE must be `full` or `quick`, got `{other}`"));
            }
        };
        let threads = setting("PROCSTORE_BENCH_THREADS", 10, |name, raw| whole(name, raw, MAX_THREADS))?;
        let paced_rate = setting("PROCSTORE_BENCH_PACED_RATE", 100_000.0, at_least_one)?;
        let query_rate =
            setting("PROCSTORE_BENCH_QUERY_RATE", 100_000, |name, raw| whole(name, raw, MAX_QUERY_RATE))?;
        let machine = setting("PROCSTORE_BENCH_MACHINE", None, |name, raw| directory(name, raw).map(Some))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Profile {
            name: if quick { "quick" } else { "full" },
            warm_up: Duration::from_millis(if quick { 100 } else { 700 }),
            measurement: Duration::from_millis(if quick { 250 } else { 1500 }),
            sample_size: if quick { 10 } else { 30 },
            threads,
            sweep: sweep(threads, cores),
            paced_rate,
            query_rate,
            machine,
            registry_size: 1000,
            memory_ops: if quick { 2_000 } else { 20_000 },
            tail_pass: Duration::from_millis(if quick { 100 } else { 1000 }),
            reclamation: Durations {
                garbage: Duration::from_millis(if quick { 100 } else { 1000 }),
                stall: Duration::from_millis(if quick { 200 } else { 2000 }),
            },
        })
    }
}

/// The variable `name` read by `parse`, or `default` when it is unset.
fn setting<T>(name: &str, default: T, parse: impl Fn(&str, &str) -> Result<T, String>) -> Result<T, String> {
    match std::env::var(name) {
        Ok(raw) => parse(name, &raw),
        Err(VarError::NotPresent) => Ok(default),
        // Not UTF-8: lossy, so the error shows what it can of the value.
        Err(VarError::NotUnicode(raw)) => parse(name, &raw.to_string_lossy()),
    }
}

/// A whole number from 1 to `max`, in ASCII digits only: an integer's
/// parser would take a sign (`+4`), and a float's would round away a
/// fraction. `name` (a variable, a flag) heads the error.
pub fn whole<T: FromStr + PartialOrd + From<u8> + Display>(
    name: &str,
    raw: &str,
    max: T,
) -> Result<T, String> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<T>() {
        Ok(value) if digits && value >= T::from(1) && value <= max => Ok(value),
        _ => Err(format!("{name} must be a whole number from 1 to {max}, got `{raw}`")),
    }
}

/// A finite number >= 1, decimals allowed.
fn at_least_one(name: &str, raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(value) if value >= 1.0 && value.is_finite() => Ok(value),
        _ => Err(format!("{name} must be a finite number >= 1, got `{raw}`")),
    }
}

/// A folder name under `reports/` (see [`is_directory_name`]).
fn directory(name: &str, raw: &str) -> Result<String, String> {
    if is_directory_name(raw) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{name} names a folder under reports/: ASCII letters, digits, `_`, `-` and `.`, \
             not starting with `.`; got `{raw}`"
        ))
    }
}

/// 1, 2, 4, ... up to max(n, 2 x cores), with `n` itself included.
pub fn sweep(n: usize, cores: usize) -> Vec<usize> {
    let top = n.max(2 * cores);
    let mut counts: Vec<usize> =
        std::iter::successors(Some(1), |&t| Some(t * 2)).take_while(|&t| t <= top).collect();
    counts.push(n);
    counts.sort_unstable();
    counts.dedup();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_are_whole_numbers_up_to_the_cap() {
        let threads = |raw| whole("PROCSTORE_BENCH_THREADS", raw, MAX_THREADS);
        assert_eq!(threads("1"), Ok(1));
        assert_eq!(threads("10"), Ok(10));
        assert_eq!(threads("1024"), Ok(1024));
        let refused = [
            "2.7",
            "2.0",
            "1e1",
            "-2",
            "+2",
            " 2",
            "2 ",
            "",
            "0",
            "1025",
            "99999999999999999999999",
            "ten",
            "٣",
        ];
        for raw in refused {
            assert_eq!(
                threads(raw),
                Err(format!("PROCSTORE_BENCH_THREADS must be a whole number from 1 to 1024, got `{raw}`"))
            );
        }
    }

    #[test]
    fn query_rates_are_whole_numbers_up_to_one_a_nanosecond() {
        let rate = |raw| whole("PROCSTORE_BENCH_QUERY_RATE", raw, MAX_QUERY_RATE);
        assert_eq!(rate("100000"), Ok(100_000));
        assert_eq!(rate("1000000000"), Ok(1_000_000_000));
        for raw in ["1.5", "-1", "0", "1000000001", "1e5"] {
            assert_eq!(
                rate(raw),
                Err(format!(
                    "PROCSTORE_BENCH_QUERY_RATE must be a whole number from 1 to 1000000000, got `{raw}`"
                ))
            );
        }
    }

    #[test]
    fn rates_take_decimals_but_stay_finite_and_at_least_one() {
        let rate = |raw| at_least_one("PROCSTORE_BENCH_PACED_RATE", raw);
        assert_eq!(rate("100000"), Ok(100_000.0));
        assert_eq!(rate("2.5"), Ok(2.5));
        assert_eq!(rate("1"), Ok(1.0));
        for raw in ["0.5", "0", "-5", "inf", "NaN", "1e400", "", " 5", "fast"] {
            assert_eq!(
                rate(raw),
                Err(format!("PROCSTORE_BENCH_PACED_RATE must be a finite number >= 1, got `{raw}`"))
            );
        }
    }

    #[test]
    fn machine_names_are_single_folder_names() {
        let name = |raw| directory("PROCSTORE_BENCH_MACHINE", raw);
        assert_eq!(name("x86_64-linux-16-cores"), Ok("x86_64-linux-16-cores".to_owned()));
        for raw in ["", ".", "..", "../x", "a/b", ".hidden", "a b", "é"] {
            assert!(name(raw).unwrap_err().ends_with(&format!("got `{raw}`")), "{raw:?}");
        }
    }

    #[test]
    fn sweep_covers_go_ten_and_twice_the_cores() {
        assert_eq!(sweep(10, 2), vec![1, 2, 4, 8, 10]);
        assert_eq!(sweep(10, 64), vec![1, 2, 4, 8, 10, 16, 32, 64, 128]);
        assert_eq!(sweep(1, 1), vec![1, 2]);
    }
}
