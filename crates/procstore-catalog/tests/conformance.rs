//! Every catalogued store and registry against the shared conformance suite.

procstore_catalog::with_stores!(procstore_conformance::store_conformance);
procstore_catalog::with_registries!(procstore_conformance::registry_conformance);

#[test]
fn every_catalogue_entry_ran_the_suite() {
    let ids = |entries: &[procstore_catalog::Entry]| entries.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(STORE_IDS, ids(procstore_catalog::STORES));
    assert_eq!(REGISTRY_IDS, ids(procstore_catalog::REGISTRIES));
}
