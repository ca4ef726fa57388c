//! Every procstore strategy, listed once.
//!
//! Each store and registry has one entry here: a stable id (`std-mutex`,
//! `arc-swap-cache`, ...) that `results.json`, the command line and the
//! renderer use, the label a person reads, its [`Family`] and its type.
//! Everything that runs strategies derives from these lists:
//!
//! - the benches visit [`each_store`] and [`each_registry`];
//! - the supervisor runs on any registry: its `--store` choices are
//!   [`REGISTRIES`] and [`ALIASES`], run through [`with_registry`], and the
//!   workload benchmark measures every registry;
//! - the conformance suite runs on every entry through [`with_stores!`] and
//!   [`with_registries!`] (this crate's `tests/conformance.rs`).
//!
//! Registries come in two designs. A registry of values holds each
//! process's state in the map, so every transition writes the map. A
//! registry of handles ([`HandleRegistry`](procstore_core::HandleRegistry))
//! holds each process's own store, so a transition writes only that store.
//!
//! Adding a strategy is one line in [`with_stores!`] or [`with_registries!`]
//! plus its implementation; docs/BENCHMARKS.md walks through it.

use serde::{Deserialize, Serialize};

pub use procstore_core::{Registry, StateStore};

/// The types every entry names, so the list macros can reach them from any crate.
pub mod strategies {
    pub use procstore_atomic::{
        ArcShiftStore, ArcSwapCacheStore, ArcSwapStore, CowHandles, CowMapHandles, CowRegistry,
        DashMapHandleRegistry, DashMapRegistry, EpochStore, HazardStore, LeftRightStore, PapayaHandles,
        ReadByLoad, SccIndexHandles, SeizeStore, SeqLockStore,
    };
    pub use procstore_channel::{
        CrossbeamActorRegistry, CrossbeamFreshReplyStore, CrossbeamReusedReplyStore, FlumeActorRegistry,
        FlumeFreshReplyStore, FlumeReusedReplyStore,
    };
    pub use procstore_core::SipHash;
    pub use procstore_mutex::{
        ParkingLotMutexRegistry, ParkingLotMutexStore, ParkingLotRwLockRegistry, ParkingLotRwLockStore,
        StdMutexRegistry, StdMutexStore, StdRwLockRegistry, StdRwLockStore,
    };

    /// Process stores `S` in a `HashMap` under a parking_lot `RwLock`.
    pub type ParkingLotRwLockHandles<S> = procstore_core::HandleRegistry<
        S,
        procstore_mutex::LockMap<parking_lot::RwLock<procstore_mutex::IdMap<HandleOf<S>>>>,
    >;
    type HandleOf<S> = std::sync::Arc<procstore_core::Handle<S>>;
}

/// The family a strategy belongs to: the Go record's rows, plus the
/// concurrent map of its registry claim and the benchmark-only floors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// A lock around the state or map (the Go "Mutex" row).
    Lock,
    /// An actor thread behind channels (the Go "Channel" row).
    Channel,
    /// An atomic pointer with safe reclamation (the Go "Atomic" row).
    Atomic,
    /// A concurrent map (the Go record's sync.Map claim).
    ConcurrentMap,
    /// A benchmark-only lower bound, never a store.
    Floor,
}

impl Family {
    /// The family in words, e.g. `concurrent map`.
    pub fn label(self) -> &'static str {
        match self {
            Family::Lock => "lock",
            Family::Channel => "channel",
            Family::Atomic => "atomic",
            Family::ConcurrentMap => "concurrent map",
            Family::Floor => "floor",
        }
    }
}

/// One store, registry or floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The stable id, kebab-case: what `results.json` and the renderer match on.
    pub id: &'static str,
    /// The row label a person reads.
    pub label: &'static str,
    /// Its family.
    pub family: Family,
}

/// Something done once per store type.
pub trait StoreVisitor {
    /// Called with each store type and its entry.
    fn visit<S: StateStore>(&mut self, entry: &'static Entry);
}

/// Something done once per registry type.
pub trait RegistryVisitor {
    /// Called with each registry type and its entry.
    fn visit<R: Registry>(&mut self, entry: &'static Entry);
}

/// Something done with one store's type, picked by id.
pub trait StorePicker {
    /// What [`visit`](Self::visit) returns.
    type Output;
    /// Called with the store's type and entry.
    fn visit<S: StateStore>(self, entry: &'static Entry) -> Self::Output;
}

/// Something done with one registry's type, picked by name.
pub trait RegistryPicker {
    /// What [`visit`](Self::visit) returns.
    type Output;
    /// Called with the registry's type and entry.
    fn visit<R: Registry>(self, entry: &'static Entry) -> Self::Output;
}

/// Calls `$callback! { module: "id", "label", Family, Type; ... }` with
/// every store, in table order. `module` is the id in snake_case, for
/// generated test modules.
///
/// ```
/// macro_rules! ids {
///     ($($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => { [$($id),+] };
/// }
/// assert_eq!(procstore_catalog::with_stores!(ids)[0], "std-mutex");
/// ```
#[macro_export]
macro_rules! with_stores {
    ($($callback:ident)::+) => {
        $($callback)::+! {
            std_mutex: "std-mutex", "std Mutex", Lock, $crate::strategies::StdMutexStore;
            std_rwlock: "std-rwlock", "std RwLock", Lock, $crate::strategies::StdRwLockStore;
            parking_lot_mutex: "parking-lot-mutex", "parking_lot Mutex", Lock, $crate::strategies::ParkingLotMutexStore;
            parking_lot_rwlock: "parking-lot-rwlock", "parking_lot RwLock", Lock, $crate::strategies::ParkingLotRwLockStore;
            crossbeam_fresh_reply: "crossbeam-fresh-reply", "actor/crossbeam (reply per read)", Channel, $crate::strategies::CrossbeamFreshReplyStore;
            crossbeam_reused_reply: "crossbeam-reused-reply", "actor/crossbeam (reused reply)", Channel, $crate::strategies::CrossbeamReusedReplyStore;
            flume_fresh_reply: "flume-fresh-reply", "actor/flume (reply per read)", Channel, $crate::strategies::FlumeFreshReplyStore;
            flume_reused_reply: "flume-reused-reply", "actor/flume (reused reply)", Channel, $crate::strategies::FlumeReusedReplyStore;
            arc_swap: "arc-swap", "arc-swap load", Atomic, $crate::strategies::ArcSwapStore;
            arc_swap_cache: "arc-swap-cache", "arc-swap Cache", Atomic, $crate::strategies::ArcSwapCacheStore;
            haphazard: "haphazard", "haphazard hazard pointer", Atomic, $crate::strategies::HazardStore;
            crossbeam_epoch: "crossbeam-epoch", "crossbeam-epoch pin", Atomic, $crate::strategies::EpochStore;
            seize: "seize", "seize guard", Atomic, $crate::strategies::SeizeStore;
            left_right: "left-right", "left-right ReadHandle", Atomic, $crate::strategies::LeftRightStore;
            arcshift: "arcshift", "arcshift per reader", Atomic, $crate::strategies::ArcShiftStore;
            seqlock: "seqlock", "seqlock, two slots", Atomic, $crate::strategies::SeqLockStore;
        }
    };
}

/// Calls `$callback! { module: "id", "label", Family, Type; ... }` with
/// every registry, in table order (see [`with_stores!`]).
#[macro_export]
macro_rules! with_registries {
    ($($callback:ident)::+) => {
        $($callback)::+! {
            std_mutex_map: "std-mutex-map", "std Mutex<HashMap>", Lock, $crate::strategies::StdMutexRegistry;
            std_rwlock_map: "std-rwlock-map", "std RwLock<HashMap>", Lock, $crate::strategies::StdRwLockRegistry;
            parking_lot_mutex_map: "parking-lot-mutex-map", "parking_lot Mutex<HashMap>", Lock, $crate::strategies::ParkingLotMutexRegistry;
            parking_lot_rwlock_map: "parking-lot-rwlock-map", "parking_lot RwLock<HashMap>", Lock, $crate::strategies::ParkingLotRwLockRegistry;
            crossbeam_actor_map: "crossbeam-actor-map", "actor/crossbeam HashMap", Channel, $crate::strategies::CrossbeamActorRegistry;
            flume_actor_map: "flume-actor-map", "actor/flume HashMap", Channel, $crate::strategies::FlumeActorRegistry;
            dashmap: "dashmap", "DashMap", ConcurrentMap, $crate::strategies::DashMapRegistry;
            cow_map: "cow-map", "copy-on-write HashMap (arc-swap Cache)", Atomic, $crate::strategies::CowRegistry;
            cow_map_load: "cow-map-load", "copy-on-write HashMap (arc-swap load)", Atomic,
                $crate::strategies::CowRegistry<$crate::strategies::ReadByLoad>;
            handles_parking_lot: "handles-parking-lot", "parking_lot Mutex stores in a parking_lot RwLock map (handles)", Lock,
                $crate::strategies::ParkingLotRwLockHandles<$crate::strategies::ParkingLotMutexStore>;
            handles_dashmap: "handles-dashmap", "arc-swap Cache stores in DashMap (handles)", ConcurrentMap,
                $crate::strategies::DashMapHandleRegistry<$crate::strategies::ArcSwapCacheStore>;
            handles_papaya: "handles-papaya", "arc-swap Cache stores in papaya (handles)", ConcurrentMap,
                $crate::strategies::PapayaHandles<$crate::strategies::ArcSwapCacheStore>;
            handles_papaya_siphash: "handles-papaya-siphash", "arc-swap Cache stores in papaya, SipHash (handles)", ConcurrentMap,
                $crate::strategies::PapayaHandles<$crate::strategies::ArcSwapCacheStore, $crate::strategies::SipHash>;
            handles_papaya_haphazard: "handles-papaya-haphazard", "haphazard stores in papaya (handles)", ConcurrentMap,
                $crate::strategies::PapayaHandles<$crate::strategies::HazardStore>;
            handles_scc_index: "handles-scc-index", "arc-swap Cache stores in scc HashIndex (handles)", ConcurrentMap,
                $crate::strategies::SccIndexHandles<$crate::strategies::ArcSwapCacheStore>;
            handles_cow_map: "handles-cow-map", "arc-swap Cache stores in a copy-on-write map (handles)", Atomic,
                $crate::strategies::CowHandles<$crate::strategies::ArcSwapCacheStore>;
            handles_papaya_seqlock: "handles-papaya-seqlock", "seqlock stores in papaya (handles)", ConcurrentMap,
                $crate::strategies::PapayaHandles<$crate::strategies::SeqLockStore>;
            handles_cow_map_seqlock: "handles-cow-map-seqlock", "seqlock stores in a copy-on-write map (handles)", Atomic,
                $crate::strategies::CowMapHandles<$crate::strategies::SeqLockStore>;
        }
    };
}

macro_rules! define_list {
    ($list:ident, $each:ident, $visitor:ident, $doc:literal;
     $($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        #[doc = concat!("Every ", $doc, ", in table order.")]
        pub const $list: &[Entry] = &[$(Entry { id: $id, label: $label, family: Family::$family }),+];

        #[doc = concat!("Calls `visitor` with every ", $doc, "'s type and entry, in table order.")]
        pub fn $each(visitor: &mut impl $visitor) {
            let mut entries = $list.iter();
            $(visitor.visit::<$ty>(entries.next().expect(concat!("listed: ", $id)));)+
        }

    };
}

macro_rules! store_list {
    ($($rest:tt)+) => { define_list! { STORES, each_store, StoreVisitor, "store"; $($rest)+ } };
}
macro_rules! registry_list {
    ($($rest:tt)+) => { define_list! { REGISTRIES, each_registry, RegistryVisitor, "registry"; $($rest)+ } };
}
with_stores!(store_list);
with_registries!(registry_list);

/// The benchmark-only lower bounds measured beside the stores. Their
/// implementations live in the benches; only their names live here.
pub mod floors {
    use super::{Entry, Family};

    /// A raw `AtomicPtr` load whose replaced states are never freed.
    pub const LEAKY_ATOMIC_PTR: Entry =
        Entry { id: "leaky-atomic-ptr", label: "floor: leaky AtomicPtr load", family: Family::Floor };
    /// A request and reply over crossbeam channels to an echo thread.
    pub const CROSSBEAM_ROUND_TRIP: Entry = Entry {
        id: "crossbeam-round-trip",
        label: "floor: bare crossbeam round trip",
        family: Family::Floor,
    };
    /// A request and reply over flume channels to an echo thread.
    pub const FLUME_ROUND_TRIP: Entry =
        Entry { id: "flume-round-trip", label: "floor: bare flume round trip", family: Family::Floor };
    /// The workload's clock reads alone, no query.
    pub const TIMER: Entry = Entry { id: "timer", label: "floor: timer only", family: Family::Floor };
    /// An immutable map read through a plain shared reference: the
    /// registry's equivalent of the leaky pointer.
    pub const IMMUTABLE_MAP: Entry =
        Entry { id: "immutable-map", label: "floor: immutable HashMap, no sync", family: Family::Floor };

    /// Every floor.
    pub const ALL: [&Entry; 5] =
        [&LEAKY_ATOMIC_PTR, &CROSSBEAM_ROUND_TRIP, &FLUME_ROUND_TRIP, &TIMER, &IMMUTABLE_MAP];
}

macro_rules! store_by_name {
    ($($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        /// Runs `visitor` with the type of the store whose id is `id`;
        /// `None` for an unknown id.
        pub fn with_store<V: StorePicker>(id: &str, visitor: V) -> Option<V::Output> {
            let entry = STORES.iter().find(|entry| entry.id == id)?;
            $(if entry.id == $id {
                return Some(visitor.visit::<$ty>(entry));
            })+
            unreachable!("every listed store has a branch")
        }
    };
}
with_stores!(store_by_name);

macro_rules! registry_by_name {
    ($($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        /// Runs `visitor` with the type of the registry called `name` (an id
        /// of [`REGISTRIES`] or an alias of [`ALIASES`]); `None` for an
        /// unknown name.
        pub fn with_registry<V: RegistryPicker>(name: &str, visitor: V) -> Option<V::Output> {
            let entry = registry_named(name)?;
            $(if entry.id == $id {
                return Some(visitor.visit::<$ty>(entry));
            })+
            unreachable!("every listed registry has a branch")
        }
    };
}
with_registries!(registry_by_name);

/// What one `procstore` facade feature selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The feature, also a `--store` name for the supervisor.
    pub name: &'static str,
    /// The id of its `DefaultStore`.
    pub store: &'static str,
    /// The id of its `DefaultRegistry`.
    pub registry: &'static str,
}

/// What each facade feature selects: `atomic` (the default), `mutex` (the
/// fallback) and `channel`. The facade's tests check that its types match.
pub const ALIASES: [Alias; 3] = [
    Alias { name: "atomic", store: "seqlock", registry: "handles-cow-map-seqlock" },
    Alias { name: "mutex", store: "parking-lot-rwlock", registry: "parking-lot-rwlock-map" },
    Alias { name: "channel", store: "crossbeam-reused-reply", registry: "crossbeam-actor-map" },
];

/// The registry the `procstore` facade picks with its default features
/// (the `atomic` alias).
pub fn facade_default() -> &'static Entry {
    registry_named("atomic").expect("the atomic alias names a listed registry")
}

/// The registry called `name` (an id of [`REGISTRIES`] or an alias of [`ALIASES`]).
pub fn registry_named(name: &str) -> Option<&'static Entry> {
    let id = ALIASES.iter().find(|alias| alias.name == name).map_or(name, |alias| alias.registry);
    REGISTRIES.iter().find(|entry| entry.id == id)
}

/// The entry (store, registry or floor) a row label names, for results
/// recorded before ids existed.
pub fn id_for_label(label: &str) -> Option<&'static str> {
    STORES
        .iter()
        .chain(REGISTRIES)
        .chain(floors::ALL)
        .find(|entry| entry.label == label)
        .map(|entry| entry.id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    macro_rules! modules {
        ($($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
            [$((stringify!($module), $id)),+]
        };
    }

    #[test]
    fn ids_are_unique_kebab_case_and_match_their_modules() {
        let lists = [with_stores!(modules).to_vec(), with_registries!(modules).to_vec()].concat();
        let mut seen = HashSet::new();
        for (module, id) in lists {
            assert_eq!(module.replace('_', "-"), id);
            assert!(seen.insert(id), "{id} listed twice");
        }
        for floor in floors::ALL {
            assert!(seen.insert(floor.id), "{} listed twice", floor.id);
        }
    }

    #[test]
    fn labels_are_unique() {
        let mut seen = HashSet::new();
        for label in STORES.iter().chain(REGISTRIES).chain(floors::ALL).map(|e| e.label) {
            assert!(seen.insert(label), "{label} listed twice");
        }
    }

    struct TypeName;
    impl RegistryPicker for TypeName {
        type Output = &'static str;
        fn visit<R: Registry>(self, _: &'static Entry) -> &'static str {
            std::any::type_name::<R>()
        }
    }

    struct TypeNames(Vec<(&'static str, &'static str)>);
    impl RegistryVisitor for TypeNames {
        fn visit<R: Registry>(&mut self, entry: &'static Entry) {
            self.0.push((entry.id, std::any::type_name::<R>()));
        }
    }

    #[test]
    fn every_registry_and_alias_picks_its_listed_type() {
        let mut listed = TypeNames(Vec::new());
        each_registry(&mut listed);
        for (id, ty) in listed.0 {
            assert_eq!(with_registry(id, TypeName), Some(ty), "{id}");
        }
        for alias in ALIASES {
            assert_eq!(with_registry(alias.name, TypeName), with_registry(alias.registry, TypeName));
            assert!(STORES.iter().any(|entry| entry.id == alias.store), "{alias:?}");
        }
        assert!(with_registry("actor", TypeName).is_none());
    }

    #[test]
    fn old_labels_map_to_ids() {
        assert_eq!(id_for_label("std Mutex"), Some("std-mutex"));
        assert_eq!(id_for_label("std Mutex<HashMap>"), Some("std-mutex-map"));
        assert_eq!(id_for_label("floor: timer only"), Some("timer"));
        assert_eq!(id_for_label("no such row"), None);
    }
}
