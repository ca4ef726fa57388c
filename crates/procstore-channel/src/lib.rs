//! Actor-thread process stores and registries: the Go record's "Channel" row.
//!
//! An actor thread owns the state; everybody else talks to it through a
//! bounded request queue, over crossbeam-channel or flume ([`Flavor`]). A
//! read is a round trip: the reader sends a request carrying a reply sender,
//! the actor answers with an `Arc` of the current state, and the reader runs
//! its closure on that. An update reads the current state, computes the next
//! one on the caller's thread, and asks the actor to swap it in only if the
//! state is still the one it read (a compare-and-set by `Arc` identity, which
//! the caller's reference keeps free of ABA); on a conflict it retries.
//!
//! Two reply modes ([`ReplyMode`]):
//! - [`FreshReply`]: a new reply channel per request, as in the Go design (an
//!   allocation per read);
//! - [`ReusedReply`]: the reader owns one reply channel and reuses it (no
//!   allocation per read).
//!
//! The actor never runs caller code, so a panicking closure cannot kill it,
//! and while the store lives its writes always reach it: only reads, from
//! readers that outlive the store, can fail ([`Stopped`](procstore_core::Stopped)).
//! The request queue is bounded ([`REQUEST_QUEUE`]): a caller faster than the
//! actor waits instead of growing memory. When the store is dropped the actor
//! drops the state at once; readers that outlive the store get
//! [`Stopped`](procstore_core::Stopped) and the actor thread
//! ends when the last of them is dropped (at once, and joined, if there are
//! none).
//!
//! What it costs: every read is a round trip through two queues and a
//! hand-off to and from the actor thread, and all reads are serialized
//! through that one thread; `reports/` has the measured figures (on the
//! x86_64 report, 0.9-1.4 µs per read over crossbeam, ~11 µs over flume,
//! whose blocking receive parks the thread).

mod actor;
mod flavor;
mod registry;
mod reply;
mod store;

pub use flavor::{Crossbeam, Flavor, Flume};
pub use registry::{ActorRegistry, ActorRegistryReader};
pub use reply::{FreshReply, ReplyMode, ReusedReply};
pub use store::{ActorStore, ActorStoreReader};

/// Capacity of every actor's request queue.
pub const REQUEST_QUEUE: usize = 256;

/// Actor over crossbeam-channel, a new reply channel per read (the Go design).
pub type CrossbeamFreshReplyStore = ActorStore<Crossbeam, FreshReply>;
/// Actor over crossbeam-channel, a reply channel reused by each reader.
pub type CrossbeamReusedReplyStore = ActorStore<Crossbeam, ReusedReply>;
/// Actor over flume, a new reply channel per read (the Go design).
pub type FlumeFreshReplyStore = ActorStore<Flume, FreshReply>;
/// Actor over flume, a reply channel reused by each reader.
pub type FlumeReusedReplyStore = ActorStore<Flume, ReusedReply>;

/// Actor-owned `HashMap` over crossbeam-channel (readers reuse their reply channel).
pub type CrossbeamActorRegistry = ActorRegistry<Crossbeam>;
/// Actor-owned `HashMap` over flume (readers reuse their reply channel).
pub type FlumeActorRegistry = ActorRegistry<Flume>;
