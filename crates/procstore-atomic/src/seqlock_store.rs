//! A store that readers copy out of two slots under one sequence counter,
//! so that neither a reader nor the writer ever waits for the other.
//!
//! A sequence lock publishes a state as plain words with a counter beside
//! them: a reader copies the words and keeps the copy only if the counter
//! shows that no write touched them meanwhile. A read then writes nothing
//! shared (no reference count, no reader slot), so readers on many cores
//! do not contend, and the writer never waits for a reader, unlike a
//! lock's. With one slot, though, a reader that meets a writer descheduled
//! mid-write spins until it runs again. Here publish `n` goes to slot
//! `n % 2`, and the counter is `2n` once it is whole, `2n + 1` while
//! publish `n + 1` is written into the other slot: a reader reads the slot
//! of the publish the counter names, which no write in progress touches.
//! It retries only when the writer lapped it, starting publish `n + 2`
//! over the slot it was reading.
//!
//! One counter, not an index and a counter per slot: a reader that took
//! the slot from a stale index could find a publish there that the index
//! did not name yet, return it, and on its next read follow the index to
//! an older one (a loom model, a reader lapped by the writer, found
//! exactly that in a first version).
//!
//! The id and name do not fit in words. The id never changes; each name
//! the process has had is kept once until the store drops (an update that
//! gives it a name it never had adds one; none of ours renames), and a slot
//! holds the current name's index. Each reader keeps its own copy of the
//! state, with its own handle on the name, and overwrites the rest of it
//! on each read: a read clones nothing shared. Only after a rename does a
//! reader's next read take the lock on the list of names, which the writer
//! holds just to append, and clone the new name once.

use std::convert::Infallible;
use std::sync::PoisonError;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use procstore_core::{ProcessId, ProcessState, StateReader, StateStore, StateWords, UpdateError};

use crate::sync::{Arc, AtomicU64, Mutex, fence, retry_pause};

/// A slot's words: the state's (its version first), then its name's index.
const WORDS: usize = StateWords::LEN + 1;

/// One copy of the published words. Each slot on its own cache lines, so a
/// write to one does not evict readers of the other.
#[repr(align(128))]
struct Slot {
    words: [AtomicU64; WORDS],
}

/// The sequence counter, on cache lines of its own: a reader whose copy is
/// current reads nothing else, and the writer's lock and the names, which
/// every update writes, would otherwise evict it.
#[repr(align(128))]
struct Sequence(AtomicU64);

/// What the store and its readers share.
struct Shared {
    /// Twice the number of publishes since the store was made, plus one
    /// while the next is being written.
    sequence: Sequence,
    /// Publish `n` is in slot `n % 2`.
    slots: [Slot; 2],
    id: ProcessId,
    /// The process's first name: index 0.
    first_name: std::sync::Arc<str>,
    /// The names updates gave it since: index 1 on. A slot holds an index.
    renames: Mutex<Vec<std::sync::Arc<str>>>,
    /// The latest state, with its name's index. Its lock serializes updates
    /// (readers never take it).
    latest: Mutex<(ProcessState, u64)>,
}

/// One process's state in two slots under a sequence counter: readers copy
/// it word by word and write nothing shared; the writer never waits for
/// them, nor they for it.
pub struct SeqLockStore {
    shared: Arc<Shared>,
}

/// A reader of a [`SeqLockStore`]: its own copy of the state, refreshed
/// when the counter shows a later publish.
pub struct SeqLockReader {
    shared: Arc<Shared>,
    state: ProcessState,
    /// Which publish `state` is.
    publish: u64,
    /// The index of `state`'s name.
    name: u64,
}

opaque_debug!(SeqLockStore, SeqLockReader);

impl Slot {
    fn new(words: &[u64; WORDS]) -> Slot {
        Slot { words: words.map(AtomicU64::new) }
    }
}

impl Shared {
    /// Whether publish `seen` is still the latest: one load, of the counter.
    /// Relaxed is enough, as nothing else is read: a thread's loads of one
    /// atomic never go back in its order of stores, and a store that
    /// happens before this load is one it cannot miss.
    #[inline]
    fn is_still(&self, seen: u64) -> bool {
        self.sequence.0.load(Relaxed) / 2 == seen
    }

    /// The latest publish, or one after it: its number and its words.
    fn load(&self) -> (u64, [u64; WORDS]) {
        loop {
            // Acquire: the words of publish `n` were written before the
            // counter read `2n` (or `2n + 1`, itself a release).
            let publish = self.sequence.0.load(Acquire) / 2;
            let slot = &self.slots[(publish % 2) as usize];
            let words = std::array::from_fn(|i| slot.words[i].load(Relaxed));
            // A word that publish `n + 2` stored, the next over this slot,
            // carries the release fence behind its `2n + 3` here, so the
            // counter reads at least that.
            fence(Acquire);
            if self.sequence.0.load(Relaxed) <= 2 * publish + 2 {
                return (publish, words);
            }
            // The writer lapped this reader: read again.
            retry_pause();
        }
    }

    /// Writes `words` as the next publish, into the slot no reader is sent
    /// to. The caller holds `latest`, so there is one writer.
    fn publish(&self, words: &[u64; WORDS]) {
        let sequence = self.sequence.0.load(Relaxed);
        let slot = &self.slots[(sequence / 2 + 1) as usize % 2];
        // Release: a reader that reads this odd count reads the words of
        // the publish before it (see `load`).
        self.sequence.0.store(sequence + 1, Release);
        // Orders the odd count before every word below, for readers that
        // see one of those words (their acquire fence).
        fence(Release);
        for (word, &value) in slot.words.iter().zip(words) {
            word.store(value, Relaxed);
        }
        self.sequence.0.store(sequence + 2, Release);
    }

    /// The index of `state`'s name, given the latest state and its index:
    /// the same unless `state` renames the process, and a name it had
    /// before keeps its index, so the list grows only with new names.
    fn name_of(&self, state: &ProcessState, latest: &(ProcessState, u64)) -> u64 {
        if state.name() == latest.0.name() {
            return latest.1;
        }
        if state.name() == &*self.first_name {
            return 0;
        }
        let mut renames = self.renames.lock().unwrap_or_else(PoisonError::into_inner);
        let index = match renames.iter().position(|name| **name == *state.name()) {
            Some(known) => known,
            None => {
                renames.push(std::sync::Arc::clone(state.name_arc()));
                renames.len() - 1
            }
        };
        index as u64 + 1
    }

    /// The name at `index`.
    fn name(&self, index: u64) -> std::sync::Arc<str> {
        match index {
            0 => std::sync::Arc::clone(&self.first_name),
            _ => {
                let renames = self.renames.lock().unwrap_or_else(PoisonError::into_inner);
                std::sync::Arc::clone(&renames[index as usize - 1])
            }
        }
    }

    /// A copy of the state that `words` hold.
    fn state(&self, words: &[u64; WORDS]) -> ProcessState {
        let mut state = ProcessState::new(self.id, self.name(words[StateWords::LEN]));
        assign(&mut state, words);
        state
    }
}

/// Sets `state` to the state among a slot's `words`.
fn assign(state: &mut ProcessState, words: &[u64; WORDS]) {
    let words = StateWords(std::array::from_fn(|i| words[i]));
    state.assign_words(&words).expect("a slot holds what StateWords::of packed");
}

/// `state`'s words, with its name's index.
fn words(state: &ProcessState, name: u64) -> [u64; WORDS] {
    let StateWords(state) = StateWords::of(state);
    std::array::from_fn(|i| if i < StateWords::LEN { state[i] } else { name })
}

impl StateStore for SeqLockStore {
    type Reader = SeqLockReader;

    fn new(initial: ProcessState) -> Self {
        let words = words(&initial, 0);
        let slots = [Slot::new(&words), Slot::new(&words)];
        let shared = Shared {
            sequence: Sequence(AtomicU64::new(0)),
            slots,
            id: initial.id(),
            first_name: std::sync::Arc::clone(initial.name_arc()),
            renames: Mutex::new(Vec::new()),
            latest: Mutex::new((initial, 0)),
        };
        SeqLockStore { shared: Arc::new(shared) }
    }

    /// Takes no lock unless the process was renamed: readers are made
    /// while the writer writes (a registry's readers make one per process
    /// added).
    fn reader(&self) -> Self::Reader {
        let (publish, words) = self.shared.load();
        let state = self.shared.state(&words);
        SeqLockReader { shared: Arc::clone(&self.shared), state, publish, name: words[StateWords::LEN] }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        // A panic in `f` leaves `latest` as it was, and nothing published.
        let mut latest = self.shared.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let next = latest.0.successor(&mut f)?;
        let name = self.shared.name_of(&next, &latest);
        self.shared.publish(&words(&next, name));
        *latest = (next.clone(), name);
        Ok(next)
    }
}

impl StateReader for SeqLockReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        // While no later publish has completed, the copy stands.
        if !self.shared.is_still(self.publish) {
            self.refresh();
        }
        Ok(f(&self.state))
    }
}

impl SeqLockReader {
    /// Makes this reader's copy the latest publish.
    fn refresh(&mut self) {
        let (publish, words) = self.shared.load();
        self.publish = publish;
        let name = words[StateWords::LEN];
        if name == self.name {
            assign(&mut self.state, &words);
        } else {
            self.state = self.shared.state(&words);
            self.name = name;
        }
    }
}
