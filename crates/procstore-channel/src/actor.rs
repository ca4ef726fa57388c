//! The actor thread and the owner's handle that stops it, shared by the
//! store and the registry.

use std::sync::Arc;
use std::thread::{self, JoinHandle};

use procstore_core::Stopped;

use crate::REQUEST_QUEUE;
use crate::flavor::Flavor;

/// State owned by an actor thread and changed only by the requests it handles.
pub(crate) trait Actor: Send + 'static {
    /// What callers send.
    type Request: Send + 'static;

    /// The request that tells the actor to stop.
    fn stop_request() -> Self::Request;
    /// Handles one request; `false` if it was the stop request.
    fn handle(&mut self, request: Self::Request) -> bool;
    /// Refuses a request that arrived after the stop: a reader's with
    /// [`Stopped`] (the owner's cannot arrive then).
    fn refuse(request: Self::Request);
}

/// The answer to a request of the owner's: the actor runs until the owner
/// is dropped, and it runs no caller code that could kill it, so the owner
/// is always answered.
pub(crate) fn owner_answer<T>(answer: Result<T, Stopped>) -> T {
    answer.expect("the actor runs until its owner is dropped")
}

/// The request queue, shared by the owner and every reader; its reference
/// count tells the owner whether readers are left.
pub(crate) type Queue<F, A> = Arc<<F as Flavor>::Sender<<A as Actor>::Request>>;

/// The owner's handle on an actor thread: dropping it stops the actor.
pub(crate) struct ActorHandle<F: Flavor, A: Actor> {
    // Field order matters: `queue` is dropped before `thread` is joined, so
    // with no reader left the actor sees the queue close and exits.
    queue: Queue<F, A>,
    thread: JoinOnDrop,
}

struct JoinOnDrop(Option<JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            // The actor runs no caller code, so it has nothing to propagate.
            let _ = thread.join();
        }
    }
}

impl<F: Flavor, A: Actor> ActorHandle<F, A> {
    /// Starts `actor` on its own thread.
    pub(crate) fn spawn(actor: A) -> Self {
        let (queue, requests) = F::bounded(REQUEST_QUEUE);
        let thread = thread::Builder::new()
            .name(format!("procstore-actor-{}", F::NAME))
            .spawn(move || run::<F, A>(actor, requests))
            .expect("failed to spawn the actor thread");
        ActorHandle { queue: Arc::new(queue), thread: JoinOnDrop(Some(thread)) }
    }

    /// The queue, for the owner's requests and for new readers.
    pub(crate) fn queue(&self) -> &Queue<F, A> {
        &self.queue
    }
}

impl<F: Flavor, A: Actor> Drop for ActorHandle<F, A> {
    fn drop(&mut self) {
        // Fails only if the actor is already gone.
        let _ = F::send(&self.queue, A::stop_request());
        if Arc::strong_count(&self.queue) > 1 {
            // Readers still hold the queue: the actor refuses their requests
            // until the last one is dropped, and nobody should wait for that.
            self.thread.0 = None;
        }
    }
}

fn run<F: Flavor, A: Actor>(mut actor: A, requests: F::Receiver<A::Request>) {
    while let Some(request) = F::recv(&requests) {
        if !actor.handle(request) {
            break;
        }
    }
    // The state goes now, not when the last reader is dropped.
    drop(actor);
    // Answer stragglers until every sender is gone, so no caller ever waits forever.
    while let Some(request) = F::recv(&requests) {
        A::refuse(request);
    }
}
