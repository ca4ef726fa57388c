//! How long and how wide to measure: one switch for a quick run, plus knobs.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROCSTORE_BENCH_PROFILE` | `full` | `quick`: short warm-up and measurement (CI, impatient users) |
//! | `PROCSTORE_BENCH_THREADS` | `10` | reader threads in Concurrent and the contention groups (Go: 10) |
//! | `PROCSTORE_BENCH_PACED_RATE` | `100000` | updates/s of the paced writer |
//! | `PROCSTORE_BENCH_QUERY_RATE` | `100000` | queries/s of each paced reader in the supervisor workload |

use std::time::Duration;

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
    /// Processes in the registry.
    pub registry_size: u64,
    /// Operations per strategy in the untimed memory pass.
    pub memory_ops: u64,
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
        let threads = positive("PROCSTORE_BENCH_THREADS", 10.0)? as usize;
        let paced_rate = positive("PROCSTORE_BENCH_PACED_RATE", 100_000.0)?;
        let query_rate = positive("PROCSTORE_BENCH_QUERY_RATE", 100_000.0)? as u64;
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
            registry_size: 1000,
            memory_ops: if quick { 2_000 } else { 20_000 },
        })
    }
}

fn positive(name: &str, default: f64) -> Result<f64, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(raw) => match raw.trim().parse::<f64>() {
            Ok(value) if value >= 1.0 && value.is_finite() => Ok(value),
            _ => Err(format!("{name} must be a number >= 1, got `{raw}`")),
        },
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
    use super::sweep;

    #[test]
    fn sweep_covers_go_ten_and_twice_the_cores() {
        assert_eq!(sweep(10, 2), vec![1, 2, 4, 8, 10]);
        assert_eq!(sweep(10, 64), vec![1, 2, 4, 8, 10, 16, 32, 64, 128]);
        assert_eq!(sweep(1, 1), vec![1, 2]);
    }
}
