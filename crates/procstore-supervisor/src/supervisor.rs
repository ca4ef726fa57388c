//! Real child processes: spawning, a reaper thread that watches them, the
//! restart policy, and a shutdown that leaves nothing behind.
//!
//! One reaper thread owns every `std::process::Child`. It sleeps on a
//! socket that a SIGCHLD handler (signal-hook's self-pipe) and the
//! supervisor's handle write to, so it wakes when a child exits, when a
//! backoff ends, or when asked to stop. Because only the reaper reaps, a pid
//! it signals is never a recycled one. Each child leads its own process
//! group, so a terminal's Ctrl-C reaches the supervisor alone (which then
//! stops the children in order) and shutdown signals a child's whole group.
//! On Linux, under [`Spawn::DieWithSupervisor`], each child is also asked to
//! die with its parent thread, so a supervisor killed outright takes its
//! children with it (not their own children: the request is not inherited).
//!
//! The SIGCHLD handler is process-wide and chains to any handler installed
//! before it. Unregistering it (when the supervisor stops) does not restore
//! the previous disposition, so a program that relied on ignoring SIGCHLD
//! to auto-reap its other children must reap them itself once it has
//! started a supervisor.
//!
//! When a child exits, whatever it left in its process group gets SIGTERM,
//! then SIGKILL after the stop grace period. With [`Config::containment`]
//! the process is also a child subreaper: orphaned descendants re-parent to
//! it, the reaper reaps them, and shutdown stops them too, including those
//! that left their group (the `contain` module).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender};
use procstore_core::{ProcessId, ProcessState, Registry, Status, TransitionError};
use signal_hook::SigId;

use crate::contain;
use crate::policy::{Decision, Ending, Policy, Streak};
use crate::table::{PublishHook, Table, TableError, TableReader};

/// What to run for one child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSpec {
    /// Its unique name, for lookups and display.
    pub name: String,
    /// The program, found on `PATH` if it has no slash.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Its working directory (default: the supervisor's).
    pub dir: Option<PathBuf>,
    /// Variables set in its environment, on top of the supervisor's.
    pub env: Vec<(OsString, OsString)>,
    /// Its own restart policy (default: the [`Config`]'s).
    pub policy: Option<Policy>,
}

impl ChildSpec {
    /// A child called `name` running `program args...`.
    pub fn new(
        name: impl Into<String>,
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        ChildSpec {
            name: name.into(),
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            dir: None,
            env: Vec::new(),
            policy: None,
        }
    }
}

/// Where children's stdout and stderr go (stdin is always closed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChildOutput {
    /// The supervisor's own stdout and stderr.
    Inherit,
    /// Nowhere (`/dev/null`), for a live view that owns the terminal.
    #[default]
    Discard,
}

/// How the supervisor starts a child: the trade between what survives a
/// supervisor killed outright and what a spawn costs its other threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Spawn {
    /// `fork`, then the child asks the kernel to SIGKILL it when the
    /// supervisor dies (Linux `PR_SET_PDEATHSIG`), so nothing outlives a
    /// supervisor killed outright. `fork` copies the supervisor's page
    /// tables while holding its memory-map and allocator locks, so its
    /// other threads (the table's readers) wait whenever they allocate or
    /// fault meanwhile: about a millisecond at their p99.9 in the benchmark
    /// workload's real-children setting, with 16 children restarting.
    #[default]
    DieWithSupervisor,
    /// `posix_spawn` (a `vfork`: nothing is copied, no other thread waits);
    /// a supervisor killed outright leaves its children running. Outside
    /// Linux both variants spawn this way.
    PosixSpawn,
}

/// Everything a supervisor needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// The children, each started once at the beginning.
    pub children: Vec<ChildSpec>,
    /// When and how fast to restart them.
    pub policy: Policy,
    /// How long a child may take to exit after SIGTERM before SIGKILL.
    pub stop_grace: Duration,
    /// Where the children's output goes.
    pub output: ChildOutput,
    /// How children are started.
    pub spawn: Spawn,
    /// Instrumentation called on every publish (see [`PublishHook`]); none by default.
    pub publish_hook: Option<Arc<dyn PublishHook>>,
    /// Make the whole process a child subreaper: orphaned descendants of
    /// any child re-parent to it and are reaped, and shutdown stops them.
    /// Off by default: it changes the whole process (any child that no
    /// supervisor spawned is reaped as an orphan too) and an orphan cannot
    /// be told apart by supervisor, so one supervisor's shutdown stops
    /// every orphan in the process. Where the process cannot become a
    /// subreaper, [`Supervisor::start`] fails with
    /// [`StartError::Containment`]. The binary turns it on where it can.
    pub containment: bool,
}

impl Config {
    /// `children` under the default policy, with a 2 s stop grace.
    pub fn new(children: Vec<ChildSpec>) -> Self {
        Config {
            children,
            policy: Policy::default(),
            stop_grace: Duration::from_secs(2),
            output: ChildOutput::default(),
            spawn: Spawn::default(),
            publish_hook: None,
            containment: false,
        }
    }
}

/// Why a supervisor did not start.
#[derive(Debug)]
pub enum StartError {
    /// The children's names are unusable.
    Table(TableError),
    /// The restart policy contradicts itself.
    Policy(String),
    /// [`Config::containment`] was asked for, and this process cannot
    /// become a child subreaper.
    Containment(io::Error),
    /// The reaper's wake-up socket, signal handler or thread could not be set up.
    Io(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Table(e) => e.fmt(f),
            StartError::Policy(e) => write!(f, "invalid restart policy: {e}"),
            StartError::Containment(_) => f.write_str("cannot become a child subreaper"),
            StartError::Io(_) => f.write_str("cannot start the reaper"),
        }
    }
}

/// A table error is shown as itself (it is the whole story); an I/O error
/// is the source of what could not be done. No message is printed twice
/// down the chain.
impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Table(_) | StartError::Policy(_) => None,
            StartError::Containment(e) | StartError::Io(e) => Some(e),
        }
    }
}

/// Something that happened to a child, as the reaper saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The child's id in the table.
    pub child: ProcessId,
    /// The child's name.
    pub name: Arc<str>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened to a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The OS process started.
    Spawned {
        /// Its pid.
        pid: u32,
    },
    /// The program could not be started (missing, not executable, ...).
    SpawnFailed {
        /// The OS error, in words.
        error: String,
    },
    /// The process exited on its own.
    Exited {
        /// Its pid.
        pid: u32,
        /// Its exit status.
        status: ExitStatus,
        /// How long it ran.
        ran: Duration,
    },
    /// The child will start again after `after`.
    Restarting {
        /// The backoff delay.
        after: Duration,
    },
    /// The child exited quickly too many times in a row; it stays down (`Fatal`).
    GaveUp {
        /// Quick exits in a row.
        quick_exits: u32,
    },
    /// The process exited after the supervisor asked it to stop.
    Stopped {
        /// Its pid.
        pid: u32,
        /// Whether it needed SIGKILL after the grace period.
        killed: bool,
    },
    /// The child was stopped and taken out of the table
    /// ([`Supervisor::remove`]).
    Removed,
    /// Something the supervisor could not do; the message says what.
    Problem(String),
}

impl fmt::Display for Event {
    /// `web-0: started as pid 4242`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.kind)
    }
}

impl fmt::Display for EventKind {
    /// What happened, without the child's name: `started as pid 4242`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Spawned { pid } => write!(f, "started as pid {pid}"),
            EventKind::SpawnFailed { error } => write!(f, "could not start: {error}"),
            EventKind::Exited { pid, status, ran } => {
                write!(f, "pid {pid} {} after {}", describe(status), crate::format::duration(*ran))
            }
            EventKind::Restarting { after } => write!(f, "restarting in {}", crate::format::duration(*after)),
            EventKind::GaveUp { quick_exits } => {
                write!(f, "gave up after {quick_exits} quick exits in a row; stays down (fatal)")
            }
            EventKind::Stopped { pid, killed: false } => write!(f, "pid {pid} stopped"),
            EventKind::Stopped { pid, killed: true } => {
                write!(f, "pid {pid} killed after the stop grace period")
            }
            EventKind::Removed => f.write_str("removed"),
            EventKind::Problem(message) => f.write_str(message),
        }
    }
}

fn name_of(run: &Run) -> String {
    run.spec.name.clone()
}

fn describe(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// Supervises a set of child processes; dropping it (or calling
/// [`shutdown`](Self::shutdown)) stops and reaps every child.
pub struct Supervisor<R: Registry> {
    control: Control<R>,
    stop: Arc<AtomicBool>,
    reaper: Option<JoinHandle<()>>,
}

/// A handle that adds, removes, stops, starts and restarts a
/// [`Supervisor`]'s children and reads its table, from any thread; cheap to
/// clone. It outlives its supervisor, whose shutdown turns every request
/// into [`ControlError::ShuttingDown`].
pub struct Control<R: Registry> {
    table: Arc<Table<R>>,
    commands: Sender<Command>,
    wake: Arc<UnixStream>,
    held: Held,
}

/// The children stopped by request, waiting for a start.
type Held = Arc<std::sync::Mutex<std::collections::BTreeSet<ProcessId>>>;

impl<R: Registry> Clone for Control<R> {
    fn clone(&self) -> Self {
        Control {
            table: Arc::clone(&self.table),
            commands: self.commands.clone(),
            wake: Arc::clone(&self.wake),
            held: Arc::clone(&self.held),
        }
    }
}

/// Why a request to a [`Control`] did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlError {
    /// The name is taken, or unknown.
    Table(TableError),
    /// `start` of a child that is running (or starting).
    AlreadyRunning(String),
    /// The child is being stopped, restarted or removed by another request.
    Busy(String),
    /// The child's spec is invalid (its restart policy contradicts itself).
    Invalid(String),
    /// The supervisor is shutting down (or its reaper has stopped).
    ShuttingDown,
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Table(e) => e.fmt(f),
            ControlError::AlreadyRunning(name) => write!(f, "child `{name}` is already running"),
            ControlError::Busy(name) => {
                write!(f, "child `{name}` is being stopped, restarted or removed; try again when it is down")
            }
            ControlError::Invalid(why) => f.write_str(why),
            ControlError::ShuttingDown => f.write_str("the supervisor is shutting down"),
        }
    }
}

/// A table error is shown as itself, so it is no source as well.
impl std::error::Error for ControlError {}

/// A request to the reaper, with where to send its answer.
enum Command {
    Add(ChildSpec, Sender<Result<ProcessId, ControlError>>),
    Remove(String, StateReply),
    Stop(String, StateReply),
    Start(String, StateReply),
    Restart(String, StateReply),
}

/// Where the answer to a request about one child goes: its state after it.
type StateReply = Sender<Result<ProcessState, ControlError>>;

/// A child being stopped on request: when SIGKILL is due, what follows
/// once it is down, and who waits for the answer (every caller that asked
/// while it was under way).
#[derive(Debug)]
struct Halt {
    kill_at: Instant,
    then: Then,
    waiting: Vec<StateReply>,
}

/// What follows a requested stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    /// Leave it `Stopped` until started again.
    Hold,
    /// Start it again, with a fresh backoff streak.
    Restart,
    /// Take it out of the table.
    Remove,
}

impl<R: Registry> Supervisor<R> {
    /// Starts every child of `config` and the reaper thread that watches
    /// them; returns the supervisor and the stream of what happens to them.
    ///
    /// Events queue without bound until read; drop the receiver if you do
    /// not want them.
    pub fn start(config: Config) -> Result<(Self, Receiver<Event>), StartError> {
        config.policy.validate().map_err(StartError::Policy)?;
        for policy in config.children.iter().filter_map(|c| c.policy.as_ref()) {
            policy.validate().map_err(StartError::Policy)?;
        }
        if config.containment {
            contain::become_subreaper().map_err(StartError::Containment)?;
        }
        let mut table = Table::with_children(config.children.iter().map(|c| c.name.as_str()))
            .map_err(StartError::Table)?;
        if let Some(hook) = config.publish_hook {
            table = table.with_publish_hook(hook);
        }
        let table = Arc::new(table);
        let (wake_rx, wake) = UnixStream::pair().map_err(StartError::Io)?;
        let reader = TableReader::new(&table);
        let held = Held::default();
        // A full socket already holds a wake-up: writers must not block on it.
        wake.set_nonblocking(true).map_err(StartError::Io)?;
        let sigchld = signal_hook::low_level::pipe::register(
            signal_hook::consts::SIGCHLD,
            wake.try_clone().map_err(StartError::Io)?,
        )
        .map_err(StartError::Io)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (events, receiver) = crossbeam_channel::unbounded();
        let (commands, inbox) = crossbeam_channel::unbounded();
        let children = config
            .children
            .into_iter()
            .map(|spec| (table.id_of(&spec.name).expect("just added"), Run::new(spec)))
            .collect();
        let reaper = Reaper {
            children,
            policy: config.policy,
            stop_grace: config.stop_grace,
            output: config.output,
            spawn: config.spawn,
            containment: config.containment,
            leftover_groups: Vec::new(),
            table: Arc::clone(&table),
            reader,
            held: Arc::clone(&held),
            events,
            inbox,
            wake: wake_rx,
            stop: Arc::clone(&stop),
            sigchld,
        };
        let reaper = std::thread::Builder::new()
            .name("procstore-reaper".to_owned())
            .spawn(move || reaper.run())
            .map_err(StartError::Io)?;
        let control = Control { table, commands, wake: Arc::new(wake), held };
        Ok((Supervisor { control, stop, reaper: Some(reaper) }, receiver))
    }

    /// The shared state the reaper publishes to.
    pub fn table(&self) -> &Arc<Table<R>> {
        &self.control.table
    }

    /// A query handle for one thread.
    pub fn reader(&self) -> TableReader<R> {
        self.control.reader()
    }

    /// A handle that controls this supervisor's children from any thread.
    pub fn control(&self) -> Control<R> {
        self.control.clone()
    }

    /// Adds a child and starts it; returns its id once it is in the table.
    pub fn add(&self, spec: ChildSpec) -> Result<ProcessId, ControlError> {
        self.control.add(spec)
    }

    /// Stops the child called `name` (SIGTERM to its process group, SIGKILL
    /// after the grace period), reaps it and removes it from the table;
    /// returns its last state.
    pub fn remove(&self, name: &str) -> Result<ProcessState, ControlError> {
        self.control.remove(name)
    }

    /// Stops every child (SIGTERM to its process group, SIGKILL after the
    /// grace period), reaps them all, and returns once none is left.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let Some(reaper) = self.reaper.take() else { return };
        self.stop.store(true, Ordering::Release);
        self.control.wake_reaper();
        if reaper.join().is_err() {
            // Unwinding dropped the reaper, which stopped and reaped its children.
            eprintln!("procstore-supervisor: the reaper thread panicked");
        }
    }
}

impl<R: Registry> Control<R> {
    /// A query handle for one thread.
    pub fn reader(&self) -> TableReader<R> {
        TableReader::new(&self.table)
    }

    /// The shared state the reaper publishes to.
    pub fn table(&self) -> &Arc<Table<R>> {
        &self.table
    }

    /// Adds a child and starts it; returns its id once it is in the table.
    pub fn add(&self, spec: ChildSpec) -> Result<ProcessId, ControlError> {
        self.ask(|reply| Command::Add(spec, reply))
    }

    /// Stops the child called `name` (SIGTERM to its process group, SIGKILL
    /// after the grace period), reaps it and removes it from the table;
    /// returns its last state.
    pub fn remove(&self, name: &str) -> Result<ProcessState, ControlError> {
        self.ask(|reply| Command::Remove(name.to_owned(), reply))
    }

    /// Stops the child called `name` as [`remove`](Self::remove) does, and
    /// keeps it `Stopped` (no restart) until it is started again; returns
    /// its state once it is down. A child already down stays as it is.
    pub fn stop(&self, name: &str) -> Result<ProcessState, ControlError> {
        self.ask(|reply| Command::Stop(name.to_owned(), reply))
    }

    /// Starts the child called `name`, which is down (stopped, crashed,
    /// fatal or waiting in backoff), with a fresh backoff streak; returns
    /// its state once spawned.
    pub fn start(&self, name: &str) -> Result<ProcessState, ControlError> {
        self.ask(|reply| Command::Start(name.to_owned(), reply))
    }

    /// Stops the child called `name` if it runs, then starts it with a
    /// fresh backoff streak; returns its state once spawned again.
    pub fn restart(&self, name: &str) -> Result<ProcessState, ControlError> {
        self.ask(|reply| Command::Restart(name.to_owned(), reply))
    }

    /// The children stopped by request ([`stop`](Self::stop)) that wait to
    /// be started: down, but not for good. A child is held from the request
    /// until the table shows it starting again, so a caller that takes this
    /// both before and after reading the table, and counts a child held if
    /// either says so, never sees a held child down and not held.
    pub fn held(&self) -> std::collections::BTreeSet<ProcessId> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn wake_reaper(&self) {
        // Non-blocking: a full socket already holds a wake-up, so a failed write loses nothing.
        let _ = (&*self.wake).write(&[1]);
    }

    fn ask<T>(
        &self,
        command: impl FnOnce(Sender<Result<T, ControlError>>) -> Command,
    ) -> Result<T, ControlError> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.commands.send(command(reply)).map_err(|_| ControlError::ShuttingDown)?;
        self.wake_reaper();
        // A reaper that stops drops the command, and with it the reply sender.
        answer.recv().unwrap_or(Err(ControlError::ShuttingDown))
    }
}

impl<R: Registry> fmt::Debug for Control<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control").field("table", &self.table).finish_non_exhaustive()
    }
}

impl<R: Registry> Drop for Supervisor<R> {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl<R: Registry> fmt::Debug for Supervisor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor").field("table", &self.control.table).finish_non_exhaustive()
    }
}

/// The reaper's record of one child.
#[derive(Debug)]
struct Run {
    spec: ChildSpec,
    name: Arc<str>,
    /// The status the reaper last published (it is the only writer).
    status: Status,
    process: Option<Child>,
    started: Option<Instant>,
    streak: Streak,
    restart_at: Option<Instant>,
    /// SIGKILL was sent (shutdown after the grace period).
    killed: bool,
    /// A requested stop is under way.
    halt: Option<Halt>,
}

impl Run {
    fn new(spec: ChildSpec) -> Self {
        Run {
            name: Arc::from(spec.name.as_str()),
            spec,
            status: Status::Starting,
            process: None,
            started: None,
            streak: Streak::default(),
            restart_at: None,
            killed: false,
            halt: None,
        }
    }
}

struct Reaper<R: Registry> {
    children: BTreeMap<ProcessId, Run>,
    policy: Policy,
    stop_grace: Duration,
    output: ChildOutput,
    spawn: Spawn,
    containment: bool,
    /// Process groups of reaped children that still had members: the
    /// group id, and when SIGKILL is due.
    leftover_groups: Vec<(u32, Instant)>,
    table: Arc<Table<R>>,
    /// Reads a child's state for the answer to a request.
    reader: TableReader<R>,
    /// Children stopped by request; the reaper alone writes it.
    held: Held,
    events: Sender<Event>,
    inbox: Receiver<Command>,
    wake: UnixStream,
    stop: Arc<AtomicBool>,
    sigchld: SigId,
}

/// How long the reaper sleeps with nothing due: SIGCHLD wakes it sooner; this
/// only bounds the damage if a signal is somehow lost.
const IDLE_POLL: Duration = Duration::from_secs(1);

impl<R: Registry> Reaper<R> {
    fn run(mut self) {
        let ids: Vec<ProcessId> = self.children.keys().copied().collect();
        for id in ids {
            self.spawn(id);
        }
        while !self.stop.load(Ordering::Acquire) {
            self.obey();
            // A request about a child that is already down is answered now,
            // not after the next wake-up.
            self.finish_halts(false);
            self.restart_due();
            self.sleep(self.next_deadline());
            self.reap();
            self.reap_orphans();
            self.stop_leftover_groups();
            self.finish_halts(false);
        }
        // Dropping `self` stops and reaps every child.
    }

    /// Carries out every pending request.
    fn obey(&mut self) {
        while let Ok(command) = self.inbox.try_recv() {
            match command {
                Command::Add(spec, reply) => {
                    let _ = reply.send(self.add(spec));
                }
                Command::Remove(name, reply) => self.on_child(name, reply, |me, id, reply| {
                    me.begin_halt(id, Then::Remove, reply);
                }),
                Command::Stop(name, reply) => self.on_child(name, reply, |me, id, reply| {
                    me.begin_halt(id, Then::Hold, reply);
                }),
                Command::Restart(name, reply) => self.on_child(name, reply, |me, id, reply| {
                    me.begin_halt(id, Then::Restart, reply);
                }),
                Command::Start(name, reply) => self.on_child(name, reply, |me, id, reply| {
                    let run = &me.children[&id];
                    let answer = if run.halt.is_some() {
                        Err(ControlError::Busy(name_of(run)))
                    } else if run.process.is_some() {
                        Err(ControlError::AlreadyRunning(name_of(run)))
                    } else {
                        Ok(me.start_again(id))
                    };
                    let _ = reply.send(answer);
                }),
            }
        }
    }

    fn add(&mut self, spec: ChildSpec) -> Result<ProcessId, ControlError> {
        if let Some(policy) = &spec.policy {
            policy.validate().map_err(|e| ControlError::Invalid(format!("invalid restart policy: {e}")))?;
        }
        let id = self.table.add(spec.name.as_str()).map_err(ControlError::Table)?;
        self.children.insert(id, Run::new(spec));
        self.spawn(id);
        Ok(id)
    }

    /// Runs `then` on the child called `name`, or answers that there is none.
    fn on_child(
        &mut self,
        name: String,
        reply: StateReply,
        then: impl FnOnce(&mut Self, ProcessId, StateReply),
    ) {
        match self.table.id_of(&name).filter(|id| self.children.contains_key(id)) {
            Some(id) => then(self, id, reply),
            None => {
                let _ = reply.send(Err(ControlError::Table(TableError::UnknownName(name))));
            }
        }
    }

    /// Stops child `id` if it runs; [`finish_halts`](Self::finish_halts)
    /// does what follows (`then`) once it is down.
    fn begin_halt(&mut self, id: ProcessId, then: Then, reply: StateReply) {
        let now = Instant::now();
        let run = self.children.get_mut(&id).expect("checked by the caller");
        if let Some(halt) = &mut run.halt {
            // Already under way for the same end: this caller gets the same answer.
            if halt.then == then {
                halt.waiting.push(reply);
            } else {
                let _ = reply.send(Err(ControlError::Busy(name_of(run))));
            }
            return;
        }
        run.halt = Some(Halt { kill_at: now + self.stop_grace, then, waiting: vec![reply] });
        let in_backoff = run.restart_at.take().is_some() && run.status == Status::Backoff;
        // Held from the request on: whoever sees it go down must not take it
        // for down for good, even before the stop is answered.
        if then == Then::Hold {
            self.hold(id, true);
        }
        if in_backoff {
            self.publish(id, now, |s| s.transition(Status::Stopped));
        }
        if let Some(pid) = self.children[&id].process.as_ref().map(Child::id) {
            self.publish(id, now, |s| s.transition(Status::Stopping));
            signal_group(pid, libc::SIGTERM);
        }
    }

    /// Starts child `id`, which is down, with a fresh backoff streak;
    /// returns its state.
    fn start_again(&mut self, id: ProcessId) -> ProcessState {
        let now = Instant::now();
        let run = self.child(id);
        run.restart_at = None;
        run.streak = Streak::default();
        self.publish(id, now, |s| s.transition(Status::Starting));
        // Released only once the table shows it starting: a view between
        // the two must not see it down and not held.
        self.hold(id, false);
        self.spawn(id);
        self.state_of(id)
    }

    /// Marks child `id` as stopped by request, or not.
    fn hold(&self, id: ProcessId, held: bool) {
        let mut set = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if held {
            set.insert(id)
        } else {
            set.remove(&id)
        };
    }

    /// Child `id`'s state as the table has it.
    fn state_of(&mut self, id: ProcessId) -> ProcessState {
        match self.reader.read(id, ProcessState::clone) {
            Ok(Some(state)) => state,
            _ => unreachable!("the reaper's children are in the table, which answers while the reaper runs"),
        }
    }

    /// Finishes every requested stop whose process is gone; SIGKILLs those
    /// past their grace period, and gives up on one that survives SIGKILL
    /// for [`KILL_PATIENCE`] (as shutdown does), so no request hangs. At
    /// shutdown (`stopping_all`) nothing is started again.
    fn finish_halts(&mut self, stopping_all: bool) {
        let now = Instant::now();
        let mut done = Vec::new();
        let mut stuck = Vec::new();
        for (&id, run) in &mut self.children {
            let Some(halt) = &run.halt else { continue };
            match &run.process {
                None => done.push(id),
                Some(process) if now >= halt.kill_at && !run.killed => {
                    signal_group(process.id(), libc::SIGKILL);
                    run.killed = true;
                }
                Some(_) if run.killed && now >= halt.kill_at + KILL_PATIENCE => stuck.push(id),
                Some(_) => {}
            }
        }
        for id in stuck {
            if let Some(process) = self.child(id).process.take() {
                contain::disown(process.id());
                let message =
                    format!("pid {} survived SIGKILL for {KILL_PATIENCE:?}; left unreaped", process.id());
                self.report(id, EventKind::Problem(message));
                // Given up on: the table says it is down, so it can be started again.
                let run = self.child(id);
                (run.killed, run.started) = (false, None);
                self.publish(id, now, |s| s.signalled(libc::SIGKILL, SystemTime::now()));
            }
            done.push(id);
        }
        for id in done {
            let Halt { then, waiting, .. } = self.child(id).halt.take().expect("listed above");
            let answer = match then {
                Then::Remove => {
                    let run = self.children.remove(&id).expect("listed above");
                    let removed = self
                        .table
                        .remove(id)
                        .map_err(|_| ControlError::Table(TableError::UnknownName(run.spec.name)));
                    self.hold(id, false);
                    let _ = self.events.send(Event { child: id, name: run.name, kind: EventKind::Removed });
                    removed
                }
                Then::Restart if stopping_all => Err(ControlError::ShuttingDown),
                Then::Restart => Ok(self.start_again(id)),
                Then::Hold => Ok(self.state_of(id)),
            };
            for reply in waiting {
                let _ = reply.send(answer.clone());
            }
        }
    }

    /// Publishes `transition` of child `id`; a rejected transition is a
    /// supervisor bug, reported as a problem rather than a panic that would
    /// orphan every child.
    fn publish(
        &mut self,
        id: ProcessId,
        at: Instant,
        transition: impl FnMut(&ProcessState) -> Result<ProcessState, TransitionError>,
    ) {
        match self.table.publish(id, at, transition) {
            Ok(published) => self.child(id).status = published.status(),
            Err(error) => {
                // The rejected transition is the error's source: say it too.
                let cause = std::error::Error::source(&error).map(|e| format!(": {e}")).unwrap_or_default();
                let problem = format!("could not record a lifecycle transition: {error}{cause}");
                self.report(id, EventKind::Problem(problem));
            }
        }
    }

    fn child(&mut self, id: ProcessId) -> &mut Run {
        self.children.get_mut(&id).expect("the reaper only names its own children")
    }

    fn report(&self, id: ProcessId, kind: EventKind) {
        let name = Arc::clone(&self.children[&id].name);
        // Nobody listening is fine: events are for whoever wants them.
        let _ = self.events.send(Event { child: id, name, kind });
    }

    /// Reaps until nothing is left or `deadline`, sending `signal` to each
    /// orphan once (orphans keep arriving as their parents die). Orphans
    /// raise no SIGCHLD wake-up while they run, so this polls.
    fn wait_for_all(&mut self, deadline: Instant, signal: libc::c_int) {
        let mut signalled = std::collections::BTreeSet::new();
        loop {
            self.reap();
            self.stop_leftover_groups();
            let orphans = self.reap_orphans();
            if !self.anything_left(&orphans) || Instant::now() >= deadline {
                return;
            }
            let unsignalled: Vec<u32> = orphans.into_iter().filter(|&pid| signalled.insert(pid)).collect();
            contain::signal_each(&unsignalled, signal);
            self.sleep(deadline.min(Instant::now() + ORPHAN_POLL));
        }
    }

    /// Starts child `id`, which is in `Starting`.
    fn spawn(&mut self, id: ProcessId) {
        let spec = &self.children[&id].spec;
        let mut command = std::process::Command::new(&spec.program);
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .process_group(0);
        if let Some(dir) = &spec.dir {
            command.current_dir(dir);
        }
        if self.output == ChildOutput::Discard {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
        if self.spawn == Spawn::DieWithSupervisor {
            // A pre-exec hook: std forks instead of using posix_spawn.
            die_with_parent(&mut command);
        }
        let result = contain::spawn_owned(&mut command);
        let now = Instant::now();
        match result {
            Ok(child) => {
                let pid = child.id();
                let run = self.child(id);
                run.process = Some(child);
                run.started = Some(now);
                self.publish(id, now, |s| s.running(pid, SystemTime::now()));
                self.report(id, EventKind::Spawned { pid });
            }
            Err(error) => {
                let error = format!("`{}`: {error}", spec.program.to_string_lossy());
                self.publish(id, now, |s| s.exited(None, SystemTime::now()));
                self.report(id, EventKind::SpawnFailed { error });
                self.after_exit(id, Ending::Failed, Duration::ZERO, now);
            }
        }
    }

    /// Applies the restart policy to a child that just went down.
    fn after_exit(&mut self, id: ProcessId, ending: Ending, ran: Duration, now: Instant) {
        let policy = self.children[&id].spec.policy.unwrap_or(self.policy);
        match policy.decide(ending, ran, &mut self.child(id).streak) {
            Decision::Restart(after) => {
                if !after.is_zero() {
                    let until = SystemTime::now() + after;
                    self.publish(id, now, |s| s.backoff(until));
                    self.report(id, EventKind::Restarting { after });
                }
                self.child(id).restart_at = Some(now + after);
            }
            Decision::GiveUp(quick_exits) => {
                self.publish(id, now, |s| s.transition(Status::Fatal));
                self.report(id, EventKind::GaveUp { quick_exits });
            }
            Decision::LeaveDown => {}
        }
    }

    fn restart_due(&mut self) {
        let ids: Vec<ProcessId> = self.children.keys().copied().collect();
        for id in ids {
            // Read the clock per child: each spawn takes a while, and a
            // stale time would count it as the next child's event lag.
            let now = Instant::now();
            if self.children[&id].restart_at.is_some_and(|at| at <= now) {
                self.child(id).restart_at = None;
                self.publish(id, now, |s| s.transition(Status::Starting));
                self.spawn(id);
            }
        }
    }

    fn next_deadline(&self) -> Instant {
        let idle = Instant::now() + IDLE_POLL;
        // A removal wakes the reaper for SIGKILL, then (once killed) to give up.
        let removals = self.children.values().filter_map(|run| {
            run.halt.as_ref().map(|halt| if run.killed { halt.kill_at + KILL_PATIENCE } else { halt.kill_at })
        });
        let group_kills = self.leftover_groups.iter().map(|&(_, kill_at)| kill_at);
        let restarts = self.children.values().filter_map(|run| run.restart_at);
        restarts.chain(removals).chain(group_kills).fold(idle, Instant::min)
    }

    /// Sleeps until `deadline` or a wake-up (SIGCHLD, a command, stop), whichever is first.
    fn sleep(&mut self, deadline: Instant) {
        if !self.inbox.is_empty() {
            return;
        }
        let timeout = deadline.saturating_duration_since(Instant::now());
        if timeout.is_zero() {
            return;
        }
        // A zero timeout would mean "block forever"; the check above rules it out.
        if self.wake.set_read_timeout(Some(timeout)).is_err() {
            return;
        }
        let mut buf = [0u8; 64];
        // Timeouts and EINTR end the sleep early; the caller re-checks everything.
        let _ = self.wake.read(&mut buf);
    }

    /// Collects every child that has exited.
    fn reap(&mut self) {
        let ids: Vec<ProcessId> = self.children.keys().copied().collect();
        for id in ids {
            let Some(process) = self.child(id).process.as_mut() else { continue };
            let pid = process.id();
            let status = match process.try_wait() {
                Ok(Some(status)) => Some(status),
                Ok(None) => continue,
                Err(error) => {
                    // Someone else reaped it (SIGCHLD ignored process-wide?): it is gone all the same.
                    self.report(id, EventKind::Problem(format!("pid {pid} vanished: {error}")));
                    None
                }
            };
            contain::disown(pid);
            // The group id stays ours while the group has members.
            if contain::signal_group_members(pid, libc::SIGTERM) {
                self.leftover_groups.push((pid, Instant::now() + self.stop_grace));
            }
            let now = Instant::now();
            let run = self.child(id);
            run.process = None;
            let ran = run.started.take().map_or(Duration::ZERO, |at| now - at);
            let killed = std::mem::take(&mut run.killed);
            let stopping = run.status == Status::Stopping;
            match status.and_then(|s| s.signal()) {
                Some(signal) => self.publish(id, now, |s| s.signalled(signal, SystemTime::now())),
                None => {
                    let code = status.and_then(|s| s.code());
                    self.publish(id, now, |s| s.exited(code, SystemTime::now()));
                }
            }
            if stopping {
                self.report(id, EventKind::Stopped { pid, killed });
                continue;
            }
            if let Some(status) = status {
                self.report(id, EventKind::Exited { pid, status, ran });
            }
            if self.children[&id].halt.is_some() {
                continue; // exited on its own while being stopped: no restart
            }
            let clean = status.is_some_and(|s| s.success());
            self.after_exit(id, if clean { Ending::Clean } else { Ending::Failed }, ran, now);
        }
    }

    /// Reaps the orphans that have exited (with containment); returns those
    /// still running.
    fn reap_orphans(&self) -> Vec<u32> {
        if self.containment { contain::reap_orphans() } else { Vec::new() }
    }

    /// Forgets the leftover groups that have emptied; SIGKILLs (and forgets)
    /// those past their grace period.
    fn stop_leftover_groups(&mut self) {
        let now = Instant::now();
        self.leftover_groups.retain(|&(pgid, kill_at)| {
            if now >= kill_at {
                contain::signal_group_members(pgid, libc::SIGKILL);
                return false;
            }
            contain::signal_group_members(pgid, 0)
        });
    }

    /// Whether shutdown still waits for something: a child, a member of a
    /// reaped child's group, or a running orphan.
    fn anything_left(&self, orphans: &[u32]) -> bool {
        self.children.values().any(|run| run.process.is_some())
            || !self.leftover_groups.is_empty()
            || !orphans.is_empty()
    }

    /// Stops every child: a child in backoff is not restarted; a running
    /// one gets SIGTERM, then SIGKILL after the grace period; all are
    /// reaped. The same goes for what is left in their groups and, with
    /// containment, for every orphan (which may have left its group).
    fn stop_all(&mut self) {
        let now = Instant::now();
        let ids: Vec<ProcessId> = self.children.keys().copied().collect();
        for &id in &ids {
            if self.child(id).restart_at.take().is_some() && self.children[&id].status == Status::Backoff {
                self.publish(id, now, |s| s.transition(Status::Stopped));
            }
            if let Some(pid) = self.children[&id].process.as_ref().map(Child::id) {
                if self.children[&id].status != Status::Stopping {
                    self.publish(id, now, |s| s.transition(Status::Stopping));
                }
                signal_group(pid, libc::SIGTERM);
            }
        }
        self.wait_for_all(now + self.stop_grace, libc::SIGTERM);
        for run in self.children.values_mut() {
            if let Some(process) = &run.process {
                signal_group(process.id(), libc::SIGKILL);
                run.killed = true;
            }
        }
        for (pgid, _) in std::mem::take(&mut self.leftover_groups) {
            contain::signal_group_members(pgid, libc::SIGKILL);
        }
        // SIGKILL ends any process but one stuck in the kernel (D state):
        // wait for that a while, then give up on it rather than hang.
        self.wait_for_all(Instant::now() + KILL_PATIENCE, libc::SIGKILL);
        for id in ids {
            if let Some(process) = self.child(id).process.take() {
                contain::disown(process.id());
                let message =
                    format!("pid {} survived SIGKILL for {KILL_PATIENCE:?}; left unreaped", process.id());
                self.report(id, EventKind::Problem(message));
            }
        }
        // Pending requests end with the supervisor: the child is stopped, so say so.
        self.finish_halts(true);
    }
}

impl<R: Registry> Drop for Reaper<R> {
    /// Runs at the end of `run`, and also if the reaper panicked or never
    /// started: no child outlives its reaper, and the SIGCHLD hook goes.
    fn drop(&mut self) {
        self.stop_all();
        signal_hook::low_level::unregister(self.sigchld);
    }
}

/// How often shutdown looks for orphans and leftover group members.
const ORPHAN_POLL: Duration = Duration::from_millis(50);

/// How long shutdown waits for SIGKILLed children before giving up on them.
const KILL_PATIENCE: Duration = Duration::from_secs(10);

/// Sends `signal` to the process group led by `pid`, a child the reaper has
/// not reaped yet (so the pid cannot have been recycled), or to the child
/// alone if it has left its group.
fn signal_group(pid: u32, signal: libc::c_int) {
    let pid = pid as libc::pid_t;
    // SAFETY: kill(2) has no memory-safety preconditions. The group and the
    // pid are our unreaped child's own (spawned with process_group(0)).
    let sent = unsafe { libc::kill(-pid, signal) };
    if sent != 0 {
        // SAFETY: as above.
        let _ = unsafe { libc::kill(pid, signal) };
    }
}

/// Asks the kernel to SIGKILL the child when the thread that spawned it
/// (the reaper) dies, so a supervisor killed outright does not leave it running.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut std::process::Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe system calls (prctl, getppid).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect. (No
            // allocation here: only async-signal-safe work after fork.)
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut std::process::Command) {}
