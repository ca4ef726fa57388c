//! The two channel crates behind one small interface.

/// A bounded MPMC channel implementation the actors can run on.
pub trait Flavor: Send + Sync + 'static {
    /// Sending half.
    type Sender<T: Send + 'static>: Clone + Send + Sync + 'static;
    /// Receiving half.
    type Receiver<T: Send + 'static>: Send + 'static;

    /// Names the actor threads (`procstore-actor-crossbeam`) for debuggers.
    const NAME: &'static str;

    /// A channel holding at most `capacity` messages.
    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>);
    /// Sends `message`, waiting for room; gives it back once no receiver is left.
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, message: T) -> Result<(), T>;
    /// Waits for a message; `None` once no sender is left and the queue is empty.
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> Option<T>;
}

/// crossbeam-channel.
#[derive(Debug)]
pub struct Crossbeam;

impl Flavor for Crossbeam {
    type Sender<T: Send + 'static> = crossbeam_channel::Sender<T>;
    type Receiver<T: Send + 'static> = crossbeam_channel::Receiver<T>;

    const NAME: &'static str = "crossbeam";

    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        crossbeam_channel::bounded(capacity)
    }
    #[inline]
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, message: T) -> Result<(), T> {
        sender.send(message).map_err(|e| e.0)
    }
    #[inline]
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> Option<T> {
        receiver.recv().ok()
    }
}

/// flume.
#[derive(Debug)]
pub struct Flume;

impl Flavor for Flume {
    type Sender<T: Send + 'static> = flume::Sender<T>;
    type Receiver<T: Send + 'static> = flume::Receiver<T>;

    const NAME: &'static str = "flume";

    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        flume::bounded(capacity)
    }
    #[inline]
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, message: T) -> Result<(), T> {
        sender.send(message).map_err(|e| e.0)
    }
    #[inline]
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> Option<T> {
        receiver.recv().ok()
    }
}
