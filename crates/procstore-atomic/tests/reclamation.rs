//! The hazard store's reclamation running while readers hold hazard
//! pointers. Sized to pass haphazard's threshold (1000 retired states) even
//! under Miri, which is where this test earns its keep: a state freed under a
//! reader is a use after free Miri reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use procstore_atomic::HazardStore;
use procstore_conformance::workload::{assert_consistent, restart_cycle};
use procstore_core::{ProcessId, ProcessState, StateReader, StateStore};

#[test]
fn reclamation_passes_run_while_readers_hold_hazard_pointers() {
    const UPDATES: usize = 1_200;
    let name: Arc<str> = Arc::from("reclaimed");
    let store = Arc::new(HazardStore::new(ProcessState::new(ProcessId(1), Arc::clone(&name))));
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..2 {
            let mut reader = store.reader();
            let done = &done;
            scope.spawn(move || {
                let mut last = 0;
                while !done.load(Ordering::Acquire) {
                    let seen = reader
                        .read(|s| {
                            assert_consistent(s);
                            s.version()
                        })
                        .expect("read");
                    assert!(seen >= last);
                    last = seen;
                }
            });
        }
        for _ in 0..UPDATES {
            store.update(restart_cycle).expect("valid transition");
        }
        done.store(true, Ordering::Release);
    });
    // More than the threshold were retired, so at least one pass ran: far
    // fewer than UPDATES states are still alive.
    let alive = Arc::strong_count(&name) - 1;
    assert!(alive < UPDATES / 2, "{alive} states alive: no reclamation pass ran");
    drop(store);
    assert_eq!(Arc::strong_count(&name), 1);
}
