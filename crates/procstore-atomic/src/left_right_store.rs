//! A store on left-right: two copies of the state; readers read one while
//! the single writer replaces the other, then the writer swaps them and
//! waits for every reader to leave the old one before it catches it up.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use left_right::{Absorb, ReadHandle, ReadHandleFactory, WriteHandle};
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

/// One of the two copies.
#[derive(Clone)]
struct Copy(ProcessState);

/// The only operation: replace the state.
struct Replace(ProcessState);

impl Absorb<Replace> for Copy {
    fn absorb_first(&mut self, operation: &mut Replace, _: &Self) {
        self.0 = operation.0.clone();
    }

    fn absorb_second(&mut self, operation: Replace, _: &Self) {
        self.0 = operation.0;
    }

    fn sync_with(&mut self, first: &Self) {
        self.0 = first.0.clone();
    }
}

/// The writer, shared by the store and its readers: left-right frees both
/// copies with it, and a reader must outlive the store.
type Writer = Arc<Mutex<WriteHandle<Copy, Replace>>>;

/// The state in a left-right pair of copies.
///
/// A read marks the reader's own epoch counter, reads the copy readers are
/// on, and marks it again; it never waits. An update takes the writer's
/// lock (left-right has one writer), writes the other copy, swaps, and
/// waits until no reader is still on the old one. No garbage: the old state
/// is overwritten in place once readers have left it.
pub struct LeftRightStore {
    writer: Writer,
    readers: ReadHandleFactory<Copy>,
}

/// A reader of a [`LeftRightStore`]: its own `ReadHandle` (one epoch
/// counter, registered once), and a share of the writer, which keeps the
/// state alive.
pub struct LeftRightReader {
    handle: ReadHandle<Copy>,
    _writer: Writer,
}

impl StateStore for LeftRightStore {
    type Reader = LeftRightReader;

    fn new(initial: ProcessState) -> Self {
        let (writer, reader) = left_right::new_from_empty::<Copy, Replace>(Copy(initial));
        LeftRightStore { writer: Arc::new(Mutex::new(writer)), readers: reader.factory() }
    }

    fn reader(&self) -> Self::Reader {
        LeftRightReader { handle: self.readers.handle(), _writer: Arc::clone(&self.writer) }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        // A panic in `f` leaves the copies untouched: the lock is usable.
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // Every write is published at once, under this lock: the copy
        // readers are on is the latest.
        let next = writer.enter().expect("the writer is alive").0.successor(&mut f)?;
        writer.append(Replace(next.clone())).publish();
        Ok(next)
    }
}

impl StateReader for LeftRightReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        let copy = self.handle.enter().expect("the writer lives as long as its readers");
        Ok(f(&copy.0))
    }
}

opaque_debug!(LeftRightStore, LeftRightReader);
