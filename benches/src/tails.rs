//! Read latency tails: a timed pass beside criterion's rounds, in which the
//! same reader threads read for a fixed time and one read in N is timed
//! into an HDR histogram, so no clock runs inside a round criterion times.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use procstore_core::{StateReader, StateStore};
use procstore_report::{Percentiles, Tails};

use crate::pool::{Background, Pool, timer};

/// The share of a row's mean read the clock may add, spread over the reads.
const CLOCK_BUDGET: f64 = 0.05;

/// A histogram of nanoseconds, 3 significant figures, growing as needed.
pub fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// Records `took` in `h`.
pub fn record(h: &mut Histogram<u64>, took: Duration) {
    h.record(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX))
        .expect("auto-resizing histograms take any value");
}

/// The percentiles the reports print.
pub fn percentiles(h: &Histogram<u64>) -> Percentiles {
    Percentiles {
        count: h.len(),
        p50_ns: h.value_at_quantile(0.5) as f64,
        p99_ns: h.value_at_quantile(0.99) as f64,
        p999_ns: h.value_at_quantile(0.999) as f64,
        max_ns: h.max() as f64,
    }
}

/// The median time of timing nothing, in ns: what every sample includes.
pub fn clock_floor() -> f64 {
    let mut h = histogram();
    for _ in 0..100_000 {
        let start = Instant::now();
        record(&mut h, black_box(start).elapsed());
    }
    h.value_at_quantile(0.5) as f64
}

/// One read in how many to time so that the clock (`floor` ns a sample)
/// adds under 5% to reads of `mean_read` ns each.
pub fn sample_every(floor: f64, mean_read: f64) -> u64 {
    let every = floor / (CLOCK_BUDGET * mean_read.max(f64::MIN_POSITIVE));
    // At least 1; a huge ratio (a sub-picosecond row) is capped, not overflowed.
    every.ceil().clamp(1.0, 1e9) as u64
}

/// What one reader thread of the pass did.
struct ThreadTail {
    reads: u64,
    latency: Histogram<u64>,
}

/// Reads back to back until told to stop, timing one read in `every`.
fn sampled_reader<S: StateStore>(store: &S, every: u64, sink: &Arc<Mutex<Vec<ThreadTail>>>) -> Background {
    let mut reader = store.reader();
    let sink = Arc::clone(sink);
    Box::new(move |stop: &AtomicBool| {
        let mut tail = ThreadTail { reads: 0, latency: histogram() };
        while !stop.load(Ordering::Acquire) {
            for _ in 1..every {
                black_box(reader.status()).expect("read");
            }
            let start = Instant::now();
            black_box(reader.status()).expect("read");
            record(&mut tail.latency, start.elapsed());
            tail.reads += every;
        }
        let reads = tail.reads;
        sink.lock().expect("tails").push(tail);
        reads
    })
}

/// `readers` threads read `store` for `duration` beside the `others`
/// (a writer, or nothing), one read in `every` timed.
pub fn pass<S: StateStore>(
    store: &S,
    readers: usize,
    others: Vec<Background>,
    (duration, every, floor): (Duration, u64, f64),
) -> Tails {
    let sink = Arc::new(Mutex::new(Vec::with_capacity(readers)));
    let mut background: Vec<Background> = (0..readers).map(|_| sampled_reader(store, every, &sink)).collect();
    background.extend(others);
    let round = Pool::new(vec![timer(duration)], background).run(1);
    let threads = std::mem::take(&mut *sink.lock().expect("tails"));
    let mut latency = histogram();
    for t in &threads {
        latency.add(&t.latency).expect("auto-resizing histograms merge");
    }
    Tails {
        sample_every: every,
        latency: percentiles(&latency),
        clock_floor_ns: floor,
        seconds: round.elapsed.as_secs_f64(),
        fewest_reads: threads.iter().map(|t| t.reads).min().unwrap_or(0),
        most_reads: threads.iter().map(|t| t.reads).max().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procstore_catalog::strategies::StdMutexStore;

    use crate::workload::initial_state;

    #[test]
    fn the_clock_stays_within_its_budget() {
        assert_eq!(sample_every(20.0, 1000.0), 1);
        assert_eq!(sample_every(20.0, 1.0), 400);
        assert_eq!(sample_every(20.0, 0.0), 1_000_000_000);
    }

    #[test]
    fn every_reader_is_counted_and_sampled() {
        let store = StdMutexStore::new(initial_state());
        let tails = pass(&store, 3, vec![], (Duration::from_millis(50), 4, clock_floor()));
        assert_eq!(tails.sample_every, 4);
        assert!(tails.fewest_reads > 0 && tails.fewest_reads <= tails.most_reads, "{tails:?}");
        assert!(tails.latency.count * 4 >= tails.fewest_reads, "{tails:?}");
        assert!(tails.latency.p50_ns <= tails.latency.max_ns);
    }
}
