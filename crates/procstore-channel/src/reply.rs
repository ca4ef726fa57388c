//! Reply channels: how an answer gets back from the actor.

use std::fmt;

use procstore_core::Stopped;

use crate::flavor::Flavor;

/// Where the actor sends the answer `T` to one request.
pub(crate) type Replier<F, T> = <F as Flavor>::Sender<T>;

/// Answers a request; a caller that has gone away is no longer waiting.
pub(crate) fn answer<F: Flavor, T: Send + 'static>(replier: Replier<F, T>, value: T) {
    let _ = F::send(&replier, value);
}

/// A caller's end of a reply channel for answers of type `T`.
pub(crate) struct ReplyChannel<F: Flavor, T: Send + 'static> {
    replier: Replier<F, T>,
    replies: F::Receiver<T>,
}

impl<F: Flavor, T: Send + 'static> ReplyChannel<F, T> {
    pub(crate) fn new() -> Self {
        // One request is in flight per channel at a time, so one slot is enough.
        let (replier, replies) = F::bounded(1);
        ReplyChannel { replier, replies }
    }

    /// Sends the request `make` builds around our replier and waits for the answer.
    ///
    /// Cannot hang: the actor answers every request it receives, refusing
    /// readers' with `Stopped` after shutdown (the owner's cannot arrive
    /// then), and a send fails once it is gone.
    pub(crate) fn call<Req: Send + 'static>(
        &self,
        queue: &F::Sender<Req>,
        make: impl FnOnce(Replier<F, T>) -> Req,
    ) -> Result<T, Stopped> {
        F::send(queue, make(self.replier.clone())).map_err(|_| Stopped)?;
        // We hold a replier ourselves, so this only ends with an answer.
        F::recv(&self.replies).ok_or(Stopped)
    }
}

/// Whether a reader reuses one reply channel or makes one per request.
pub trait ReplyMode: Send + Sync + 'static {
    /// `true` for [`ReusedReply`].
    const REUSE: bool;
}

/// A new reply channel per request (the Go design; allocates per read).
#[derive(Debug)]
pub struct FreshReply;
impl ReplyMode for FreshReply {
    const REUSE: bool = false;
}

/// One reply channel per reader, reused for every request.
#[derive(Debug)]
pub struct ReusedReply;
impl ReplyMode for ReusedReply {
    const REUSE: bool = true;
}

/// A reader's replies: a kept channel, or a new one per request.
pub(crate) struct Replies<F: Flavor, T: Send + 'static, M> {
    kept: Option<ReplyChannel<F, T>>,
    _mode: std::marker::PhantomData<M>,
}

impl<F: Flavor, T: Send + 'static, M: ReplyMode> Replies<F, T, M> {
    pub(crate) fn new() -> Self {
        Replies { kept: M::REUSE.then(ReplyChannel::<F, T>::new), _mode: std::marker::PhantomData }
    }

    pub(crate) fn call<Req: Send + 'static>(
        &self,
        queue: &F::Sender<Req>,
        make: impl FnOnce(Replier<F, T>) -> Req,
    ) -> Result<T, Stopped> {
        match &self.kept {
            Some(channel) => channel.call(queue, make),
            None => ReplyChannel::<F, T>::new().call(queue, make),
        }
    }
}

impl<F: Flavor, T: Send + 'static, M: ReplyMode> fmt::Debug for Replies<F, T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replies").field("reused", &M::REUSE).finish()
    }
}
