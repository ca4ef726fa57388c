use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use procstore_core::{ProcessState, StateReader, StateStore, Stopped, UpdateError};

use crate::actor::{Actor, ActorHandle, Queue, owner_answer};
use crate::flavor::Flavor;
use crate::reply::{Replier, Replies, ReplyChannel, ReplyMode, answer};

/// One process's state owned by an actor thread over channel flavor `F`,
/// read with reply mode `M`.
pub struct ActorStore<F: Flavor, M> {
    actor: ActorHandle<F, StoreActor<F>>,
    _mode: PhantomData<M>,
}

/// A reader of an [`ActorStore`]: a request sender and its reply channel.
pub struct ActorStoreReader<F: Flavor, M> {
    queue: Queue<F, StoreActor<F>>,
    replies: Replies<F, StateReply, M>,
}

pub(crate) struct StoreActor<F: Flavor> {
    state: Arc<ProcessState>,
    _flavor: PhantomData<F>,
}

/// The actor's answer to both requests: the state current after it.
pub(crate) type StateReply = Result<Arc<ProcessState>, Stopped>;

pub(crate) enum StoreRequest<F: Flavor> {
    Read(Replier<F, StateReply>),
    /// Publish `next` if the state is still `expected`; answers with the
    /// state that is current afterwards.
    CompareAndSet {
        expected: Arc<ProcessState>,
        next: Arc<ProcessState>,
        reply: Replier<F, StateReply>,
    },
    Stop,
}

impl<F: Flavor> Actor for StoreActor<F> {
    type Request = StoreRequest<F>;

    fn stop_request() -> Self::Request {
        StoreRequest::Stop
    }

    fn handle(&mut self, request: Self::Request) -> bool {
        match request {
            StoreRequest::Read(reply) => answer::<F, _>(reply, Ok(Arc::clone(&self.state))),
            StoreRequest::CompareAndSet { expected, next, reply } => {
                if Arc::ptr_eq(&self.state, &expected) {
                    self.state = next;
                }
                answer::<F, _>(reply, Ok(Arc::clone(&self.state)));
            }
            StoreRequest::Stop => return false,
        }
        true
    }

    fn refuse(request: Self::Request) {
        match request {
            StoreRequest::Read(reply) | StoreRequest::CompareAndSet { reply, .. } => {
                answer::<F, _>(reply, Err(Stopped))
            }
            StoreRequest::Stop => {}
        }
    }
}

impl<F: Flavor, M: ReplyMode> StateStore for ActorStore<F, M> {
    type Reader = ActorStoreReader<F, M>;

    fn new(initial: ProcessState) -> Self {
        let actor = StoreActor { state: Arc::new(initial), _flavor: PhantomData };
        ActorStore { actor: ActorHandle::spawn(actor), _mode: PhantomData }
    }

    fn reader(&self) -> Self::Reader {
        ActorStoreReader { queue: Arc::clone(self.actor.queue()), replies: Replies::new() }
    }

    fn update<E, U>(&self, mut f: U) -> Result<ProcessState, UpdateError<E>>
    where
        U: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        // Writes are rare and may come from any thread: a reply channel per call.
        let replies = ReplyChannel::<F, StateReply>::new();
        let queue = self.actor.queue();
        let mut current = owner_answer(replies.call(queue, StoreRequest::Read).flatten());
        loop {
            let next = Arc::new(current.successor(&mut f)?);
            let expected = Arc::clone(&current);
            let now = owner_answer(
                replies
                    .call(queue, |reply| StoreRequest::CompareAndSet {
                        expected,
                        next: Arc::clone(&next),
                        reply,
                    })
                    .flatten(),
            );
            if Arc::ptr_eq(&now, &next) {
                return Ok(ProcessState::clone(&next));
            }
            current = now;
        }
    }
}

impl<F: Flavor, M: ReplyMode> StateReader for ActorStoreReader<F, M> {
    type Error = Stopped;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Stopped> {
        let state = self.replies.call(&self.queue, StoreRequest::Read)??;
        Ok(f(&state))
    }
}

impl<F: Flavor, M: ReplyMode> fmt::Debug for ActorStore<F, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(type_name::<Self>()).finish_non_exhaustive()
    }
}

impl<F: Flavor, M: ReplyMode> fmt::Debug for ActorStoreReader<F, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorStoreReader").field("replies", &self.replies).finish_non_exhaustive()
    }
}
