use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use procstore_core::{
    FastHash, InsertError, ProcessId, ProcessState, Registry, RegistryReader, RegistryUpdateError,
    RemoveError, Stopped,
};

use crate::actor::{Actor, ActorHandle, Queue, owner_answer};
use crate::flavor::Flavor;
use crate::reply::{Replier, ReplyChannel, answer};

/// Every process's state in a `HashMap` owned by an actor thread over
/// channel flavor `F`. Readers reuse their reply channels.
pub struct ActorRegistry<F: Flavor> {
    actor: ActorHandle<F, RegistryActor<F>>,
}

/// A reader of an [`ActorRegistry`]: a request sender and one reused reply
/// channel per kind of answer.
pub struct ActorRegistryReader<F: Flavor> {
    queue: Queue<F, RegistryActor<F>>,
    states: ReplyChannel<F, Result<Option<Arc<ProcessState>>, Stopped>>,
    lists: ReplyChannel<F, Result<Vec<ProcessState>, Stopped>>,
    lens: ReplyChannel<F, Result<usize, Stopped>>,
}

pub(crate) struct RegistryActor<F: Flavor> {
    map: HashMap<ProcessId, Arc<ProcessState>, FastHash>,
    _flavor: PhantomData<F>,
}

/// The entry of one id, if any.
type EntryReply = Result<Option<Arc<ProcessState>>, Stopped>;

pub(crate) enum RegistryRequest<F: Flavor> {
    Get(ProcessId, Replier<F, EntryReply>),
    List(Replier<F, Result<Vec<ProcessState>, Stopped>>),
    Len(Replier<F, Result<usize, Stopped>>),
    Insert(ProcessState, Replier<F, Result<(), InsertError>>),
    /// Publish `next` if `id` still maps to `expected`; answers with what
    /// `id` maps to afterwards.
    CompareAndSet {
        expected: Arc<ProcessState>,
        next: Arc<ProcessState>,
        reply: Replier<F, EntryReply>,
    },
    Remove(ProcessId, Replier<F, Result<Arc<ProcessState>, RemoveError>>),
    Stop,
}

impl<F: Flavor> Actor for RegistryActor<F> {
    type Request = RegistryRequest<F>;

    fn stop_request() -> Self::Request {
        RegistryRequest::Stop
    }

    fn handle(&mut self, request: Self::Request) -> bool {
        use RegistryRequest::*;
        match request {
            Get(id, reply) => answer::<F, _>(reply, Ok(self.map.get(&id).cloned())),
            List(reply) => {
                let all = self.map.values().map(|s| ProcessState::clone(s)).collect();
                answer::<F, _>(reply, Ok(all));
            }
            Len(reply) => answer::<F, _>(reply, Ok(self.map.len())),
            Insert(state, reply) => {
                let result = match self.map.entry(state.id()) {
                    Entry::Occupied(_) => Err(InsertError { id: state.id() }),
                    Entry::Vacant(slot) => {
                        slot.insert(Arc::new(state));
                        Ok(())
                    }
                };
                answer::<F, _>(reply, result);
            }
            CompareAndSet { expected, next, reply } => {
                let slot = self.map.get_mut(&expected.id());
                let now = match slot {
                    Some(current) if Arc::ptr_eq(current, &expected) => {
                        *current = next;
                        Some(Arc::clone(current))
                    }
                    other => other.map(|current| Arc::clone(current)),
                };
                answer::<F, _>(reply, Ok(now));
            }
            Remove(id, reply) => answer::<F, _>(reply, self.map.remove(&id).ok_or(RemoveError { id })),
            Stop => return false,
        }
        true
    }

    fn refuse(request: Self::Request) {
        use RegistryRequest::*;
        match request {
            Get(_, reply) | CompareAndSet { reply, .. } => answer::<F, _>(reply, Err(Stopped)),
            List(reply) => answer::<F, _>(reply, Err(Stopped)),
            Len(reply) => answer::<F, _>(reply, Err(Stopped)),
            // Only the owner inserts and removes, waiting for each answer,
            // and it has stopped the actor: nobody waits for these.
            Insert(..) | Remove(..) | Stop => {}
        }
    }
}

impl<F: Flavor> Registry for ActorRegistry<F> {
    type Reader = ActorRegistryReader<F>;

    fn new() -> Self {
        let actor = RegistryActor { map: HashMap::default(), _flavor: PhantomData };
        ActorRegistry { actor: ActorHandle::spawn(actor) }
    }

    fn reader(&self) -> Self::Reader {
        ActorRegistryReader {
            queue: Arc::clone(self.actor.queue()),
            states: ReplyChannel::new(),
            lists: ReplyChannel::new(),
            lens: ReplyChannel::new(),
        }
    }

    fn insert(&self, state: ProcessState) -> Result<(), InsertError> {
        owner_answer(
            ReplyChannel::<F, _>::new()
                .call(self.actor.queue(), |reply| RegistryRequest::Insert(state, reply)),
        )
    }

    fn update<E, U>(&self, id: ProcessId, mut f: U) -> Result<ProcessState, RegistryUpdateError<E>>
    where
        U: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let replies = ReplyChannel::<F, EntryReply>::new();
        let queue = self.actor.queue();
        let mut current =
            owner_answer(replies.call(queue, |reply| RegistryRequest::Get(id, reply)).flatten());
        loop {
            let found = current.ok_or(RegistryUpdateError::NotFound(id))?;
            let next = Arc::new(found.successor(&mut f)?);
            let now = owner_answer(
                replies
                    .call(queue, |reply| RegistryRequest::CompareAndSet {
                        expected: found,
                        next: Arc::clone(&next),
                        reply,
                    })
                    .flatten(),
            );
            if now.as_ref().is_some_and(|now| Arc::ptr_eq(now, &next)) {
                return Ok(ProcessState::clone(&next));
            }
            current = now;
        }
    }

    fn remove(&self, id: ProcessId) -> Result<ProcessState, RemoveError> {
        let removed = owner_answer(
            ReplyChannel::<F, _>::new().call(self.actor.queue(), |reply| RegistryRequest::Remove(id, reply)),
        )?;
        Ok(Arc::unwrap_or_clone(removed))
    }
}

impl<F: Flavor> RegistryReader for ActorRegistryReader<F> {
    type Error = Stopped;

    fn get<R>(&mut self, id: ProcessId, f: impl FnOnce(&ProcessState) -> R) -> Result<Option<R>, Stopped> {
        let state = self.states.call(&self.queue, |reply| RegistryRequest::Get(id, reply))??;
        Ok(state.as_deref().map(f))
    }

    fn list(&mut self) -> Result<Vec<ProcessState>, Stopped> {
        let mut all = self.lists.call(&self.queue, RegistryRequest::List)??;
        // Sorting here keeps the actor's turn short.
        all.sort_unstable_by_key(ProcessState::id);
        Ok(all)
    }

    fn len(&mut self) -> Result<usize, Stopped> {
        self.lens.call(&self.queue, RegistryRequest::Len)?
    }
}

impl<F: Flavor> fmt::Debug for ActorRegistry<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorRegistry").field("flavor", &F::NAME).finish_non_exhaustive()
    }
}

impl<F: Flavor> fmt::Debug for ActorRegistryReader<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorRegistryReader").field("flavor", &F::NAME).finish_non_exhaustive()
    }
}
