//! The store and registry pairs a supervisor can run on, one per family
//! member, named for the command line and the workload benchmark's rows.

use procstore_atomic::{ArcSwapCacheStore, CowRegistry, DashMapRegistry, HazardStore};
use procstore_channel::{
    CrossbeamActorRegistry, CrossbeamReusedReplyStore, FlumeActorRegistry, FlumeReusedReplyStore,
};
use procstore_core::{Registry, StateStore};
use procstore_mutex::{
    ParkingLotMutexRegistry, ParkingLotMutexStore, ParkingLotRwLockRegistry, ParkingLotRwLockStore,
    StdMutexRegistry, StdMutexStore, StdRwLockRegistry, StdRwLockStore,
};

/// The family of a pairing, as in the Go record's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Locks around the state and the map.
    Lock,
    /// Actor threads behind channels.
    Channel,
    /// Atomic pointers (with a concurrent or copy-on-write map).
    Atomic,
}

/// One store and registry pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pairing {
    /// The command-line name, e.g. `arc-swap`.
    pub name: &'static str,
    /// The row label, e.g. `arc-swap Cache + DashMap`.
    pub label: &'static str,
    /// Its family.
    pub family: Family,
}

/// Something done with a pairing's types.
pub trait PairingVisitor {
    /// What [`visit`](Self::visit) returns.
    type Output;
    /// Called with the pairing's store and registry types.
    fn visit<S: StateStore, R: Registry>(self, pairing: Pairing) -> Self::Output;
}

/// Every pairing's command-line name, in table order, then the family aliases.
pub const NAMES: [&str; 11] = [
    "std-mutex",
    "std-rwlock",
    "parking-lot-mutex",
    "parking-lot-rwlock",
    "crossbeam",
    "flume",
    "arc-swap",
    "hazard",
    "atomic",
    "mutex",
    "channel",
];

/// Runs `visitor` with the pairing called `name` (see [`NAMES`]); `None`
/// for an unknown name. The family aliases pick what the `procstore`
/// facade's features pick: `atomic` is arc-swap + DashMap, `mutex` is
/// parking_lot RwLock, `channel` is the crossbeam actor.
pub fn with_pairing<V: PairingVisitor>(name: &str, visitor: V) -> Option<V::Output> {
    use Family::*;
    let pairing = |name: &'static str, label, family| Pairing { name, label, family };
    Some(match name {
        "std-mutex" => {
            visitor.visit::<StdMutexStore, StdMutexRegistry>(pairing("std-mutex", "std Mutex", Lock))
        }
        "std-rwlock" => {
            visitor.visit::<StdRwLockStore, StdRwLockRegistry>(pairing("std-rwlock", "std RwLock", Lock))
        }
        "parking-lot-mutex" => visitor.visit::<ParkingLotMutexStore, ParkingLotMutexRegistry>(pairing(
            "parking-lot-mutex",
            "parking_lot Mutex",
            Lock,
        )),
        "parking-lot-rwlock" | "mutex" => visitor.visit::<ParkingLotRwLockStore, ParkingLotRwLockRegistry>(
            pairing("parking-lot-rwlock", "parking_lot RwLock", Lock),
        ),
        "crossbeam" | "channel" => visitor.visit::<CrossbeamReusedReplyStore, CrossbeamActorRegistry>(
            pairing("crossbeam", "actor/crossbeam", Channel),
        ),
        "flume" => visitor.visit::<FlumeReusedReplyStore, FlumeActorRegistry>(pairing(
            "flume",
            "actor/flume",
            Channel,
        )),
        "arc-swap" | "atomic" => visitor.visit::<ArcSwapCacheStore, DashMapRegistry>(pairing(
            "arc-swap",
            "arc-swap Cache + DashMap",
            Atomic,
        )),
        "hazard" => visitor.visit::<HazardStore, CowRegistry>(pairing(
            "hazard",
            "haphazard + copy-on-write map",
            Atomic,
        )),
        _ => return None,
    })
}

/// The distinct pairings, in table order (the aliases left out).
pub fn each_pairing<V: PairingVisitor + Clone>(visitor: V) -> Vec<V::Output> {
    NAMES[..8].iter().map(|name| with_pairing(name, visitor.clone()).expect("listed names exist")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Names;
    impl PairingVisitor for Names {
        type Output = (Pairing, &'static str, &'static str);
        fn visit<S: StateStore, R: Registry>(self, pairing: Pairing) -> Self::Output {
            (pairing, std::any::type_name::<S>(), std::any::type_name::<R>())
        }
    }

    #[test]
    fn every_name_resolves_and_aliases_match_the_facade() {
        for name in NAMES {
            assert!(with_pairing(name, Names).is_some(), "{name}");
        }
        assert_eq!(
            with_pairing("atomic", Names).unwrap().1,
            std::any::type_name::<procstore_atomic::ArcSwapCacheStore>()
        );
        assert_eq!(
            with_pairing("mutex", Names).unwrap().2,
            std::any::type_name::<procstore_mutex::ParkingLotRwLockRegistry>()
        );
        assert_eq!(with_pairing("channel", Names).unwrap().0.name, "crossbeam");
        assert!(with_pairing("actor", Names).is_none());
        let all = each_pairing(Names);
        assert_eq!(all.len(), 8);
        assert!(all.iter().all(|(p, ..)| NAMES.contains(&p.name)));
    }
}
