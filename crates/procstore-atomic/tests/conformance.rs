//! Every lock-free store and registry against the shared conformance suite.

procstore_core::store_conformance! {
    arc_swap_load_store: procstore_atomic::ArcSwapStore,
    arc_swap_cache_store: procstore_atomic::ArcSwapCacheStore,
    hazard_store: procstore_atomic::HazardStore,
}

procstore_core::registry_conformance! {
    dashmap_registry: procstore_atomic::DashMapRegistry,
    cow_registry: procstore_atomic::CowRegistry,
}
