//! The per-thread operations the benchmark groups time.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader, StateReader, StateStore};

use crate::pool::{Background, Job};

/// The state every store benchmark starts from.
pub fn initial_state() -> ProcessState {
    ProcessState::new(ProcessId(1), "bench")
}

/// `n` status reads through a reader of `store`.
pub fn read_job<S: StateStore>(store: &S) -> Job {
    let mut reader = store.reader();
    Box::new(move |n| {
        let mut ok = 0;
        for _ in 0..n {
            ok += u64::from(black_box(reader.status()).is_ok());
        }
        ok
    })
}

/// `n` updates around the restart cycle.
pub fn write_job<S: StateStore>(store: &Arc<S>) -> Job {
    let store = Arc::clone(store);
    Box::new(move |n| {
        let mut ok = 0;
        for _ in 0..n {
            ok += u64::from(store.update(restart_cycle).is_ok());
        }
        ok
    })
}

/// Reads back to back until told to stop.
pub fn background_reader<S: StateStore>(store: &S) -> Background {
    let mut reader = store.reader();
    Box::new(move |stop: &AtomicBool| {
        let mut n = 0;
        while !stop.load(Ordering::Acquire) {
            black_box(reader.status()).expect("background read");
            n += 1;
        }
        n
    })
}

/// Updates back to back, or at `rate` per second, until told to stop.
pub fn background_writer<S: StateStore>(store: &Arc<S>, rate: Option<f64>) -> Background {
    let store = Arc::clone(store);
    Box::new(move |stop: &AtomicBool| {
        paced(rate, stop, || {
            store.update(restart_cycle).expect("background update");
        })
    })
}

/// Updates the registry's processes in turn, back to back, until told to stop.
pub fn background_registry_writer<R: Registry>(registry: &Arc<R>, size: u64) -> Background {
    let registry = Arc::clone(registry);
    Box::new(move |stop: &AtomicBool| {
        let mut next = 0;
        paced(None, stop, || {
            registry.update(ProcessId(next % size), restart_cycle).expect("background registry update");
            next += 1;
        })
    })
}

/// Calls `step` back to back (`rate: None`) or `rate` times a second until
/// `stop` is set; returns how many calls it made.
pub fn paced(rate: Option<f64>, stop: &AtomicBool, mut step: impl FnMut()) -> u64 {
    // A short nap: a writer catches up in small bursts.
    let mut pacer = Pacer::new(rate, Duration::from_micros(50));
    while !stop.load(Ordering::Acquire) {
        if pacer.due() {
            step();
        }
    }
    pacer.done()
}

/// Spreads calls at a rate: a call is due while the caller is behind
/// schedule; otherwise [`due`](Self::due) naps first, so that a paced thread
/// runs in bursts and leaves its core to others between them, as a real
/// supervisor or status poller would.
#[derive(Debug)]
pub struct Pacer {
    rate: Option<f64>,
    nap: Duration,
    started: Instant,
    done: u64,
}

impl Pacer {
    /// Calls at `rate` per second (`None`: back to back), napping `nap`
    /// when ahead.
    pub fn new(rate: Option<f64>, nap: Duration) -> Self {
        Pacer { rate, nap, started: Instant::now(), done: 0 }
    }

    /// Whether a call is due now (counting it); when not, after one nap.
    pub fn due(&mut self) -> bool {
        let behind =
            self.rate.is_none_or(|rate| self.done < (self.started.elapsed().as_secs_f64() * rate) as u64);
        if behind {
            self.done += 1;
        } else {
            std::thread::sleep(self.nap);
        }
        behind
    }

    /// The calls counted so far.
    pub fn done(&self) -> u64 {
        self.done
    }
}

/// A small, fast, per-thread pseudo-random sequence (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A sequence seeded from `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value below `bound`.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// A registry holding processes `0..size`.
pub fn populated<R: Registry>(size: u64) -> Arc<R> {
    let registry = R::new();
    for id in 0..size {
        registry.insert(ProcessState::new(ProcessId(id), format!("proc-{id}"))).expect("fresh id");
    }
    Arc::new(registry)
}

/// A registry operation mix, run by one thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryOp {
    /// Get of a registered id.
    GetHit,
    /// Get of an id that is never registered.
    GetMiss,
    /// Insert of a fresh id, then its removal.
    Churn,
    /// 90% get hit, 9% update, 1% churn.
    Mix,
    /// List every process.
    List,
    /// A status poller's mix: 19 gets of registered ids, then one list.
    GetAndList,
}

/// Processes in the registry of the starvation group: a supervisor's table,
/// as many as the workload supervises.
pub const TABLE_SIZE: u64 = 16;

/// `n` operations of `op` by thread `thread` on a registry of `size` processes.
pub fn registry_job<R: Registry>(registry: &Arc<R>, op: RegistryOp, thread: u64, size: u64) -> Job {
    let registry = Arc::clone(registry);
    let mut reader = registry.reader();
    let mut rng = Rng::new(thread + 1);
    // Fresh ids for churn, disjoint between threads and from `0..size`.
    let mut next_fresh = (thread + 1) << 40;
    let mut step = 0u64;
    Box::new(move |n| {
        let mut ok = 0;
        for _ in 0..n {
            let choice = if op == RegistryOp::Mix { rng.below(100) } else { 0 };
            let success = match op {
                RegistryOp::GetHit => get_hit(&mut reader, &mut rng, size),
                RegistryOp::GetMiss => {
                    let id = ProcessId(size + rng.below(size));
                    reader.status(id) == Ok(None)
                }
                RegistryOp::Mix if choice < 90 => get_hit(&mut reader, &mut rng, size),
                RegistryOp::Mix if choice < 99 => {
                    registry.update(ProcessId(rng.below(size)), restart_cycle).is_ok()
                }
                RegistryOp::Churn | RegistryOp::Mix => {
                    next_fresh += 1;
                    let id = ProcessId(next_fresh);
                    registry.insert(ProcessState::new(id, "churn")).is_ok() && registry.remove(id).is_ok()
                }
                RegistryOp::List => reader.list().is_ok_and(|all| all.len() as u64 == size),
                RegistryOp::GetAndList => {
                    step += 1;
                    if step.is_multiple_of(20) {
                        reader.list().is_ok_and(|all| all.len() as u64 == size)
                    } else {
                        get_hit(&mut reader, &mut rng, size)
                    }
                }
            };
            ok += u64::from(black_box(success));
        }
        ok
    })
}

#[inline]
fn get_hit(reader: &mut impl RegistryReader, rng: &mut Rng, size: u64) -> bool {
    matches!(reader.status(ProcessId(rng.below(size))), Ok(Some(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unpaced_pacer_is_always_due() {
        let mut pacer = Pacer::new(None, Duration::from_secs(1));
        assert!((0..1000).all(|_| pacer.due()));
        assert_eq!(pacer.done(), 1000);
    }

    #[test]
    fn a_paced_pacer_never_runs_ahead_of_its_rate() {
        let rate = 10_000.0;
        // Started before the pacer, so the pacer's clock never runs ahead of
        // this one (under qemu the gap between the two was enough to fail).
        let started = Instant::now();
        let mut pacer = Pacer::new(Some(rate), Duration::from_micros(100));
        while started.elapsed() < Duration::from_millis(50) {
            let due = pacer.due();
            // Counted only while behind schedule: never more than the rate allows so far.
            assert!(!due || pacer.done() as f64 <= started.elapsed().as_secs_f64() * rate + 1.0);
        }
        assert!(pacer.done() > 0, "it ran");
    }
}
