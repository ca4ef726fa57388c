//! A linearizability checker for histories of versioned reads and writes.
//!
//! Every operation takes a ticket from one global counter when it is invoked
//! and another when it returns, so tickets order events in real time. Every
//! write publishes the next version (1, 2, ...), so a history of one process
//! is linearizable exactly when:
//!
//! - each read returns a version no older than the last write that returned
//!   before the read was invoked, and no newer than the last write invoked
//!   before the read returned;
//! - reads ordered in real time never go backwards;
//! - writes ordered in real time publish increasing versions, and the
//!   versions published are exactly 1..=writes.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

/// The global ticket counter of one history.
#[derive(Debug, Default)]
pub struct Clock(AtomicU64);

impl Clock {
    /// The next ticket.
    pub fn tick(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// What an operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Observed `version`.
    Read,
    /// Published `version`.
    Write,
}

/// One completed operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Read or write.
    pub kind: Kind,
    /// Ticket taken before the call.
    pub invoked: u64,
    /// Ticket taken after it returned.
    pub returned: u64,
    /// The version read or published.
    pub version: u64,
}

impl Event {
    /// Runs `op` between two ticks of `clock` and records what it returned.
    pub fn record(clock: &Clock, kind: Kind, op: impl FnOnce() -> u64) -> Event {
        let invoked = clock.tick();
        let version = op();
        let returned = clock.tick();
        Event { kind, invoked, returned, version }
    }
}

/// Runs `writers` threads calling `write` `writes_each` times and one thread
/// per reader calling it until the writers are done, and returns every
/// operation as an [`Event`]. `write` returns the version it published, a
/// reader the version it saw.
pub fn record<R>(
    writers: usize,
    writes_each: usize,
    readers: Vec<R>,
    write: impl Fn() -> u64 + Sync,
) -> Vec<Event>
where
    R: FnMut() -> u64 + Send,
{
    let clock = Clock::default();
    let writers_left = AtomicUsize::new(writers);
    let start = Barrier::new(writers + readers.len());
    let (clock, writers_left, start, write) = (&clock, &writers_left, &start, &write);
    thread::scope(|scope| {
        let mut threads = Vec::new();
        for _ in 0..writers {
            threads.push(scope.spawn(move || {
                start.wait();
                let events: Vec<Event> =
                    (0..writes_each).map(|_| Event::record(clock, Kind::Write, write)).collect();
                writers_left.fetch_sub(1, Ordering::Release);
                events
            }));
        }
        for mut read in readers {
            threads.push(scope.spawn(move || {
                start.wait();
                let mut events = Vec::new();
                while writers_left.load(Ordering::Acquire) > 0 {
                    events.push(Event::record(clock, Kind::Read, &mut read));
                }
                events
            }));
        }
        threads.into_iter().flat_map(|t| t.join().expect("history thread")).collect()
    })
}

/// Maximum version among `events` whose `key` ticket is below `bound`.
struct PrefixMax {
    /// (ticket, max version of events with a ticket <= this one), by ticket.
    steps: Vec<(u64, u64)>,
}

impl PrefixMax {
    fn new(events: &[Event], key: impl Fn(&Event) -> u64) -> PrefixMax {
        let mut keyed: Vec<(u64, u64)> = events.iter().map(|e| (key(e), e.version)).collect();
        keyed.sort_unstable();
        let mut max = 0;
        let steps = keyed
            .into_iter()
            .map(|(ticket, version)| {
                max = max.max(version);
                (ticket, max)
            })
            .collect();
        PrefixMax { steps }
    }

    fn below(&self, bound: u64) -> u64 {
        let n = self.steps.partition_point(|&(ticket, _)| ticket < bound);
        if n == 0 { 0 } else { self.steps[n - 1].1 }
    }
}

/// Checks `events` (any order) and describes the first violation found.
pub fn check(events: &[Event]) -> Result<(), String> {
    let (writes, reads): (Vec<Event>, Vec<Event>) = events.iter().partition(|e| e.kind == Kind::Write);

    let mut versions: Vec<u64> = writes.iter().map(|w| w.version).collect();
    versions.sort_unstable();
    if !versions.iter().copied().eq(1..=writes.len() as u64) {
        return Err(format!("writes published {versions:?}, not 1..={}", writes.len()));
    }

    let writes_returned = PrefixMax::new(&writes, |e| e.returned);
    let writes_invoked = PrefixMax::new(&writes, |e| e.invoked);
    let reads_returned = PrefixMax::new(&reads, |e| e.returned);
    for read in &reads {
        let oldest = writes_returned.below(read.invoked);
        let newest = writes_invoked.below(read.returned);
        if read.version < oldest || read.version > newest {
            return Err(format!(
                "{read:?} saw version {} outside [{oldest}, {newest}] allowed by the writes around it",
                read.version
            ));
        }
        let earlier = reads_returned.below(read.invoked);
        if read.version < earlier {
            return Err(format!("{read:?} went backwards: a read that finished before it saw {earlier}"));
        }
    }
    for write in &writes {
        let earlier = writes_returned.below(write.invoked);
        if write.version <= earlier && earlier != 0 {
            return Err(format!(
                "{write:?} published no later than a write that finished before it ({earlier})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: Kind, invoked: u64, returned: u64, version: u64) -> Event {
        Event { kind, invoked, returned, version }
    }

    #[test]
    fn sequential_history_is_linearizable() {
        let h = [ev(Kind::Read, 0, 1, 0), ev(Kind::Write, 2, 3, 1), ev(Kind::Read, 4, 5, 1)];
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn overlapping_read_may_see_either_side() {
        for seen in [0, 1] {
            let h = [ev(Kind::Write, 0, 3, 1), ev(Kind::Read, 1, 2, seen)];
            assert_eq!(check(&h), Ok(()), "seen {seen}");
        }
    }

    #[test]
    fn stale_read_is_caught() {
        let h = [ev(Kind::Write, 0, 1, 1), ev(Kind::Read, 2, 3, 0)];
        assert!(check(&h).unwrap_err().contains("outside [1, 1]"));
    }

    #[test]
    fn read_from_the_future_is_caught() {
        let h = [ev(Kind::Read, 0, 1, 1), ev(Kind::Write, 2, 3, 1)];
        assert!(check(&h).is_err());
    }

    #[test]
    fn reads_going_backwards_are_caught() {
        let h = [ev(Kind::Write, 0, 9, 1), ev(Kind::Read, 1, 2, 1), ev(Kind::Read, 3, 4, 0)];
        assert!(check(&h).unwrap_err().contains("went backwards"));
    }

    #[test]
    fn lost_or_reordered_writes_are_caught() {
        assert!(check(&[ev(Kind::Write, 0, 1, 2)]).is_err());
        let h = [ev(Kind::Write, 0, 1, 2), ev(Kind::Write, 2, 3, 1)];
        assert!(check(&h).unwrap_err().contains("no later"));
    }
}
