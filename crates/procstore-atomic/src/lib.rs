//! Lock-free process stores and registries: the Go record's "Atomic" row.
//!
//! Every store here publishes an immutable [`ProcessState`] behind one
//! atomic pointer and updates it with a compare-and-swap loop: build the next
//! state from the current one, swap it in only if the pointer has not moved,
//! retry otherwise. The current state is kept alive by the updater while it
//! compares, so its address cannot be reused under it: the loop is free of
//! ABA.
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
//! [`CowRegistry`] (a copy-on-write `HashMap` behind arc-swap: reads at
//! `Cache` speed, every write copies the map).

mod arc_swap_store;
mod cow_registry;
mod dashmap_registry;
mod handle_maps;
mod hazard_store;
mod sync;

pub use arc_swap_store::{ArcSwapCacheReader, ArcSwapCacheStore, ArcSwapLoadReader, ArcSwapStore};
pub use cow_registry::{CowRegistry, CowRegistryReader};
pub use dashmap_registry::{DashMapRegistry, DashMapRegistryReader};
pub use handle_maps::{
    CowHandles, CowMap, CowMapReader, DashMapHandleRegistry, DashMapHandles, FastHash, PapayaHandles,
    PapayaMap, SccIndexHandles, SccIndexMap, SipHash,
};
pub use hazard_store::{HazardReader, HazardStore};

#[cfg(doc)]
use procstore_core::ProcessState;
