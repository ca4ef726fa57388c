//! Threads started before timing and released by a barrier, so no thread is
//! spawned inside a timed region.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A measured worker: performs `n` operations, returns how many succeeded.
pub type Job = Box<dyn FnMut(u64) -> u64 + Send>;
/// A background worker: works until the flag is set, returns operations done.
pub type Background = Box<dyn FnMut(&AtomicBool) -> u64 + Send>;

/// What one round measured.
#[derive(Clone, Copy, Debug)]
pub struct Round {
    /// From release to the last measured worker finishing.
    pub elapsed: Duration,
    /// Operations the background workers did meanwhile.
    pub background_ops: u64,
}

#[derive(Default)]
struct RoundTimes {
    start_at: Option<Instant>,
    end_at: Option<Instant>,
}

struct Control {
    start: Barrier,
    end: Barrier,
    measured: usize,
    total: AtomicU64,
    succeeded: AtomicU64,
    finished: AtomicUsize,
    round_over: AtomicBool,
    background_ops: AtomicU64,
    shutdown: AtomicBool,
    times: Mutex<RoundTimes>,
}

/// Measured workers that split each round's operations (Go `RunParallel`),
/// and background workers that run while they do.
pub struct Pool {
    control: Arc<Control>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts one thread per job; a machine that cannot start them all
    /// ends the run (see [`spawn`]).
    pub fn new(measured: Vec<Job>, background: Vec<Background>) -> Pool {
        assert!(!measured.is_empty(), "a pool needs a measured worker");
        let control = Arc::new(Control {
            start: Barrier::new(measured.len() + background.len() + 1),
            end: Barrier::new(measured.len() + background.len() + 1),
            measured: measured.len(),
            total: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            finished: AtomicUsize::new(0),
            round_over: AtomicBool::new(false),
            background_ops: AtomicU64::new(0),
            shutdown: AtomicBool::new(false),
            times: Mutex::new(RoundTimes::default()),
        });
        let count = measured.len() + background.len();
        let mut threads = Vec::with_capacity(count);
        for (index, job) in measured.into_iter().enumerate() {
            let control = Arc::clone(&control);
            threads.push(spawn("measured", (threads.len(), count), move || {
                measured_worker(&control, index, job)
            }));
        }
        for job in background {
            let control = Arc::clone(&control);
            threads
                .push(spawn("background", (threads.len(), count), move || background_worker(&control, job)));
        }
        Pool { control, threads }
    }

    /// Runs `total` operations split over the measured workers. Panics if
    /// any failed, so a broken run cannot report a number.
    pub fn run(&self, total: u64) -> Round {
        let c = &self.control;
        // Every worker is parked at `start`, so resetting is race-free.
        c.total.store(total, Ordering::Relaxed);
        c.succeeded.store(0, Ordering::Relaxed);
        c.finished.store(0, Ordering::Relaxed);
        c.round_over.store(false, Ordering::Relaxed);
        c.background_ops.store(0, Ordering::Relaxed);
        c.times.lock().expect("times").start_at = Some(Instant::now());
        c.start.wait();
        c.end.wait();
        let succeeded = c.succeeded.load(Ordering::Relaxed);
        assert_eq!(succeeded, total, "broken run: {succeeded} of {total} operations succeeded");
        let times = c.times.lock().expect("times");
        let (start, end) = (times.start_at.expect("set"), times.end_at.expect("set"));
        Round { elapsed: end - start, background_ops: c.background_ops.load(Ordering::Relaxed) }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("threads", &self.threads.len()).finish_non_exhaustive()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.control.shutdown.store(true, Ordering::Relaxed);
        self.control.start.wait();
        for thread in self.threads.drain(..) {
            thread.join().expect("benchmark worker panicked");
        }
    }
}

/// A measured worker that only waits `duration`: a round of a pool made
/// with it lets the background workers run for that long.
pub fn timer(duration: Duration) -> Job {
    Box::new(move |n| {
        thread::sleep(duration);
        n
    })
}

/// Starts thread `index` (from 0) of the `count` a caller starts at once,
/// named `bench-{role}`. A machine that cannot start that many threads
/// ends the run with a one-line error naming the count: a setting to lower,
/// not a bug for a backtrace to explain (and a pool short of threads would
/// wait at its barrier forever).
pub fn spawn<T: Send + 'static>(
    role: &str,
    (index, count): (usize, usize),
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let name = format!("bench-{role}");
    thread::Builder::new()
        .name(name.clone())
        .spawn(f)
        .unwrap_or_else(|error| crate::exit_with(&spawn_failed(&name, (index, count), &error)))
}

fn spawn_failed(name: &str, (index, count): (usize, usize), error: &io::Error) -> String {
    format!(
        "cannot start thread {} of {count} ({name}): {error}; this machine cannot run {count} threads \
         at once, lower PROCSTORE_BENCH_THREADS",
        index + 1
    )
}

fn measured_worker(c: &Control, index: usize, mut job: Job) {
    loop {
        c.start.wait();
        if c.shutdown.load(Ordering::Relaxed) {
            return;
        }
        let total = c.total.load(Ordering::Relaxed);
        let share = total / c.measured as u64 + u64::from((index as u64) < total % c.measured as u64);
        c.succeeded.fetch_add(job(share), Ordering::Relaxed);
        if c.finished.fetch_add(1, Ordering::AcqRel) + 1 == c.measured {
            c.times.lock().expect("times").end_at = Some(Instant::now());
            c.round_over.store(true, Ordering::Release);
        }
        c.end.wait();
    }
}

fn background_worker(c: &Control, mut job: Background) {
    loop {
        c.start.wait();
        if c.shutdown.load(Ordering::Relaxed) {
            return;
        }
        c.background_ops.fetch_add(job(&c.round_over), Ordering::Relaxed);
        c.end.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_work_and_counts_background() {
        let counted = Arc::new(AtomicU64::new(0));
        let jobs: Vec<Job> = (0..3)
            .map(|_| {
                let counted = Arc::clone(&counted);
                Box::new(move |n| {
                    counted.fetch_add(n, Ordering::Relaxed);
                    n
                }) as Job
            })
            .collect();
        let bg: Background = Box::new(|stop: &AtomicBool| {
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                std::hint::spin_loop();
            }
            n
        });
        let pool = Pool::new(jobs, vec![bg]);
        for total in [0, 1, 7, 1000] {
            counted.store(0, Ordering::Relaxed);
            pool.run(total);
            assert_eq!(counted.load(Ordering::Relaxed), total);
        }
    }

    #[test]
    fn a_failed_spawn_is_one_line_naming_the_count() {
        let error = io::Error::new(io::ErrorKind::WouldBlock, "Resource temporarily unavailable");
        assert_eq!(
            spawn_failed("bench-reader", (512, 1024), &error),
            "cannot start thread 513 of 1024 (bench-reader): Resource temporarily unavailable; this machine \
             cannot run 1024 threads at once, lower PROCSTORE_BENCH_THREADS"
        );
    }

    #[test]
    #[should_panic(expected = "broken run")]
    fn failed_operations_fail_the_round() {
        let pool = Pool::new(vec![Box::new(|n| n / 2)], vec![]);
        pool.run(10);
    }
}
