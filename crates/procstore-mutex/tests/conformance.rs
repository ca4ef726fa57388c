//! Every lock-based store and registry against the shared conformance suite.

procstore_core::store_conformance! {
    std_mutex_store: procstore_mutex::StdMutexStore,
    std_rwlock_store: procstore_mutex::StdRwLockStore,
    parking_lot_mutex_store: procstore_mutex::ParkingLotMutexStore,
    parking_lot_rwlock_store: procstore_mutex::ParkingLotRwLockStore,
}

procstore_core::registry_conformance! {
    std_mutex_registry: procstore_mutex::StdMutexRegistry,
    std_rwlock_registry: procstore_mutex::StdRwLockRegistry,
    parking_lot_mutex_registry: procstore_mutex::ParkingLotMutexRegistry,
    parking_lot_rwlock_registry: procstore_mutex::ParkingLotRwLockRegistry,
}
