//! Actor-specific behaviour the shared suite does not cover: what readers
//! see after the actor stopped, and back-pressure on the bounded queue.

use std::sync::{Arc, Barrier};
use std::thread;

use procstore_channel::{
    CrossbeamActorRegistry, CrossbeamFreshReplyStore, CrossbeamReusedReplyStore, FlumeActorRegistry,
    FlumeFreshReplyStore, FlumeReusedReplyStore, REQUEST_QUEUE,
};
use procstore_conformance::with_watchdog;
use procstore_conformance::workload::restart_cycle;
use procstore_core::{ProcessId, ProcessState, Registry, RegistryReader, StateReader, StateStore, Stopped};

fn initial() -> ProcessState {
    ProcessState::new(ProcessId(1), "actor")
}

fn reads_after_drop_are_stopped<S: StateStore<Reader: StateReader<Error = Stopped>>>() {
    let store = S::new(initial());
    let mut readers: Vec<_> = (0..3).map(|_| store.reader()).collect();
    store.update(restart_cycle).expect("update");
    drop(store);
    with_watchdog("reads after the actor stopped", move || {
        for reader in &mut readers {
            assert_eq!(reader.status(), Err(Stopped));
            assert_eq!(reader.snapshot(), Err(Stopped), "and again: still no hang");
        }
    });
}

#[test]
fn store_reads_after_drop_are_stopped() {
    reads_after_drop_are_stopped::<CrossbeamFreshReplyStore>();
    reads_after_drop_are_stopped::<CrossbeamReusedReplyStore>();
    reads_after_drop_are_stopped::<FlumeFreshReplyStore>();
    reads_after_drop_are_stopped::<FlumeReusedReplyStore>();
}

fn registry_reads_after_drop_are_stopped<R: Registry<Reader: RegistryReader<Error = Stopped>>>() {
    let registry = R::new();
    registry.insert(initial()).expect("insert");
    let mut reader = registry.reader();
    drop(registry);
    with_watchdog("registry reads after the actor stopped", move || {
        assert_eq!(reader.get(ProcessId(1), ProcessState::version), Err(Stopped));
        assert_eq!(reader.list(), Err(Stopped));
        assert_eq!(reader.for_each(|_| panic!("a stopped actor has no states")), Err(Stopped));
        assert_eq!(reader.len(), Err(Stopped));
    });
}

#[test]
fn registry_reads_after_drop_are_stopped_for_both_flavors() {
    registry_reads_after_drop_are_stopped::<CrossbeamActorRegistry>();
    registry_reads_after_drop_are_stopped::<FlumeActorRegistry>();
}

/// More callers than the queue has slots: senders wait, none is lost.
fn queue_overflow_applies_back_pressure<S: StateStore>() {
    let callers = 2 * REQUEST_QUEUE;
    let store = Arc::new(S::new(initial()));
    with_watchdog("a flooded request queue", move || {
        let start = Barrier::new(callers);
        thread::scope(|scope| {
            for i in 0..callers {
                let (store, start) = (&store, &start);
                scope.spawn(move || {
                    let mut reader = store.reader();
                    start.wait();
                    if i % 8 == 0 {
                        store.update(restart_cycle).expect("update");
                    } else {
                        reader.status().expect("read");
                    }
                });
            }
        });
        let updates = callers.div_ceil(8) as u64;
        assert_eq!(store.reader().read(ProcessState::version), Ok(updates));
    });
}

#[test]
fn flooded_queue_applies_back_pressure() {
    queue_overflow_applies_back_pressure::<CrossbeamReusedReplyStore>();
    queue_overflow_applies_back_pressure::<FlumeFreshReplyStore>();
}
