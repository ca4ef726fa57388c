//! The conformance suite: one set of generic checks that every store and
//! registry runs, so a new strategy is held to exactly the same contract.
//!
//! Test scaffolding, not part of procstore's API: crates take it as a
//! dev-dependency (the benches borrow its [`workload`]).
//!
//! Instantiate it in a crate's tests with [`store_conformance!`] and
//! [`registry_conformance!`]; each check becomes a named `#[test]`. Both
//! accept `procstore-catalog`'s entry format, so
//! `procstore_catalog::with_stores!(procstore_conformance::store_conformance)`
//! runs the suite on every catalogued store. Sizes shrink under Miri.
//! Anything that could deadlock runs under [`with_watchdog`], so a broken
//! store fails the test instead of hanging CI.
//!
//! Every check is named once, in [`__store_checks!`] or
//! [`__registry_checks!`]; that list generates both [`store::checks`] (which
//! calls the private check functions) and the tests. A check function left
//! out of the list is dead code, which this crate denies.
#![deny(dead_code)]

pub mod history;
pub mod registry;
pub mod store;
pub mod workload;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// `n` normally, a small fraction of it under Miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) { if n / 100 > 2 { n / 100 } else { 2 } } else { n }
}

/// The most states a store may keep alive during a write storm with two
/// readers: the current one, one pinned per reader, and haphazard's
/// reclamation threshold of 1000 retired objects per domain, with slack.
pub const GARBAGE_BOUND: usize = 1100;

/// How long a check may take before it is declared hung.
pub const WATCHDOG: Duration = Duration::from_secs(if cfg!(miri) { 3600 } else { 60 });

/// Runs `f` on its own thread and panics, naming `what`, if it does not
/// finish within [`WATCHDOG`]. A panic inside `f` is passed on.
pub fn with_watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(format!("watchdog: {what}"))
        .spawn(move || {
            // The receiver outlives the send unless we already timed out.
            let _ = done_tx.send(f());
        })
        .expect("spawn watchdog thread");
    match done_rx.recv_timeout(WATCHDOG) {
        Ok(value) => {
            worker.join().expect("worker finished");
            value
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {WATCHDOG:?}: deadlock or lost wake-up")
        }
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
    }
}

/// Every [`store`] check, listed once: calls
/// `$crate::$callback! { $args; check, check, ... }`, each check preceded by
/// its test attributes.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_checks {
    ($callback:ident! { $($args:tt)* }) => {
        $crate::$callback! { $($args)*;
            reads_initial_state,
            update_publishes_next_version,
            invalid_transition_leaves_store_unchanged,
            id_change_is_refused,
            panic_in_update_leaves_store_usable,
            panic_in_read_leaves_store_usable,
            readers_never_go_backwards,
            concurrent_updates_lose_nothing,
            every_state_is_dropped,
            reader_outlives_store,
            many_readers_on_one_thread,
            reader_moves_between_threads,
            history_is_linearizable,
            garbage_stays_bounded,
            reader_dropped_by_a_panicking_thread,
            #[ignore = "long stress: scripts/stress.sh"]
            long_history_is_linearizable,
        }
    };
}

/// Every [`registry`] check, listed once (see [`__store_checks!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_checks {
    ($callback:ident! { $($args:tt)* }) => {
        $crate::$callback! { $($args)*;
            sequential_semantics,
            pid_lookups_and_counts_follow_the_states,
            insert_race_has_one_winner,
            concurrent_updates_lose_nothing,
            readers_never_go_backwards,
            counts_and_pid_lookups_stay_whole_under_updates,
            every_state_is_dropped,
            panic_in_update_leaves_registry_usable,
            held_results_do_not_block_writers,
            history_is_linearizable,
            #[ignore = "long stress: scripts/stress.sh"]
            long_history_is_linearizable,
        }
    };
}

/// Defines `checks` and `run` in the [`store`] or [`registry`] module from
/// its list.
#[doc(hidden)]
#[macro_export]
macro_rules! __check_table {
    ($bound:ident; $($(#[$attr:meta])* $check:ident),+ $(,)?) => {
        /// Every check of this module on `T`, by name, in list order.
        pub fn checks<T: $bound>() -> Vec<(&'static str, fn())> {
            vec![$((stringify!($check), $check::<T> as fn())),+]
        }

        /// Runs the check called `name` on `T`.
        ///
        /// # Panics
        ///
        /// If the check fails, or no check is called `name`.
        pub fn run<T: $bound>(name: &str) {
            match checks::<T>().into_iter().find(|(check, _)| *check == name) {
                Some((_, check)) => check(),
                None => panic!("no check is called {name}"),
            }
        }
    };
}

/// Runs every [`store`] check against each listed
/// [`StateStore`](procstore_core::StateStore) type, as one test module per
/// type. Takes either `module: Type` pairs or `procstore-catalog`'s entry
/// format; the latter also defines `STORE_IDS`, the ids it made modules for.
///
/// ```text
/// procstore_conformance::store_conformance! {
///     std_mutex: procstore_mutex::StdMutexStore,
/// }
/// procstore_catalog::with_stores!(procstore_conformance::store_conformance);
/// ```
#[macro_export]
macro_rules! store_conformance {
    ($($module:ident: $id:literal, $label:literal, $family:ident, $store:ty;)+) => {
        /// The catalogue ids a test module was generated for.
        #[allow(dead_code, reason = "read only by a test that every entry ran")]
        const STORE_IDS: &[&str] = &[$($id),+];
        $crate::store_conformance! { $($module: $store),+ }
    };
    ($($module:ident: $store:ty),+ $(,)?) => {$(
        mod $module {
            $crate::__store_checks! { __conformance_tests! { store, $store } }
        }
    )+};
}

/// Runs every [`registry`] check against each listed
/// [`Registry`](procstore_core::Registry) type, as one test module per type
/// (see [`store_conformance!`]; the catalogue format defines `REGISTRY_IDS`).
#[macro_export]
macro_rules! registry_conformance {
    ($($module:ident: $id:literal, $label:literal, $family:ident, $registry:ty;)+) => {
        /// The catalogue ids a test module was generated for.
        #[allow(dead_code, reason = "read only by a test that every entry ran")]
        const REGISTRY_IDS: &[&str] = &[$($id),+];
        $crate::registry_conformance! { $($module: $registry),+ }
    };
    ($($module:ident: $registry:ty),+ $(,)?) => {$(
        mod $module {
            $crate::__registry_checks! { __conformance_tests! { registry, $registry } }
        }
    )+};
}

/// One `#[test]` per listed check, each running it on `$ty`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($kind:ident, $ty:ty; $($(#[$attr:meta])* $check:ident),+ $(,)?) => {$(
        #[test]
        $(#[$attr])*
        fn $check() {
            $crate::$kind::run::<$ty>(stringify!($check))
        }
    )+};
}
