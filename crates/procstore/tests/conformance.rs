//! The facade's selected store and registry pass the conformance suite.

procstore_conformance::store_conformance! {
    default_store: procstore::DefaultStore,
}

procstore_conformance::registry_conformance! {
    default_registry: procstore::DefaultRegistry,
}

#[test]
fn selected_strategy_matches_the_feature() {
    use procstore::{Registry, StateStore};
    let (store, registry) = (procstore::DefaultStore::NAME, procstore::DefaultRegistry::NAME);
    let expected = if cfg!(feature = "mutex") {
        ("parking_lot RwLock", "parking_lot RwLock<HashMap>")
    } else if cfg!(feature = "channel") {
        ("actor/crossbeam (reused reply)", "actor/crossbeam HashMap")
    } else {
        ("arc-swap Cache", "DashMap")
    };
    assert_eq!((store, registry), expected);
}
