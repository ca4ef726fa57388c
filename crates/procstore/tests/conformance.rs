//! The facade's selected store and registry pass the conformance suite.

procstore_conformance::store_conformance! {
    default_store: procstore::DefaultStore,
}

procstore_conformance::registry_conformance! {
    default_registry: procstore::DefaultRegistry,
}

/// The catalogue's alias for the enabled features (see the crate docs).
const FEATURE: &str = if cfg!(feature = "mutex") {
    "mutex"
} else if cfg!(feature = "channel") {
    "channel"
} else {
    "atomic"
};

struct TypeName;
impl procstore_catalog::StorePicker for TypeName {
    type Output = &'static str;
    fn visit<S: procstore::StateStore>(self, _: &'static procstore_catalog::Entry) -> &'static str {
        std::any::type_name::<S>()
    }
}
impl procstore_catalog::RegistryPicker for TypeName {
    type Output = &'static str;
    fn visit<R: procstore::Registry>(self, _: &'static procstore_catalog::Entry) -> &'static str {
        std::any::type_name::<R>()
    }
}

#[test]
fn the_features_select_what_the_catalogue_says() {
    use std::any::type_name;
    let alias = procstore_catalog::ALIASES.iter().find(|alias| alias.name == FEATURE).expect("listed");
    let store = procstore_catalog::with_store(alias.store, TypeName);
    let registry = procstore_catalog::with_registry(alias.registry, TypeName);
    assert_eq!(store, Some(type_name::<procstore::DefaultStore>()));
    assert_eq!(registry, Some(type_name::<procstore::DefaultRegistry>()));
}
