//! Output that never blocks the supervisor: what it prints goes through a
//! bounded queue to a writer thread, which may fall behind a slow reader or
//! stall on one that stopped reading. Supervising goes on either way.
//!
//! When the queue is full, a view refresh is dropped first (the next one
//! supersedes it anyway); a log line is dropped only when no refresh is left
//! to drop, and then counted, and the writer says how many it lost where
//! they went missing, as soon as it writes again. At exit, [`Output::finish`] waits a bounded time for the
//! writer and returns how many log lines never got out.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use crossbeam_channel::Receiver;

/// Messages the queue holds. Nearly all are log lines of 50-150 bytes (a
/// table of every child is queued once at most: the summary, or the frame
/// on a terminal), so a stalled reader costs little memory.
pub(crate) const QUEUE_CAPACITY: usize = 1024;

/// A stream written by its own thread; see the module docs.
#[derive(Debug)]
pub(crate) struct Output {
    shared: Arc<Shared>,
    /// Disconnected once the writer thread has ended.
    writer_done: Receiver<()>,
}

impl Output {
    /// Starts a writer thread for `sink`; `stream` names it in the thread
    /// name and in the notice of dropped lines.
    pub(crate) fn spawn(
        stream: &'static str,
        sink: impl Write + Send + 'static,
        capacity: usize,
    ) -> io::Result<Output> {
        let shared = Arc::new(Shared { state: Mutex::new(State::new(capacity)), ready: Condvar::new() });
        let (done, writer_done) = crossbeam_channel::bounded::<()>(0);
        let writer = Arc::clone(&shared);
        thread::Builder::new().name(format!("procstore-{stream}")).spawn(move || {
            writer.run_writer(stream, sink);
            drop(done); // tells `finish` the writer has ended
        })?;
        Ok(Output { shared, writer_done })
    }

    /// Queues `text` (one line or several, without the final newline), a
    /// record the tool promised: dropped only if the queue holds nothing but
    /// other records, and then counted.
    pub(crate) fn log(&self, text: impl Into<String>) {
        self.push(Message::Log, text.into());
    }

    /// Queues `text` as the view's current frame, replacing any frame still
    /// queued.
    pub(crate) fn refresh(&self, text: impl Into<String>) {
        self.push(Message::Refresh, text.into());
    }

    fn push(&self, kind: fn(String) -> Message, text: String) {
        self.shared.lock().push(kind(text + "\n"));
        self.shared.ready.notify_one();
    }

    /// Lets the writer finish what is queued, waiting for it until
    /// `deadline` at most; returns how many log lines it has not written
    /// (queued, dropped and unreported, or stuck in a blocked write). A
    /// writer still blocked then is left behind: exiting ends it.
    pub(crate) fn finish(self, deadline: Instant) -> usize {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
        let _ = self.writer_done.recv_deadline(deadline);
        self.shared.lock().unwritten
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a message is queued or the output closes.
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the
        // queue is still whole, and output must go on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer thread: writes every queued message, then a notice of
    /// the log lines dropped meanwhile (they were dropped after the queue
    /// it took was full), until the output is closed and drained.
    fn run_writer(&self, stream: &str, mut sink: impl Write) {
        while let Some((messages, dropped)) = self.next_batch() {
            for message in messages {
                // A closed stream loses the text; supervising goes on.
                let _ = sink.write_all(message.text().as_bytes());
                if let Message::Log(text) = &message {
                    self.lock().unwritten -= lines(text);
                }
            }
            if dropped > 0 {
                let _ = writeln!(sink, "procstore-supervisor: {stream} fell behind; {dropped} lines dropped");
                self.lock().unwritten -= dropped;
            }
            let _ = sink.flush();
        }
    }

    /// Waits for messages or dropped lines and takes them all; `None` once
    /// closed with nothing left.
    fn next_batch(&self) -> Option<(VecDeque<Message>, usize)> {
        let mut state = self.lock();
        while state.queue.is_empty() && state.dropped == 0 {
            if state.closed {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        Some((mem::take(&mut state.queue), mem::take(&mut state.dropped)))
    }
}

/// What one push queues.
#[derive(Debug, PartialEq, Eq)]
enum Message {
    /// An event, a diagnostic, the summary: never dropped silently.
    Log(String),
    /// A frame of the view, superseded by the next one.
    Refresh(String),
}

impl Message {
    fn text(&self) -> &str {
        match self {
            Message::Log(text) | Message::Refresh(text) => text,
        }
    }
}

/// The queue and its accounting, behind [`Shared`]'s lock.
#[derive(Debug)]
struct State {
    queue: VecDeque<Message>,
    capacity: usize,
    /// Log lines dropped since the writer last took the queue.
    dropped: usize,
    /// Log lines pushed that are not written yet, dropped ones included
    /// until the writer has reported them.
    unwritten: usize,
    closed: bool,
}

impl State {
    fn new(capacity: usize) -> Self {
        State { queue: VecDeque::new(), capacity, dropped: 0, unwritten: 0, closed: false }
    }

    /// Queues `message` under the drop policy: a new frame replaces a
    /// queued one; a full queue makes room for a log line by dropping the
    /// queued frame, or else drops the new message (counting a log line).
    fn push(&mut self, message: Message) {
        if let Message::Log(text) = &message {
            self.unwritten += lines(text);
        }
        let drops_queued_frame = matches!(message, Message::Refresh(_)) || self.queue.len() >= self.capacity;
        if drops_queued_frame {
            self.queue.retain(|queued| matches!(queued, Message::Log(_)));
        }
        if self.queue.len() < self.capacity {
            self.queue.push_back(message);
        } else if let Message::Log(text) = &message {
            self.dropped += lines(text);
        }
    }
}

/// The lines of a message's text (which ends in a newline).
fn lines(text: &str) -> usize {
    text.lines().count()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn log(text: &str) -> Message {
        Message::Log(format!("{text}\n"))
    }

    fn refresh(text: &str) -> Message {
        Message::Refresh(format!("{text}\n"))
    }

    #[test]
    fn a_full_queue_drops_the_frame_then_counts_dropped_log_lines() {
        let mut state = State::new(3);
        state.push(log("a"));
        state.push(refresh("frame 1"));
        state.push(refresh("frame 2"));
        assert_eq!(state.queue, [log("a"), refresh("frame 2")], "a new frame replaces the queued one");
        state.push(log("b"));
        state.push(log("c"));
        assert_eq!(state.queue, [log("a"), log("b"), log("c")], "a log line evicts the frame");
        state.push(refresh("frame 3"));
        state.push(log("d\ne"));
        assert_eq!(state.queue, [log("a"), log("b"), log("c")]);
        assert_eq!(state.dropped, 2, "a frame goes uncounted; each line of a record counts");
        assert_eq!(state.unwritten, 5);
    }

    /// A sink that lets nothing through until the test opens it, like a
    /// reader that stops reading, then resumes; says when a write begins.
    struct Gate {
        entered: crossbeam_channel::Sender<()>,
        open: Receiver<()>,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _ = self.entered.send(());
            let _ = self.open.recv(); // until the opener is dropped
            self.written.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// An output of capacity 4 whose writer is stalled on "line 0", then
    /// sent lines 1 to 9, each followed by a frame: lines 1 to 4 fill the
    /// queue (the frames make room for them) and 5 to 9 are dropped.
    /// Returns it, its gate's opener and what got through.
    fn stalled_with_ten_lines() -> (Output, crossbeam_channel::Sender<()>, Arc<Mutex<Vec<u8>>>) {
        let (opener, open) = crossbeam_channel::unbounded();
        let (entered_tx, entered) = crossbeam_channel::unbounded();
        let written = Arc::new(Mutex::new(Vec::new()));
        let gate = Gate { entered: entered_tx, open, written: Arc::clone(&written) };
        let output = Output::spawn("test", gate, 4).unwrap();
        output.log("line 0");
        entered.recv().unwrap();
        for i in 1..10 {
            output.log(format!("line {i}"));
            output.refresh(format!("frame {i}"));
        }
        (output, opener, written)
    }

    #[test]
    fn a_writer_that_catches_up_says_how_many_lines_it_dropped() {
        let (output, opener, written) = stalled_with_ten_lines();
        drop(opener);
        assert_eq!(output.finish(Instant::now() + Duration::from_secs(60)), 0);
        let written = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        let expected = "line 0\nline 1\nline 2\nline 3\nline 4\n\
                        procstore-supervisor: test fell behind; 5 lines dropped\n";
        assert_eq!(written, expected);
    }

    #[test]
    fn finish_leaves_a_stalled_writer_behind_and_counts_what_it_held() {
        let (output, _opener, written) = stalled_with_ten_lines();
        let start = Instant::now();
        // Line 0 in the stalled write, 1 to 4 queued, 5 to 9 dropped.
        assert_eq!(output.finish(start + Duration::from_millis(100)), 10);
        assert!(start.elapsed() < Duration::from_secs(10), "finish waited {:?}", start.elapsed());
        assert!(written.lock().unwrap().is_empty());
    }
}
