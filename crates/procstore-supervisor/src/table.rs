//! The supervisor's shared state: one store per child, a registry beside
//! them, and the read handles that answer status queries.
//!
//! This is the Go record's shape: each process owns its state (there, an
//! atomic pointer; here, any [`StateStore`]) and a registry lists them all
//! (there, `sync.Map`). Our registries hold states rather than handles, so
//! every transition is published twice, store first: the store is the
//! truth, and the registry follows it by one update. One writer at a time
//! per child (the reaper, or a benchmark's generator) keeps the two versions
//! equal.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use procstore_core::{
    ProcessId, ProcessState, Registry, RegistryReader, StateReader, StateStore, Status, Stopped,
    TransitionError, UpdateError,
};

/// Why a table could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A supervisor needs at least one child.
    NoChildren,
    /// Two children share a name, so lookups by name would be ambiguous.
    DuplicateName(String),
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::NoChildren => f.write_str("a supervisor needs at least one child"),
            TableError::DuplicateName(name) => write!(f, "two children are named `{name}`"),
        }
    }
}

impl std::error::Error for TableError {}

/// Every child's state, shared by the writer and all readers.
pub struct Table<S, R> {
    slots: Box<[Slot<S>]>,
    registry: R,
    by_name: HashMap<Arc<str>, usize>,
    events: AtomicU64,
    hook: Option<Arc<dyn PublishHook>>,
}

struct Slot<S> {
    id: ProcessId,
    store: S,
}

/// Instrumentation called as each transition is published, for benchmarks
/// that measure how long an event takes to reach readers. A table without
/// one does nothing extra.
pub trait PublishHook: fmt::Debug + Send + Sync + 'static {
    /// Child `index`'s `version`, for an event that happened at `at`, is
    /// about to be published. Called inside the store's update, before the
    /// store publishes, so a reader that sees `version` also sees what the
    /// hook stored (the store's publish orders it); it may run more than once
    /// per version when a CAS loop retries.
    fn before_publish(&self, index: usize, version: u64, at: Instant);
}

impl<S: StateStore, R: Registry> Table<S, R> {
    /// A table of children in `Starting`, one per name, with ids `0..n` in order.
    pub fn new<N: Into<Arc<str>>>(names: impl IntoIterator<Item = N>) -> Result<Self, TableError> {
        let registry = R::new();
        let mut by_name = HashMap::new();
        let mut slots = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            let name: Arc<str> = name.into();
            if by_name.insert(Arc::clone(&name), index).is_some() {
                return Err(TableError::DuplicateName(name.to_string()));
            }
            let initial = ProcessState::new(ProcessId(index as u64), name);
            registry.insert(initial.clone()).expect("ids are fresh");
            slots.push(Slot { id: initial.id(), store: S::new(initial) });
        }
        if slots.is_empty() {
            return Err(TableError::NoChildren);
        }
        Ok(Table { slots: slots.into(), registry, by_name, events: AtomicU64::new(0), hook: None })
    }

    /// The same table, calling `hook` on every publish.
    pub fn with_publish_hook(mut self, hook: Arc<dyn PublishHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// How many children the table holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false: a table has at least one child.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Lifecycle transitions published so far.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Publishes `transition` of child `index`, an event that happened at
    /// `at`, to its store and then to the registry.
    ///
    /// Only one thread may publish for a given child at a time.
    pub fn publish(
        &self,
        index: usize,
        at: Instant,
        mut transition: impl FnMut(&ProcessState) -> Result<ProcessState, TransitionError>,
    ) -> Result<ProcessState, UpdateError<TransitionError>> {
        let slot = &self.slots[index];
        let published = slot.store.update(|current| {
            if let Some(hook) = &self.hook {
                hook.before_publish(index, current.version() + 1, at);
            }
            transition(current)
        })?;
        self.registry
            .update(slot.id, |current| {
                // Equal versions hold while one thread at a time publishes each child.
                debug_assert_eq!(
                    current.version() + 1,
                    published.version(),
                    "two writers published one child"
                );
                Ok::<_, Infallible>(published.clone())
            })
            .expect("every child is registered under its id, and the update keeps it");
        self.events.fetch_add(1, Ordering::Relaxed);
        Ok(published)
    }
}

impl<S, R> fmt::Debug for Table<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("children", &self.slots.len()).finish_non_exhaustive()
    }
}

/// How many children are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts([usize; Status::ALL.len()]);

impl StatusCounts {
    /// Counts the statuses of `states`.
    pub fn of<'s>(states: impl IntoIterator<Item = &'s ProcessState>) -> Self {
        let mut counts = StatusCounts::default();
        for state in states {
            counts.0[state.status() as usize] += 1;
        }
        counts
    }

    /// Children in `status`.
    pub fn get(&self, status: Status) -> usize {
        self.0[status as usize]
    }

    /// Children in any status.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

impl fmt::Display for StatusCounts {
    /// `18 running, 2 backoff`: the non-zero counts in lifecycle order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for status in Status::ALL.into_iter().filter(|&s| self.get(s) > 0) {
            write!(f, "{}{} {status}", if first { "" } else { ", " }, self.get(status))?;
            first = false;
        }
        Ok(())
    }
}

/// One thread's handle for status queries: a reader on every child's store
/// and one on the registry. Make one per thread, once.
pub struct TableReader<S: StateStore, R: Registry> {
    table: Arc<Table<S, R>>,
    stores: Box<[S::Reader]>,
    registry: R::Reader,
}

impl<S: StateStore, R: Registry> TableReader<S, R> {
    /// A reader on `table`.
    pub fn new(table: &Arc<Table<S, R>>) -> Self {
        TableReader {
            table: Arc::clone(table),
            stores: table.slots.iter().map(|slot| slot.store.reader()).collect(),
            registry: table.registry.reader(),
        }
    }

    /// The table this reader reads.
    pub fn table(&self) -> &Arc<Table<S, R>> {
        &self.table
    }

    /// The index of the child called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.table.by_name.get(name).copied()
    }

    /// Runs `f` on child `index`'s state, from its store.
    pub fn read<T>(&mut self, index: usize, f: impl FnOnce(&ProcessState) -> T) -> Result<T, Stopped> {
        self.stores[index].read(f).map_err(Into::into)
    }

    /// Runs `f` on the state of the child called `name`; `Ok(None)` if there is none.
    pub fn by_name<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&ProcessState) -> T,
    ) -> Result<Option<T>, Stopped> {
        match self.index_of(name) {
            Some(index) => self.read(index, f).map(Some),
            None => Ok(None),
        }
    }

    /// The child running as OS process `pid`, if any: a scan of every store,
    /// since pids change on each restart.
    pub fn by_pid(&mut self, pid: u32) -> Result<Option<ProcessState>, Stopped> {
        for store in &mut self.stores {
            if let Some(state) =
                store.read(|s| (s.pid() == Some(pid)).then(|| s.clone())).map_err(Into::into)?
            {
                return Ok(Some(state));
            }
        }
        Ok(None)
    }

    /// Every child's state, by id, from the registry.
    pub fn list(&mut self) -> Result<Vec<ProcessState>, Stopped> {
        self.registry.list().map_err(Into::into)
    }

    /// How many children are in each status, from the registry.
    pub fn counts(&mut self) -> Result<StatusCounts, Stopped> {
        Ok(StatusCounts::of(&self.list()?))
    }
}

impl<S: StateStore, R: Registry> fmt::Debug for TableReader<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableReader")
            .field("store", &std::any::type_name::<S>())
            .field("registry", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    use procstore_atomic::{ArcSwapCacheStore, DashMapRegistry};

    type TestTable = Table<ArcSwapCacheStore, DashMapRegistry>;

    #[test]
    fn bad_names_are_errors() {
        assert_eq!(TestTable::new(Vec::<&str>::new()).unwrap_err(), TableError::NoChildren);
        let err = TestTable::new(["a", "b", "a"]).unwrap_err();
        assert_eq!(err.to_string(), "two children are named `a`");
    }

    #[test]
    fn publish_reaches_store_then_registry_at_the_same_version() {
        let table = Arc::new(TestTable::new(["web", "db"]).unwrap());
        let mut reader = TableReader::new(&table);
        let at = Instant::now();
        let up = table.publish(1, at, |s| s.running(42, SystemTime::now())).unwrap();
        assert_eq!(up.version(), 1);
        assert_eq!(reader.by_name("db", ProcessState::clone).unwrap(), Some(up.clone()));
        assert_eq!(reader.by_pid(42).unwrap(), Some(up.clone()));
        assert_eq!(reader.by_pid(43).unwrap(), None);
        assert_eq!(reader.by_name("nope", ProcessState::version).unwrap(), None);
        assert_eq!(reader.list().unwrap()[1], up);
        let counts = reader.counts().unwrap();
        assert_eq!((counts.get(Status::Running), counts.get(Status::Starting), counts.total()), (1, 1, 2));
        assert_eq!(counts.to_string(), "1 starting, 1 running");
        assert_eq!(table.events(), 1);
    }

    #[test]
    fn rejected_transition_publishes_nothing() {
        let table = TestTable::new(["web"]).unwrap();
        let err = table.publish(0, Instant::now(), |s| s.exited(Some(0), SystemTime::now())).unwrap_err();
        assert!(matches!(err, UpdateError::Rejected(TransitionError { from: Status::Starting, .. })));
        assert_eq!(table.events(), 0);
    }

    #[derive(Debug, Default)]
    struct Seen(std::sync::Mutex<Vec<(usize, u64)>>);
    impl PublishHook for Seen {
        fn before_publish(&self, index: usize, version: u64, _: Instant) {
            self.0.lock().unwrap().push((index, version));
        }
    }

    #[test]
    fn the_hook_sees_every_published_version_before_readers_do() {
        let seen = Arc::new(Seen::default());
        let table = TestTable::new(["web", "db"]).unwrap().with_publish_hook(Arc::clone(&seen) as _);
        table.publish(1, Instant::now(), |s| s.running(42, SystemTime::now())).unwrap();
        table.publish(1, Instant::now(), |s| s.exited(Some(0), SystemTime::now())).unwrap();
        assert_eq!(*seen.0.lock().unwrap(), [(1, 1), (1, 2)]);
    }
}
