//! The supervisor's shared state: one registry holding every child's state,
//! and the read handles that answer status queries.
//!
//! A transition is published once, through the registry: with a registry of
//! handles ([`HandleRegistry`](procstore_core::HandleRegistry), the Go
//! record's `sync.Map` of atomic processes) it writes only the child's own
//! store and never the map; with a registry of values it writes the map.
//! The map itself changes only when a child is added or removed.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use procstore_core::{
    FastHash, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError, RemoveError,
    StatusCounts, Stopped, TransitionError,
};

/// Why a child could not be added to a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A supervisor needs at least one child.
    NoChildren,
    /// Two children share a name, so lookups by name would be ambiguous.
    DuplicateName(String),
    /// No child has this name.
    UnknownName(String),
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::NoChildren => f.write_str("a supervisor needs at least one child"),
            TableError::DuplicateName(name) => write!(f, "two children are named `{name}`"),
            TableError::UnknownName(name) => write!(f, "no child is named `{name}`"),
        }
    }
}

impl std::error::Error for TableError {}

/// Instrumentation called as each transition is published, for benchmarks
/// that measure how long an event takes to reach readers. A table without
/// one does nothing extra.
pub trait PublishHook: fmt::Debug + Send + Sync + 'static {
    /// Child `id`'s `version`, for an event that happened at `at`, is about
    /// to be published. Called inside the registry's update, before it
    /// publishes, so a reader that sees `version` also sees what the hook
    /// stored (the publish orders it); it may run more than once per
    /// version when a CAS loop retries.
    fn before_publish(&self, id: ProcessId, version: u64, at: Instant);
}

/// Every child's state, shared by the writer and all readers.
pub struct Table<R> {
    registry: R,
    /// Name to id. Readers hold on to the index they last took (see
    /// [`TableReader`]); a writer edits it in place when no reader holds
    /// it, and a copy otherwise.
    names: Mutex<Names>,
    /// Bumped after every change of `names`, so readers know to take it again.
    names_version: AtomicU64,
    events: AtomicU64,
    hook: Option<Arc<dyn PublishHook>>,
}

/// Each child's id by name. foldhash: names come from the supervisor's own
/// configuration and its owner's control socket, never from a stranger.
type NameIndex = HashMap<Arc<str>, ProcessId, FastHash>;

#[derive(Debug, Default)]
struct Names {
    ids: Arc<NameIndex>,
    next_id: u64,
}

impl<R: Registry> Table<R> {
    /// An empty table.
    pub fn new() -> Self {
        Table {
            registry: R::new(),
            names: Mutex::default(),
            names_version: AtomicU64::new(0),
            events: AtomicU64::new(0),
            hook: None,
        }
    }

    /// A table of children in `Starting`, one per name, with ids `0..n` in order.
    pub fn with_children<N: Into<Arc<str>>>(names: impl IntoIterator<Item = N>) -> Result<Self, TableError> {
        let table = Self::new();
        for name in names {
            table.add(name)?;
        }
        if table.is_empty() {
            return Err(TableError::NoChildren);
        }
        Ok(table)
    }

    /// The same table, calling `hook` on every publish.
    pub fn with_publish_hook(mut self, hook: Arc<dyn PublishHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Adds a child called `name` in `Starting`, with the next unused id.
    pub fn add(&self, name: impl Into<Arc<str>>) -> Result<ProcessId, TableError> {
        let name = name.into();
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        if names.ids.contains_key(&name) {
            return Err(TableError::DuplicateName(name.to_string()));
        }
        let id = ProcessId(names.next_id);
        self.registry.insert(ProcessState::new(id, Arc::clone(&name))).expect("ids are never reused");
        names.next_id += 1;
        Arc::make_mut(&mut names.ids).insert(name, id);
        self.names_version.fetch_add(1, Ordering::Release);
        Ok(id)
    }

    /// Removes the child `id` and returns its last state.
    pub fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let last = self.registry.remove(id)?;
        Arc::make_mut(&mut names.ids).remove(last.name());
        self.names_version.fetch_add(1, Ordering::Release);
        Ok(last)
    }

    /// The id of the child called `name`.
    pub fn id_of(&self, name: &str) -> Option<ProcessId> {
        self.names.lock().unwrap_or_else(PoisonError::into_inner).ids.get(name).copied()
    }

    /// How many children the table holds.
    pub fn len(&self) -> usize {
        self.names.lock().unwrap_or_else(PoisonError::into_inner).ids.len()
    }

    /// Whether the table holds no child.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lifecycle transitions published so far.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Publishes `transition` of child `id`, an event that happened at `at`.
    ///
    /// Only one thread may publish for a given child at a time.
    pub fn publish(
        &self,
        id: ProcessId,
        at: Instant,
        mut transition: impl FnMut(&ProcessState) -> Result<ProcessState, TransitionError>,
    ) -> Result<ProcessState, RegistryUpdateError<TransitionError>> {
        let published = self.registry.update(id, |current| {
            if let Some(hook) = &self.hook {
                hook.before_publish(id, current.version() + 1, at);
            }
            transition(current)
        })?;
        self.events.fetch_add(1, Ordering::Relaxed);
        Ok(published)
    }
}

impl<R: Registry> Default for Table<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> fmt::Debug for Table<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("registry", &std::any::type_name::<R>()).finish_non_exhaustive()
    }
}

/// One thread's handle for status queries: a reader on the registry, and
/// the name index as of the last child added or removed, taken again only
/// after the next (one shared load per query otherwise; then one lock and
/// one reference count, not a copy). Make one per thread, once.
pub struct TableReader<R: Registry> {
    table: Arc<Table<R>>,
    registry: R::Reader,
    names: Arc<NameIndex>,
    names_version: u64,
}

impl<R: Registry> TableReader<R> {
    /// A reader on `table`.
    pub fn new(table: &Arc<Table<R>>) -> Self {
        let mut reader = TableReader {
            table: Arc::clone(table),
            registry: table.registry.reader(),
            names: Arc::default(),
            names_version: u64::MAX,
        };
        reader.refresh_names();
        reader
    }

    /// The table this reader reads.
    pub fn table(&self) -> &Arc<Table<R>> {
        &self.table
    }

    fn refresh_names(&mut self) {
        let version = self.table.names_version.load(Ordering::Acquire);
        if version != self.names_version {
            let names = self.table.names.lock().unwrap_or_else(PoisonError::into_inner);
            let old = std::mem::replace(&mut self.names, Arc::clone(&names.ids));
            // Read under the lock: no change can slip between the index and its version.
            self.names_version = self.table.names_version.load(Ordering::Acquire);
            drop(names);
            // Freed, if this reader held the last reference, outside the lock.
            drop(old);
        }
    }

    /// The id of the child called `name`.
    pub fn id_of(&mut self, name: &str) -> Option<ProcessId> {
        self.refresh_names();
        self.names.get(name).copied()
    }

    /// Runs `f` on child `id`'s state; `Ok(None)` if there is none.
    pub fn read<T>(
        &mut self,
        id: ProcessId,
        f: impl FnOnce(&ProcessState) -> T,
    ) -> Result<Option<T>, Stopped> {
        self.registry.get(id, f).map_err(Into::into)
    }

    /// Runs `f` on the state of the child called `name`; `Ok(None)` if there is none.
    pub fn by_name<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&ProcessState) -> T,
    ) -> Result<Option<T>, Stopped> {
        match self.id_of(name) {
            Some(id) => self.read(id, f),
            None => Ok(None),
        }
    }

    /// The child running as OS process `pid`, if any: see
    /// [`RegistryReader::by_pid`].
    pub fn by_pid(&mut self, pid: u32) -> Result<Option<ProcessState>, Stopped> {
        self.registry.by_pid(pid).map_err(Into::into)
    }

    /// Every child's state, by id.
    pub fn list(&mut self) -> Result<Vec<ProcessState>, Stopped> {
        self.registry.list().map_err(Into::into)
    }

    /// How many children are in each status: see [`RegistryReader::counts`].
    pub fn counts(&mut self) -> Result<StatusCounts, Stopped> {
        self.registry.counts().map_err(Into::into)
    }
}

impl<R: Registry> fmt::Debug for TableReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableReader").field("table", &self.table).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    use procstore_atomic::{ArcSwapCacheStore, PapayaHandles};
    use procstore_core::Status;

    type TestTable = Table<PapayaHandles<ArcSwapCacheStore>>;

    #[test]
    fn bad_names_are_errors() {
        assert_eq!(TestTable::with_children(Vec::<&str>::new()).unwrap_err(), TableError::NoChildren);
        let err = TestTable::with_children(["a", "b", "a"]).unwrap_err();
        assert_eq!(err.to_string(), "two children are named `a`");
    }

    #[test]
    fn a_publish_is_seen_by_name_by_pid_and_in_the_list() {
        let table = Arc::new(TestTable::with_children(["web", "db"]).unwrap());
        let mut reader = TableReader::new(&table);
        let db = table.id_of("db").unwrap();
        let up = table.publish(db, Instant::now(), |s| s.running(42, SystemTime::now())).unwrap();
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
    fn children_come_and_go_and_readers_follow() {
        let table = Arc::new(TestTable::with_children(["web"]).unwrap());
        let mut reader = TableReader::new(&table);
        let worker = table.add("worker").unwrap();
        assert_eq!(worker, ProcessId(1));
        assert_eq!(reader.by_name("worker", ProcessState::id).unwrap(), Some(worker));
        assert_eq!(table.remove(worker).unwrap().name(), "worker");
        assert_eq!(reader.by_name("worker", ProcessState::id).unwrap(), None);
        assert_eq!(reader.list().unwrap().len(), 1);
        // A name can come back; its id is new.
        assert_eq!(table.add("worker").unwrap(), ProcessId(2));
        assert_eq!(reader.by_name("worker", ProcessState::id).unwrap(), Some(ProcessId(2)));
        assert_eq!(table.remove(worker), Err(RemoveError { id: worker }));
    }

    #[test]
    fn rejected_transition_publishes_nothing() {
        let table = TestTable::with_children(["web"]).unwrap();
        let err = table
            .publish(ProcessId(0), Instant::now(), |s| s.exited(Some(0), SystemTime::now()))
            .unwrap_err();
        assert!(matches!(err, RegistryUpdateError::Rejected(TransitionError { from: Status::Starting, .. })));
        assert_eq!(table.events(), 0);
    }

    #[derive(Debug, Default)]
    struct Seen(Mutex<Vec<(ProcessId, u64)>>);
    impl PublishHook for Seen {
        fn before_publish(&self, id: ProcessId, version: u64, _: Instant) {
            self.0.lock().unwrap().push((id, version));
        }
    }

    #[test]
    fn the_hook_sees_every_published_version() {
        let seen = Arc::new(Seen::default());
        let table =
            TestTable::with_children(["web", "db"]).unwrap().with_publish_hook(Arc::clone(&seen) as _);
        table.publish(ProcessId(1), Instant::now(), |s| s.running(42, SystemTime::now())).unwrap();
        table.publish(ProcessId(1), Instant::now(), |s| s.exited(Some(0), SystemTime::now())).unwrap();
        assert_eq!(*seen.0.lock().unwrap(), [(ProcessId(1), 1), (ProcessId(1), 2)]);
    }
}
