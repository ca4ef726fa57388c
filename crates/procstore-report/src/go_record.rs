//! The Go decision record being reproduced: its table and its claims.

/// The Go record's reader threads in its Concurrent column.
pub(crate) const GO_THREADS: u32 = 10;

/// The Go record's table: approach, then Single Reader, Concurrent (10),
/// Under Contention (ns/op) and Memory/Op, as printed there.
pub(crate) const GO_TABLE: [[&str; 5]; 3] = [
    ["Mutex (RWMutex)", "15.99 ns", "69.47 ns", "22.51 ns", "0 B"],
    ["Channel (actor goroutine)", "1,631 ns", "1,074 ns", "1,512 ns", "144 B"],
    ["Atomic (pointer swap)", "0.54 ns", "0.24 ns", "0.51 ns", "0 B"],
];

/// A claim: its words, and the factor range it gives (`high: None`: "or more").
#[derive(Clone, Copy, Debug)]
pub(crate) struct GoClaim {
    pub(crate) statement: &'static str,
    pub(crate) low: f64,
    pub(crate) high: Option<f64>,
}

impl GoClaim {
    /// The range as the record gives it: `15-67x`, `10x+`.
    pub(crate) fn range(&self) -> String {
        match self.high {
            Some(high) => format!("{}-{}x", self.low, high),
            None => format!("{}x+", self.low),
        }
    }
}

/// "Channels are 15-67x slower than a mutex."
pub(crate) const CHANNELS_SLOWER: GoClaim =
    GoClaim { statement: "Channels (an actor) are 15-67x slower than a mutex", low: 15.0, high: Some(67.0) };

/// "Atomic pointer swapping is 30-300x faster than a mutex."
pub(crate) const ATOMIC_FASTER: GoClaim = GoClaim {
    statement: "Atomic pointer swapping is 30-300x faster than a mutex",
    low: 30.0,
    high: Some(300.0),
};

/// "A concurrent map (sync.Map) is 3-5x faster than a locked map."
pub(crate) const CONCURRENT_MAP_FASTER: GoClaim = GoClaim {
    statement: "A concurrent map (sync.Map) is 3-5x faster than a locked map for the registry",
    low: 3.0,
    high: Some(5.0),
};

/// "10x+ improvement in concurrent scenarios."
pub(crate) const CONCURRENT_IMPROVEMENT: GoClaim = GoClaim {
    statement: "10x+ improvement in concurrent scenarios (atomic vs mutex)",
    low: 10.0,
    high: None,
};
