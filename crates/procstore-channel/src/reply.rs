//! Reply channels: how an answer gets back from the actor.

use std::fmt;

use procstore_core::Error;

use crate::flavor::Flavor;

/// Where the actor sends the answer to one request.
pub(crate) type Replier<F, O> = <F as Flavor>::Sender<Result<O, Error>>;

/// Answers a request; a caller that has gone away is no longer waiting.
pub(crate) fn answer<F: Flavor, O: Send + 'static>(
    replier: Replier<F, O>,
    result: Result<O, Error>,
) {
    let _ = F::send(&replier, result);
}

/// A reader's end of a reply channel.
pub(crate) struct ReplyChannel<F: Flavor, O: Send + 'static> {
    replier: Replier<F, O>,
    replies: F::Receiver<Result<O, Error>>,
}

impl<F: Flavor, O: Send + 'static> ReplyChannel<F, O> {
    pub(crate) fn new() -> Self {
        // One request is in flight per channel at a time, so one slot is enough.
        let (replier, replies) = F::bounded(1);
        ReplyChannel { replier, replies }
    }

    /// Sends the request `make` builds around our replier and waits for the answer.
    ///
    /// Cannot hang: the actor answers every request it receives, refusing
    /// them with `Stopped` after shutdown, and a send fails once it is gone.
    pub(crate) fn call<Req: Send + 'static>(
        &self,
        queue: &F::Sender<Req>,
        make: impl FnOnce(Replier<F, O>) -> Req,
    ) -> Result<O, Error> {
        F::send(queue, make(self.replier.clone())).map_err(|_| Error::Stopped)?;
        // We hold a replier ourselves, so this only ends with an answer.
        F::recv(&self.replies).unwrap_or(Err(Error::Stopped))
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
pub(crate) struct Replies<F: Flavor, O: Send + 'static, M> {
    kept: Option<ReplyChannel<F, O>>,
    _mode: std::marker::PhantomData<M>,
}

impl<F: Flavor, O: Send + 'static, M: ReplyMode> Replies<F, O, M> {
    pub(crate) fn new() -> Self {
        Replies {
            kept: M::REUSE.then(ReplyChannel::<F, O>::new),
            _mode: std::marker::PhantomData,
        }
    }

    pub(crate) fn call<Req: Send + 'static>(
        &self,
        queue: &F::Sender<Req>,
        make: impl FnOnce(Replier<F, O>) -> Req,
    ) -> Result<O, Error> {
        match &self.kept {
            Some(channel) => channel.call(queue, make),
            None => ReplyChannel::<F, O>::new().call(queue, make),
        }
    }
}

impl<F: Flavor, O: Send + 'static, M: ReplyMode> fmt::Debug for Replies<F, O, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replies")
            .field("reused", &M::REUSE)
            .finish()
    }
}
