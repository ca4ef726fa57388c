//! The garbage each store holds, and what one stalled reader costs it
//! (setbench's and smr-benchmark's questions), counted with the
//! conformance suite's [`GarbageGauge`].
//!
//! - **Garbage**: readers read back to back while one writer publishes,
//!   back to back or paced, for a while; the writer samples the states
//!   alive after every update (one relaxed load) for the peak and the mean.
//! - **A stalled reader**: one reader enters a read and stays inside it
//!   while the paced writer publishes and the other readers read; the
//!   garbage's growth, the writer's achieved rate and every read of the
//!   others during the stall are recorded. An epoch scheme cannot free
//!   anything retired after the stalled pin; a lock blocks the writer.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use procstore_catalog::{Entry, Family};
use procstore_conformance::workload::{GarbageGauge, restart_cycle};
use procstore_core::{StateReader, StateStore};
use procstore_report::{Garbage, ReclamationRecord, Stall};

use crate::pool::{Background, Job, Pool, timer};
use crate::tails::{histogram, percentiles, record};
use crate::workload::{background_reader, paced};

/// How long each part runs.
#[derive(Clone, Copy, Debug)]
pub struct Durations {
    /// Each garbage run, back to back and paced.
    pub garbage: Duration,
    /// How long the stalled reader stays inside its read.
    pub stall: Duration,
}

/// Measures one store: `readers` read beside the writer (and beside the
/// stalled reader); the paced writer aims at `rate` updates/s.
pub fn measure<S: StateStore>(
    entry: &Entry,
    readers: usize,
    rate: f64,
    durations: Durations,
) -> ReclamationRecord {
    ReclamationRecord {
        id: entry.id.to_owned(),
        strategy: entry.label.to_owned(),
        kind: entry.family,
        declared_bounded: S::GARBAGE_IS_BOUNDED,
        readers: readers as u32,
        // The leaky floor would keep every state a free-running writer makes.
        back_to_back: (entry.family != Family::Floor).then(|| garbage::<S>(readers, None, durations.garbage)),
        paced: garbage::<S>(readers, Some(rate), durations.garbage),
        stall: stall::<S>(readers, rate, durations.stall),
    }
}

/// States alive while readers read and one writer publishes for `duration`.
pub fn garbage<S: StateStore>(readers: usize, rate: Option<f64>, duration: Duration) -> Garbage {
    let gauge = Arc::new(GarbageGauge::new());
    let store = Arc::new(S::new(gauge.initial_state()));
    let result = Arc::new(Mutex::new(None));
    let writer: Background = {
        let (store, gauge, result) = (Arc::clone(&store), Arc::clone(&gauge), Arc::clone(&result));
        Box::new(move |stop: &AtomicBool| {
            let (mut peak, mut sum) = (0, 0);
            let updates = paced(rate, stop, || {
                store.update(restart_cycle).expect("valid transition");
                let alive = gauge.alive() as u64;
                peak = peak.max(alive);
                sum += alive;
            });
            *result.lock().expect("garbage") = Some((updates, peak, sum));
            updates
        })
    };
    let mut background: Vec<Background> = (0..readers).map(|_| background_reader(&*store)).collect();
    background.push(writer);
    let round = Pool::new(vec![timer(duration)], background).run(1);
    let (updates, peak, sum) = result.lock().expect("garbage").take().expect("the writer reported");
    Garbage {
        seconds: round.elapsed.as_secs_f64(),
        updates,
        peak,
        mean: if updates == 0 { 0.0 } else { sum as f64 / updates as f64 },
    }
}

/// When the stall lasts: set by the stalled reader inside its read.
struct StallWindow {
    /// What the other readers' clocks count from.
    base: Instant,
    /// Whether the stalled reader is inside its read now.
    open: AtomicBool,
    /// ns after `base` when the stall began and ended; 0 until then.
    opened: AtomicU64,
    closed: AtomicU64,
    alive_before: AtomicU64,
}

impl StallWindow {
    fn now(&self) -> u64 {
        // At least 1: 0 means "not yet".
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    /// Whether a read from `start` to `end` (ns after `base`) overlapped the
    /// stall, as far as is known at its end.
    fn overlapped(&self, start: u64, end: u64) -> bool {
        let opened = self.opened.load(Ordering::Acquire);
        let closed = self.closed.load(Ordering::Acquire);
        opened != 0 && end > opened && (closed == 0 || start < closed)
    }
}

/// One reader inside a read for `duration` while the writer publishes at
/// `rate` and `others` readers read; each of their reads that overlaps the
/// stall is timed.
pub fn stall<S: StateStore>(others: usize, rate: f64, duration: Duration) -> Stall {
    let gauge = Arc::new(GarbageGauge::new());
    let store = Arc::new(S::new(gauge.initial_state()));
    let window = Arc::new(StallWindow {
        base: Instant::now(),
        open: AtomicBool::new(false),
        opened: AtomicU64::new(0),
        closed: AtomicU64::new(0),
        alive_before: AtomicU64::new(0),
    });
    let stalled: Job = {
        let (mut reader, gauge, window) = (store.reader(), Arc::clone(&gauge), Arc::clone(&window));
        Box::new(move |n| {
            // Let the writer and the readers get going first.
            std::thread::sleep(duration / 10);
            reader
                .read(|_| {
                    window.alive_before.store(gauge.alive() as u64, Ordering::Relaxed);
                    window.opened.store(window.now(), Ordering::Release);
                    window.open.store(true, Ordering::Release);
                    std::thread::sleep(duration);
                    window.open.store(false, Ordering::Release);
                    window.closed.store(window.now(), Ordering::Release);
                })
                .expect("the stalled read");
            n
        })
    };
    let writer_result = Arc::new(Mutex::new((0, 0)));
    let writer: Background = {
        let (store, gauge, window, result) =
            (Arc::clone(&store), Arc::clone(&gauge), Arc::clone(&window), Arc::clone(&writer_result));
        Box::new(move |stop: &AtomicBool| {
            let (mut updates, mut peak) = (0, 0);
            let made = paced(Some(rate), stop, || {
                // Counted only if the stall was on before it began and still
                // on once it went through: an update that began before the
                // stall can finish inside it (a lock's writer ahead of the
                // stalled reader, descheduled before it looks).
                let began_inside = window.open.load(Ordering::Acquire);
                store.update(restart_cycle).expect("valid transition");
                if began_inside && window.open.load(Ordering::Acquire) {
                    updates += 1;
                    peak = peak.max(gauge.alive() as u64);
                }
            });
            *result.lock().expect("stall") = (updates, peak);
            made
        })
    };
    let latencies = Arc::new(Mutex::new(histogram()));
    let mut background: Vec<Background> = (0..others)
        .map(|_| {
            let (mut reader, window, latencies) =
                (store.reader(), Arc::clone(&window), Arc::clone(&latencies));
            Box::new(move |stop: &AtomicBool| {
                let (mut mine, mut n) = (histogram(), 0_u64);
                while !stop.load(Ordering::Acquire) {
                    // Timed if it overlapped the stall: one that began
                    // before it and waited it out counts.
                    let start = window.now();
                    black_box(reader.status()).expect("read");
                    let end = window.now();
                    if window.overlapped(start, end) {
                        record(&mut mine, Duration::from_nanos(end - start));
                    }
                    n += 1;
                }
                latencies.lock().expect("stall").add(&mine).expect("auto-resizing histograms merge");
                n
            }) as Background
        })
        .collect();
    background.push(writer);
    Pool::new(vec![stalled], background).run(1);
    let (updates, alive_peak) = *writer_result.lock().expect("stall");
    let alive_before = window.alive_before.load(Ordering::Relaxed);
    Stall {
        seconds: duration.as_secs_f64(),
        target_updates_per_sec: rate,
        updates,
        alive_before,
        alive_peak: alive_peak.max(alive_before),
        others: percentiles(&latencies.lock().expect("stall")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procstore_catalog::strategies::{ArcSwapStore, StdMutexStore};

    use crate::floor::LeakyFloor;

    const RATE: f64 = 20_000.0;

    #[test]
    fn every_store_and_the_floor_run_both_and_none_hangs() {
        struct Each(Vec<ReclamationRecord>);
        impl procstore_catalog::StoreVisitor for Each {
            fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
                // Long enough that a paced writer publishes something even
                // under qemu on a loaded machine (30 ms once saw none).
                let durations =
                    Durations { garbage: Duration::from_millis(300), stall: Duration::from_millis(60) };
                self.0.push(measure::<S>(entry, 1, RATE, durations));
            }
        }
        let mut each = Each(Vec::new());
        crate::floor::each_store_and_floor(&mut each);
        let ids: Vec<_> = each.0.iter().map(|r| r.id.as_str()).collect();
        assert!(procstore_catalog::STORES.iter().all(|entry| ids.contains(&entry.id)), "{ids:?}");
        for record in &each.0 {
            assert!(record.paced.updates > 0, "{record:?}");
            assert!(record.paced.peak >= 1 && record.stall.alive_before >= 1, "{record:?}");
            assert_eq!(record.back_to_back.is_none(), record.kind == Family::Floor, "{record:?}");
        }
    }

    #[test]
    fn the_gauge_sees_a_leaky_store_grow_and_a_bounded_one_hold() {
        let leaky = garbage::<LeakyFloor>(1, Some(RATE), Duration::from_millis(100));
        let bounded = garbage::<ArcSwapStore>(1, Some(RATE), Duration::from_millis(100));
        assert!(leaky.updates > 100, "{leaky:?}");
        // The leaky floor frees nothing: every state it published is alive.
        assert_eq!(leaky.peak, leaky.updates + 1, "{leaky:?}");
        assert!(bounded.updates > 100, "{bounded:?}");
        assert!(bounded.peak <= 4, "{bounded:?}");
        assert!(bounded.mean <= bounded.peak as f64, "{bounded:?}");
    }

    #[test]
    fn a_stalled_reader_holds_back_a_leaky_store_and_blocks_a_lock() {
        let leaky = stall::<LeakyFloor>(1, RATE, Duration::from_millis(200));
        assert!(leaky.updates > 100, "{leaky:?}");
        assert!(leaky.growth() >= leaky.updates - 1, "{leaky:?}");
        let lock = stall::<StdMutexStore>(1, RATE, Duration::from_millis(200));
        assert_eq!(lock.updates, 0, "the writer waits for the stalled reader's lock: {lock:?}");
        assert_eq!(lock.growth(), 0, "{lock:?}");
        // The other reader waited out the stall too.
        assert!(lock.others.max_ns >= 100e6, "{lock:?}");
    }
}
