//! The facade's selected store and registry pass the conformance suite.

procstore_conformance::store_conformance! {
    default_store: procstore::DefaultStore,
}

procstore_conformance::registry_conformance! {
    default_registry: procstore::DefaultRegistry,
}

#[test]
fn selected_strategy_matches_the_feature() {
    use std::any::type_name;
    let selected = (type_name::<procstore::DefaultStore>(), type_name::<procstore::DefaultRegistry>());
    #[cfg(feature = "mutex")]
    let expected = (
        type_name::<procstore::strategies::ParkingLotRwLockStore>(),
        type_name::<procstore::strategies::ParkingLotRwLockRegistry>(),
    );
    #[cfg(all(feature = "channel", not(feature = "mutex")))]
    let expected = (
        type_name::<procstore::strategies::CrossbeamReusedReplyStore>(),
        type_name::<procstore::strategies::CrossbeamActorRegistry>(),
    );
    #[cfg(not(any(feature = "mutex", feature = "channel")))]
    let expected = (
        type_name::<procstore::strategies::ArcSwapCacheStore>(),
        type_name::<procstore::strategies::DashMapRegistry>(),
    );
    assert_eq!(selected, expected);
}
