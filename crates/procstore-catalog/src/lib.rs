//! Every procstore strategy, listed once.
//!
//! Each store, registry and supervisor pair has one entry here: a stable
//! id (`std-mutex`, `arc-swap-cache`, ...) that `results.json`, the command
//! line and the renderer use, the label a person reads, its [`Family`] and
//! its types. Everything that runs strategies derives from these lists:
//!
//! - the benches visit [`each_store`] and [`each_registry`];
//! - the supervisor's `--store` choices are [`PAIRS`] and [`ALIASES`], run
//!   through [`with_pair`];
//! - the conformance suite runs on every entry through [`with_stores!`] and
//!   [`with_registries!`] (this crate's `tests/conformance.rs`).
//!
//! Adding a strategy is one line in [`with_stores!`] or [`with_registries!`]
//! (and one in [`with_pairs!`] if the supervisor should run on it) plus its
//! implementation; docs/BENCHMARKS.md walks through it.

use serde::{Deserialize, Serialize};

pub use procstore_core::{Registry, StateStore};

/// The types every entry names, so the list macros can reach them from any crate.
pub mod strategies {
    pub use procstore_atomic::{ArcSwapCacheStore, ArcSwapStore, CowRegistry, DashMapRegistry, HazardStore};
    pub use procstore_channel::{
        CrossbeamActorRegistry, CrossbeamFreshReplyStore, CrossbeamReusedReplyStore, FlumeActorRegistry,
        FlumeFreshReplyStore, FlumeReusedReplyStore,
    };
    pub use procstore_mutex::{
        ParkingLotMutexRegistry, ParkingLotMutexStore, ParkingLotRwLockRegistry, ParkingLotRwLockStore,
        StdMutexRegistry, StdMutexStore, StdRwLockRegistry, StdRwLockStore,
    };
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

/// A store and registry the supervisor runs on together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pair {
    /// The stable id, also the supervisor's `--store` value.
    pub id: &'static str,
    /// The row label, naming both halves.
    pub label: &'static str,
    /// Its family.
    pub family: Family,
    /// The per-child store's entry.
    pub store: &'static Entry,
    /// The registry's entry.
    pub registry: &'static Entry,
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

/// Something done with a pair's types.
pub trait PairVisitor {
    /// What [`visit`](Self::visit) returns.
    type Output;
    /// Called with the pair's store and registry types.
    fn visit<S: StateStore, R: Registry>(self, pair: &'static Pair) -> Self::Output;
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
            cow_map: "cow-map", "copy-on-write HashMap (arc-swap)", Atomic, $crate::strategies::CowRegistry;
        }
    };
}

/// Calls `$callback! { module: "id", "label", Family, store_module: StoreType, registry_module: RegistryType; ... }`
/// with every store and registry pair the supervisor runs on, in table order
/// (see [`with_stores!`]; `store_module` and `registry_module` name the
/// halves' entries).
#[macro_export]
macro_rules! with_pairs {
    ($($callback:ident)::+) => {
        $($callback)::+! {
            std_mutex: "std-mutex", "std Mutex", Lock,
                std_mutex: $crate::stores::std_mutex, std_mutex_map: $crate::registries::std_mutex_map;
            std_rwlock: "std-rwlock", "std RwLock", Lock,
                std_rwlock: $crate::stores::std_rwlock, std_rwlock_map: $crate::registries::std_rwlock_map;
            parking_lot_mutex: "parking-lot-mutex", "parking_lot Mutex", Lock,
                parking_lot_mutex: $crate::stores::parking_lot_mutex, parking_lot_mutex_map: $crate::registries::parking_lot_mutex_map;
            parking_lot_rwlock: "parking-lot-rwlock", "parking_lot RwLock", Lock,
                parking_lot_rwlock: $crate::stores::parking_lot_rwlock, parking_lot_rwlock_map: $crate::registries::parking_lot_rwlock_map;
            crossbeam: "crossbeam", "actor/crossbeam", Channel,
                crossbeam_reused_reply: $crate::stores::crossbeam_reused_reply, crossbeam_actor_map: $crate::registries::crossbeam_actor_map;
            flume: "flume", "actor/flume", Channel,
                flume_reused_reply: $crate::stores::flume_reused_reply, flume_actor_map: $crate::registries::flume_actor_map;
            arc_swap: "arc-swap", "arc-swap Cache + DashMap", Atomic,
                arc_swap_cache: $crate::stores::arc_swap_cache, dashmap: $crate::registries::dashmap;
            hazard: "hazard", "haphazard + copy-on-write map", Atomic,
                haphazard: $crate::stores::haphazard, cow_map: $crate::registries::cow_map;
        }
    };
}

macro_rules! define_list {
    ($list:ident, $types:ident, $each:ident, $visitor:ident, $doc:literal;
     $($module:ident: $id:literal, $label:literal, $family:ident, $ty:ty;)+) => {
        #[doc = concat!("Every ", $doc, ", in table order.")]
        pub const $list: &[Entry] = &[$(Entry { id: $id, label: $label, family: Family::$family }),+];

        #[doc = concat!("Calls `visitor` with every ", $doc, "'s type and entry, in table order.")]
        pub fn $each(visitor: &mut impl $visitor) {
            let mut entries = $list.iter();
            $(visitor.visit::<$ty>(entries.next().expect(concat!("listed: ", $id)));)+
        }

        #[doc = concat!("Every ", $doc, "'s type, by its id in snake_case (for [`with_pairs!`]).")]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub mod $types {
            $(pub type $module = $ty;)+
        }
    };
}

macro_rules! store_list {
    ($($rest:tt)+) => { define_list! { STORES, stores, each_store, StoreVisitor, "store"; $($rest)+ } };
}
macro_rules! registry_list {
    ($($rest:tt)+) => { define_list! { REGISTRIES, registries, each_registry, RegistryVisitor, "registry"; $($rest)+ } };
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

    /// Every floor.
    pub const ALL: [&Entry; 4] = [&LEAKY_ATOMIC_PTR, &CROSSBEAM_ROUND_TRIP, &FLUME_ROUND_TRIP, &TIMER];
}

/// The entry in `entries` whose id is `module` with `_` for `-`; a compile
/// error (the lists are consts) if there is none.
const fn entry(entries: &'static [Entry], module: &str) -> &'static Entry {
    let mut i = 0;
    while i < entries.len() {
        if same_id(entries[i].id.as_bytes(), module.as_bytes()) {
            return &entries[i];
        }
        i += 1;
    }
    panic!("a pair names a store or registry the catalogue does not list")
}

const fn same_id(id: &[u8], module: &[u8]) -> bool {
    if id.len() != module.len() {
        return false;
    }
    let mut i = 0;
    while i < id.len() {
        let expected = if module[i] == b'_' { b'-' } else { module[i] };
        if id[i] != expected {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! pair_list {
    ($($module:ident: $id:literal, $label:literal, $family:ident,
       $store:ident: $store_ty:ty, $registry:ident: $registry_ty:ty;)+) => {
        /// Every store and registry pair the supervisor can run on, in table order.
        pub const PAIRS: &[Pair] = &[$(Pair {
            id: $id,
            label: $label,
            family: Family::$family,
            store: entry(STORES, stringify!($store)),
            registry: entry(REGISTRIES, stringify!($registry)),
        }),+];

        /// Runs `visitor` with the types of the pair called `name` (an id of
        /// [`PAIRS`] or an alias of [`ALIASES`]); `None` for an unknown name.
        pub fn with_pair<V: PairVisitor>(name: &str, visitor: V) -> Option<V::Output> {
            let pair = pair_named(name)?;
            $(if pair.id == $id {
                return Some(visitor.visit::<$store_ty, $registry_ty>(pair));
            })+
            unreachable!("every listed pair has a branch")
        }
    };
}
with_pairs!(pair_list);

/// Names for the pair each `procstore` facade feature selects: `atomic`
/// (the default), `mutex` (the fallback) and `channel`. The facade's tests
/// check that its types match.
pub const ALIASES: [(&str, &str); 3] =
    [("atomic", "arc-swap"), ("mutex", "parking-lot-rwlock"), ("channel", "crossbeam")];

/// The pair called `name` (an id of [`PAIRS`] or an alias of [`ALIASES`]).
pub fn pair_named(name: &str) -> Option<&'static Pair> {
    let id = ALIASES.iter().find(|(alias, _)| *alias == name).map_or(name, |(_, id)| id);
    PAIRS.iter().find(|pair| pair.id == id)
}

/// The entry (store, registry, floor or pair) a row label names, for
/// results recorded before ids existed.
pub fn id_for_label(label: &str) -> Option<&'static str> {
    let entries = STORES.iter().chain(REGISTRIES).chain(floors::ALL);
    entries
        .map(|entry| (entry.label, entry.id))
        .chain(PAIRS.iter().map(|pair| (pair.label, pair.id)))
        .find(|(known, _)| *known == label)
        .map(|(_, id)| id)
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
        for pair in PAIRS {
            assert!(
                seen.insert(pair.label) || STORES.iter().any(|s| s.label == pair.label),
                "{}",
                pair.label
            );
        }
    }

    #[derive(Clone, Copy)]
    struct TypeNames;
    impl PairVisitor for TypeNames {
        type Output = (&'static str, &'static str);
        fn visit<S: StateStore, R: Registry>(self, _: &'static Pair) -> Self::Output {
            (std::any::type_name::<S>(), std::any::type_name::<R>())
        }
    }

    #[test]
    fn every_pair_and_alias_resolves_to_its_listed_types() {
        for pair in PAIRS {
            assert!(with_pair(pair.id, TypeNames).is_some(), "{}", pair.id);
        }
        for (alias, id) in ALIASES {
            assert_eq!(with_pair(alias, TypeNames), with_pair(id, TypeNames));
        }
        assert_eq!(
            with_pair("atomic", TypeNames).unwrap().0,
            std::any::type_name::<strategies::ArcSwapCacheStore>()
        );
        assert!(with_pair("actor", TypeNames).is_none());
    }

    struct StoreTypes(Vec<(&'static str, &'static str)>);
    impl StoreVisitor for StoreTypes {
        fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
            self.0.push((entry.id, std::any::type_name::<S>()));
        }
    }
    impl RegistryVisitor for StoreTypes {
        fn visit<R: Registry>(&mut self, entry: &'static Entry) {
            self.0.push((entry.id, std::any::type_name::<R>()));
        }
    }

    #[test]
    fn every_pair_runs_the_types_of_the_entries_it_names() {
        let mut types = StoreTypes(Vec::new());
        each_store(&mut types);
        each_registry(&mut types);
        let type_of = |id| types.0.iter().find(|(known, _)| *known == id).map(|(_, ty)| *ty);
        for pair in PAIRS {
            let (store, registry) = with_pair(pair.id, TypeNames).unwrap();
            assert_eq!(Some(store), type_of(pair.store.id), "{}", pair.id);
            assert_eq!(Some(registry), type_of(pair.registry.id), "{}", pair.id);
        }
    }

    #[test]
    fn old_labels_map_to_ids() {
        assert_eq!(id_for_label("std Mutex"), Some("std-mutex"));
        assert_eq!(id_for_label("std Mutex<HashMap>"), Some("std-mutex-map"));
        assert_eq!(id_for_label("floor: timer only"), Some("timer"));
        assert_eq!(id_for_label("arc-swap Cache + DashMap"), Some("arc-swap"));
        assert_eq!(id_for_label("no such row"), None);
    }
}
