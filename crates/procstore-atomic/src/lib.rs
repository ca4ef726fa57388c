//! Process stores whose reads never wait, and lock-free registries: the Go
//! record's "Atomic" row.
//!
//! The arc-swap, hazard-pointer, epoch and seize stores publish an
//! immutable [`ProcessState`] behind one atomic pointer and update it with a
//! compare-and-swap loop: build the next state from the current one, swap
//! it in only if the pointer has not moved, retry otherwise. The current
//! state is kept alive by the updater while it compares, so its address
//! cannot be reused under it: the loop is free of ABA. Three stores
//! serialize their writers on a lock that no read takes: left-right, which
//! has a single writer by design, arcshift, whose update needs the store's
//! own `ArcShift` by `&mut`, and the sequence lock, which has no pointer to
//! swap: its readers copy the state out of two slots of plain words, so it
//! needs no reclamation at all.
//!
//! Go's garbage collector makes its atomic read one load. In Rust the read
//! must also keep the state alive while the caller looks at it, and that is
//! where these strategies differ:
//!
//! | type | a read costs | garbage |
//! |---|---|---|
//! | [`ArcSwapStore`] | arc-swap `load`: a debt slot taken and returned (thread-local) | none held by idle readers |
//! | [`ArcSwapCacheStore`] | arc-swap `Cache`: one atomic load and a compare while nothing changed | each reader pins the last state it saw |
//! | [`HazardStore`] | haphazard: a hazard-pointer store, a `SeqCst` fence, a reload | each reader pins the last state it saw; retired states wait for a reclamation pass |
//! | [`EpochStore`] | crossbeam-epoch: pin the reader's own `LocalHandle` (a store and a `SeqCst` fence), load, unpin | retired states wait in bags until every pinned thread has moved on; one reader that stays pinned holds them all |
//! | [`SeizeStore`] | seize: enter the collector (the thread's slot, with a light barrier where the kernel offers `membarrier`), load, leave | retired states wait in per-thread batches until every thread active at their retirement has left |
//! | [`LeftRightStore`] | left-right: bump the reader's own epoch counter, read the copy readers are on, bump it again | none: two copies, the writer waits for readers to leave the old one before it overwrites it |
//! | [`ArcShiftStore`] | arcshift: each reader's own `ArcShift`, one load and a compare while nothing changed | each reader pins the last state it saw until it reads again (and one small node per state published since) |
//! | [`SeqLockStore`] | a sequence lock over two slots: one load of the counter and a compare while nothing changed, else a copy of nine words between two loads of the counter; nothing shared is written | none: each reader keeps its own copy; the store keeps each name the process had |
//!
//! Schemes left out, and why: `sdd`, scc's own epoch collector, is the
//! scheme [`EpochStore`] already measures, and the scc handle registry
//! runs on it; `flize` (epochs, last released in 2021) and `conc` (hazard
//! pointers, 2017) are unmaintained. `aarc`, an `AtomicArc` on
//! fast-smr's robust scheme (garbage bounded even under a stalled reader,
//! unlike epochs), is the one worth adding next: it is young (0.x, one
//! maintainer), so it was not taken in this round.
//!
//! No strategy here can stop, so reads cannot fail: every reader's error
//! type is [`Infallible`](std::convert::Infallible).
//!
//! ```
//! use procstore_atomic::ArcSwapCacheStore;
//! use procstore_core::{ProcessId, ProcessState, StateReader, StateStore, Status};
//!
//! let store = ArcSwapCacheStore::new(ProcessState::new(ProcessId(1), "web"));
//! let Ok(status) = store.reader().status();
//! assert_eq!(status, Status::Starting);
//! ```
//!
//! Registries: [`DashMapRegistry`] (a sharded lock per bucket group) and
//! [`CowRegistry`] (a copy-on-write `HashMap` behind arc-swap, every write
//! copies the map; read through a `Cache` or by a `load` per read). Registries of handles, each
//! process in its own store: papaya, scc's `HashIndex`, DashMap and a
//! copy-on-write map ([`CowMap`]) hold the stores in a
//! [`HandleRegistry`](procstore_core::HandleRegistry); [`CowHandles`]
//! holds them in a copy-on-write map too, and each of its readers indexes
//! its own readers of the stores, so a read makes one lookup, but every
//! add or remove costs every reader an update of its index.

/// `Debug` that names the type and nothing more, for stores and readers
/// whose fields (foreign handles, raw pointers) say nothing a reader needs.
macro_rules! opaque_debug {
    ($($name:ident),+) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )+};
}

mod arc_swap_store;
mod arcshift_store;
mod cow_handles;
mod cow_registry;
mod dashmap_registry;
mod epoch_store;
mod handle_maps;
mod hazard_store;
mod left_right_store;
mod seize_store;
mod seqlock_store;
mod sync;

pub use arc_swap_store::{ArcSwapCacheReader, ArcSwapCacheStore, ArcSwapLoadReader, ArcSwapStore};
pub use arcshift_store::{ArcShiftReader, ArcShiftStore};
pub use cow_handles::{CowHandles, CowHandlesReader};
pub use cow_registry::{CowReadPath, CowRegistry, CowRegistryReader, ReadByLoad, ReadThroughCache};
pub use dashmap_registry::{DashMapRegistry, DashMapRegistryReader};
pub use epoch_store::{EpochReader, EpochStore};
pub use handle_maps::{
    CowMap, CowMapHandles, CowMapReader, DashMapHandleRegistry, DashMapHandles, PapayaHandles, PapayaMap,
    SccIndexHandles, SccIndexMap,
};
pub use hazard_store::{HazardReader, HazardStore};
pub use left_right_store::{LeftRightReader, LeftRightStore};
pub use seize_store::{SeizeReader, SeizeStore};
pub use seqlock_store::{SeqLockReader, SeqLockStore};

#[cfg(doc)]
use procstore_core::ProcessState;
