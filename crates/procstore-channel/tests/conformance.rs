//! Every actor store and registry against the shared conformance suite.

procstore_core::store_conformance! {
    crossbeam_fresh_reply_store: procstore_channel::CrossbeamFreshReplyStore,
    crossbeam_reused_reply_store: procstore_channel::CrossbeamReusedReplyStore,
    flume_fresh_reply_store: procstore_channel::FlumeFreshReplyStore,
    flume_reused_reply_store: procstore_channel::FlumeReusedReplyStore,
}

procstore_core::registry_conformance! {
    crossbeam_actor_registry: procstore_channel::CrossbeamActorRegistry,
    flume_actor_registry: procstore_channel::FlumeActorRegistry,
}
