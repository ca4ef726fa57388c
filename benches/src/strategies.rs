//! Every strategy the harness measures, listed once.

use procstore_atomic::{ArcSwapCacheStore, ArcSwapStore, CowRegistry, DashMapRegistry, HazardStore};
use procstore_channel::{
    CrossbeamActorRegistry, CrossbeamFreshReplyStore, CrossbeamReusedReplyStore, FlumeActorRegistry,
    FlumeFreshReplyStore, FlumeReusedReplyStore,
};
use procstore_core::{Registry, StateStore};
use procstore_mutex::{
    ParkingLotMutexRegistry, ParkingLotMutexStore, ParkingLotRwLockRegistry, ParkingLotRwLockStore,
    StdMutexRegistry, StdMutexStore, StdRwLockRegistry, StdRwLockStore,
};
use procstore_report::Kind;

use crate::floor::LeakyFloor;

/// Something done once per store type.
pub trait StoreVisitor {
    /// Called with each store type and its family.
    fn visit<S: StateStore>(&mut self, kind: Kind);
}

/// Something done once per registry type.
pub trait RegistryVisitor {
    /// Called with each registry type and its family.
    fn visit<R: Registry>(&mut self, kind: Kind);
}

/// Every store, in table order, then the leaky floor if `with_floor`.
pub fn each_store(visitor: &mut impl StoreVisitor, with_floor: bool) {
    visitor.visit::<StdMutexStore>(Kind::Lock);
    visitor.visit::<StdRwLockStore>(Kind::Lock);
    visitor.visit::<ParkingLotMutexStore>(Kind::Lock);
    visitor.visit::<ParkingLotRwLockStore>(Kind::Lock);
    visitor.visit::<CrossbeamFreshReplyStore>(Kind::Channel);
    visitor.visit::<CrossbeamReusedReplyStore>(Kind::Channel);
    visitor.visit::<FlumeFreshReplyStore>(Kind::Channel);
    visitor.visit::<FlumeReusedReplyStore>(Kind::Channel);
    visitor.visit::<ArcSwapStore>(Kind::Atomic);
    visitor.visit::<ArcSwapCacheStore>(Kind::Atomic);
    visitor.visit::<HazardStore>(Kind::Atomic);
    if with_floor {
        visitor.visit::<LeakyFloor>(Kind::Floor);
    }
}

/// Every registry, in table order.
pub fn each_registry(visitor: &mut impl RegistryVisitor) {
    visitor.visit::<StdMutexRegistry>(Kind::Lock);
    visitor.visit::<StdRwLockRegistry>(Kind::Lock);
    visitor.visit::<ParkingLotMutexRegistry>(Kind::Lock);
    visitor.visit::<ParkingLotRwLockRegistry>(Kind::Lock);
    visitor.visit::<CrossbeamActorRegistry>(Kind::Channel);
    visitor.visit::<FlumeActorRegistry>(Kind::Channel);
    visitor.visit::<DashMapRegistry>(Kind::ConcurrentMap);
    visitor.visit::<CowRegistry>(Kind::Atomic);
}
