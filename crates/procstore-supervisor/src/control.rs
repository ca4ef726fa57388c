//! The control socket: a unix socket on which a running supervisor answers
//! status queries and carries out requests from other processes, as
//! `supervisorctl` and `s6-svstat` do for theirs.
//!
//! The protocol is one JSON object per line each way, any number of
//! requests per connection:
//!
//! ```text
//! → {"command":"status","names":["web"]}
//! ← {"ok":true,"children":[{"name":"web","state":"running","pid":4242,...}]}
//! → {"command":"stop","name":"nope"}
//! ← {"ok":false,"error":{"kind":"unknown_child","message":"no child is named `nope`"}}
//! ```
//!
//! Requests are [`Request`]; every answer is a [`Response`], whose
//! `children` are the states a request touched ([`ChildStatus`]). The
//! server side of a connection is one more reader of the table: a thread
//! with its own [`TableReader`](crate::TableReader).
//!
//! The server trusts no client: a request is at most
//! [`Limits::max_request`] bytes, a connection that has not sent a whole
//! request [`Limits::idle_timeout`] after its last answer (or its connect) is
//! closed, however it trickles bytes, at most [`Limits::max_clients`] are
//! served at once, and only the supervisor's own user (or root) is served.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use procstore_core::{ProcessState, Registry, Status};
use serde::{Deserialize, Serialize};

use crate::supervisor::{ChildSpec, Control, ControlError};
use crate::table::TableError;

/// A request to a supervisor, one JSON object per line, tagged by
/// `command`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The named children's states (every child, in table order, if none).
    Status {
        /// Children by name.
        #[serde(default)]
        names: Vec<String>,
    },
    /// Start a child that is down, with a fresh backoff streak.
    Start {
        /// The child.
        name: String,
    },
    /// Stop a child and keep it stopped.
    Stop {
        /// The child.
        name: String,
    },
    /// Stop a child if it runs, then start it.
    Restart {
        /// The child.
        name: String,
    },
    /// Add a child running `argv` (the program, then its arguments).
    Add {
        /// Its unique name.
        name: String,
        /// The program, then its arguments.
        argv: Vec<String>,
    },
    /// Stop a child and take it out of the table.
    Remove {
        /// The child.
        name: String,
    },
    /// Stop every child and exit.
    Shutdown,
}

impl Request {
    /// Whether its answer waits for a child to exit (stop, restart,
    /// remove). The supervisor bounds that wait itself: it answers by the
    /// end of the stop grace, however long that is configured, plus 10 s
    /// (SIGKILL at the end of the grace; a child that survives it is given
    /// up on). So a [`ControlClient`] waits for such an answer without a
    /// timeout of its own unless given one ([`ControlClient::child_timeout`]).
    pub fn waits_for_a_child(&self) -> bool {
        matches!(self, Request::Stop { .. } | Request::Restart { .. } | Request::Remove { .. })
    }
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Whether the request was carried out.
    pub ok: bool,
    /// The states of the children the request named or changed, after it.
    #[serde(default)]
    pub children: Vec<ChildStatus>,
    /// Why not, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReply>,
}

/// Why a request failed: a kind a program can branch on, and a message
/// for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The same, in words.
    pub message: String,
}

/// What went wrong with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not one JSON request (malformed, unknown command, too long).
    BadRequest,
    /// No child has that name.
    UnknownChild,
    /// The request does not apply to the child as it is (a `start` of a
    /// running child; a name `add` finds taken; a child being stopped).
    Conflict,
    /// The supervisor is shutting down.
    ShuttingDown,
    /// The server is serving as many clients as it allows.
    Busy,
    /// The client is not the supervisor's user.
    PermissionDenied,
    /// The connection sent no request within the idle timeout.
    Timeout,
}

/// One child's state as the control socket reports it. The `ctl status`
/// table's columns have the same names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildStatus {
    /// The child's unique name.
    pub name: String,
    /// Its lifecycle status (`starting`, `running`, `stopping`, `stopped`,
    /// `crashed`, `backoff`, `fatal`).
    pub state: String,
    /// Its OS pid while it has a process.
    pub pid: Option<u32>,
    /// When it entered its current run, in milliseconds since the Unix
    /// epoch: when it started (running, stopping) or last exited (every
    /// other state); `null` before its first start.
    pub since: Option<u64>,
    /// How many times it was restarted.
    pub restarts: u32,
    /// The exit code of its last run (`null` while running, before the
    /// first exit, or when a signal ended it).
    pub exit_code: Option<i32>,
    /// The signal that ended its last run, if one did.
    pub exit_signal: Option<i32>,
    /// In `backoff`: when it restarts, in milliseconds since the Unix epoch.
    pub backoff_until: Option<u64>,
    /// How many transitions were published before this state.
    pub version: u64,
}

impl ChildStatus {
    /// What the control socket reports for `state`.
    pub fn of(state: &ProcessState) -> Self {
        let since = match state.status() {
            Status::Running | Status::Stopping => state.started_at(),
            _ => state.exited_at(),
        };
        ChildStatus {
            name: state.name().to_owned(),
            state: state.status().to_string(),
            pid: state.pid(),
            since: since.map(unix_millis),
            restarts: state.restarts(),
            exit_code: state.exit_code(),
            exit_signal: state.exit_signal(),
            backoff_until: state.backoff_until().map(unix_millis),
            version: state.version(),
        }
    }

    /// Whether the child is up.
    pub fn is_running(&self) -> bool {
        self.state == Status::Running.as_str()
    }
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Response {
    fn children(children: Vec<ChildStatus>) -> Self {
        Response { ok: true, children, error: None }
    }

    fn error(kind: ErrorKind, message: impl Into<String>) -> Self {
        Response {
            ok: false,
            children: Vec::new(),
            error: Some(ErrorReply { kind, message: message.into() }),
        }
    }
}

/// What a server allows its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Clients served at once; one more is told the server is busy.
    pub max_clients: usize,
    /// How long a connection may take to send its next whole request
    /// (from its connect, then from each answer) before it is closed;
    /// `Duration::MAX` for no limit.
    pub idle_timeout: Duration,
    /// The longest request line, in bytes.
    pub max_request: usize,
}

impl Default for Limits {
    /// 128 clients, 10 s for each whole request, 64 KiB per request.
    fn default() -> Self {
        Limits { max_clients: 128, idle_timeout: Duration::from_secs(10), max_request: 64 * 1024 }
    }
}

impl Limits {
    fn check(&self) -> io::Result<()> {
        if self.max_clients == 0 || self.max_request == 0 || self.idle_timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("limits must be above zero: {self:?}"),
            ));
        }
        Ok(())
    }
}

/// A connection's place among the `max_clients`, given back when its
/// thread ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(active: &Arc<AtomicUsize>) -> Slot {
        active.fetch_add(1, Ordering::AcqRel);
        Slot(Arc::clone(active))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long the server waits for a client to take a reply.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a control socket could not be opened.
#[derive(Debug)]
pub enum BindError {
    /// A live supervisor already listens on the path.
    InUse(PathBuf),
    /// Something other than a socket is at the path.
    NotASocket(PathBuf),
    /// The socket could not be created or checked.
    Io(PathBuf, io::Error),
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::InUse(path) => {
                write!(
                    f,
                    "another supervisor is listening on {}; give this one --socket PATH",
                    path.display()
                )
            }
            BindError::NotASocket(path) => {
                write!(f, "{} exists and is not a socket; remove it or pick another --socket", path.display())
            }
            BindError::Io(path, e) => write!(f, "cannot open the control socket {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for BindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BindError::Io(_, e) => Some(e),
            _ => None,
        }
    }
}

/// The control socket's default path: `$XDG_RUNTIME_DIR/procstore-supervisor.sock`,
/// or, without a usable `XDG_RUNTIME_DIR`, `procstore-supervisor.sock` in
/// `/tmp/procstore-supervisor-<uid>`, a directory only this user may enter
/// (made if missing; refused if anyone else owns it or may write to it).
pub fn default_socket_path() -> io::Result<PathBuf> {
    const NAME: &str = "procstore-supervisor.sock";
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()).map(PathBuf::from)
        && dir.is_absolute()
        && dir.is_dir()
    {
        return Ok(dir.join(NAME));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = PathBuf::from(format!("/tmp/procstore-supervisor-{uid}"));
    match std::fs::create_dir(&dir) {
        Ok(()) => std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not a private directory of user {uid}; pass --socket PATH", dir.display()),
        ));
    }
    Ok(dir.join(NAME))
}

/// A bound control socket, not yet serving: bind it before starting the
/// children, so a second supervisor on the same path fails before it
/// starts anything. Dropping it removes the socket file.
pub struct ControlSocket {
    path: PathBuf,
    /// The socket file's identity, so drop removes only our own.
    inode: (u64, u64),
    listener: UnixListener,
}

impl fmt::Debug for ControlSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlSocket").field("path", &self.path).finish_non_exhaustive()
    }
}

impl ControlSocket {
    /// Listens on `path`, with owner-only permissions. A socket left by a
    /// supervisor that was killed (no one accepts on it) is replaced; a live
    /// one is [`BindError::InUse`]. Check and bind hold a lock on the
    /// socket's directory, so two supervisors starting together cannot both
    /// take one path.
    pub fn bind(path: &Path) -> Result<Self, BindError> {
        let io_error = |e| BindError::Io(path.to_owned(), e);
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let _locked = DirLock::take(dir).map_err(io_error)?;
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => match UnixStream::connect(path) {
                Ok(_) => return Err(BindError::InUse(path.to_owned())),
                // No one listens: a killed supervisor's socket.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path).map_err(io_error)?
                }
                Err(e) => return Err(io_error(e)),
            },
            Ok(_) => return Err(BindError::NotASocket(path.to_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        let listener = UnixListener::bind(path).map_err(|e| match e.kind() {
            io::ErrorKind::AddrInUse => BindError::InUse(path.to_owned()),
            _ => io_error(e),
        })?;
        let meta = std::fs::metadata(path).map_err(io_error)?;
        let socket = ControlSocket { path: path.to_owned(), inode: (meta.dev(), meta.ino()), listener };
        // Until this runs the socket has the umask's permissions; the peer
        // check turns away whoever connects in between.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io_error)?;
        Ok(socket)
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves requests to `control` until the server is dropped; a
    /// `shutdown` request calls `on_shutdown`, whose caller then drops the
    /// server and the supervisor (not from inside `on_shutdown`: dropping
    /// the server waits for the connection that called it).
    pub fn serve<R: Registry>(
        self,
        control: Control<R>,
        on_shutdown: impl Fn() + Send + Sync + 'static,
        limits: Limits,
    ) -> Result<ControlServer, BindError> {
        let io_error = |e| BindError::Io(self.path.clone(), e);
        limits.check().map_err(io_error)?;
        let accepting = self.listener.try_clone().map_err(io_error)?;
        let stop = Arc::new(AtomicBool::new(false));
        let server = Server {
            control,
            on_shutdown: Arc::new(on_shutdown),
            limits,
            active: Arc::default(),
            stop: Arc::clone(&stop),
        };
        let accept = std::thread::Builder::new()
            .name("procstore-control".to_owned())
            .spawn(move || server.accept_until(&accepting))
            .map_err(io_error)?;
        Ok(ControlServer { socket: self, stop, accept: Some(accept) })
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        // Remove the socket only if it is still ours, not a successor's.
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.inode) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An exclusive `flock` on a directory, held while a socket in it is
/// checked and bound; closing the file (dropping this) releases it.
struct DirLock {
    _held: std::fs::File,
}

impl DirLock {
    fn take(dir: &Path) -> io::Result<DirLock> {
        let file = std::fs::File::open(dir)?;
        // SAFETY: the fd is open for the call (we own the file).
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(DirLock { _held: file })
    }
}

/// A supervisor's control socket, serving [`Request`]s until dropped; then
/// it removes its socket file.
pub struct ControlServer {
    socket: ControlSocket,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl fmt::Debug for ControlServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlServer").field("path", &self.socket.path).finish_non_exhaustive()
    }
}

impl ControlServer {
    /// [`ControlSocket::bind`], then [`serve`](ControlSocket::serve).
    pub fn bind<R: Registry>(
        path: &Path,
        control: Control<R>,
        on_shutdown: impl Fn() + Send + Sync + 'static,
        limits: Limits,
    ) -> Result<Self, BindError> {
        ControlSocket::bind(path)?.serve(control, on_shutdown, limits)
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.socket.path
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // SAFETY: the listener's fd is open (the socket owns it); shutting
        // it down wakes the accept thread, which then sees `stop`.
        unsafe { libc::shutdown(self.socket.listener.as_raw_fd(), libc::SHUT_RDWR) };
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // Then `socket` drops, removing the file.
    }
}

/// What every connection's thread shares.
struct Server<R: Registry> {
    control: Control<R>,
    on_shutdown: Arc<dyn Fn() + Send + Sync>,
    limits: Limits,
    active: Arc<AtomicUsize>,
    /// Raised when the server is dropped: no new request is taken.
    stop: Arc<AtomicBool>,
}

impl<R: Registry> Clone for Server<R> {
    fn clone(&self) -> Self {
        Server {
            control: self.control.clone(),
            on_shutdown: Arc::clone(&self.on_shutdown),
            limits: self.limits,
            active: Arc::clone(&self.active),
            stop: Arc::clone(&self.stop),
        }
    }
}

impl<R: Registry> Server<R> {
    fn accept_until(&self, listener: &UnixListener) {
        let stop = &self.stop;
        // Each connection's thread, and its stream, to end it at stop.
        let mut connections: Vec<(JoinHandle<()>, UnixStream)> = Vec::new();
        while !stop.load(Ordering::Acquire) {
            let Ok((stream, _)) = listener.accept() else {
                // EMFILE and the like: wait rather than spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            connections.retain(|(thread, _)| !thread.is_finished());
            if stop.load(Ordering::Acquire) {
                break;
            }
            let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
            if let Some(refusal) = self.refusal(&stream) {
                let _ = write_response(&stream, &refusal);
                continue;
            }
            let Ok(ending) = stream.try_clone() else { continue };
            let slot = Slot::take(&self.active);
            let server = self.clone();
            let spawned =
                std::thread::Builder::new().name("procstore-control-client".to_owned()).spawn(move || {
                    let _slot = slot;
                    server.serve(&stream);
                    // The accept thread holds a clone: close for real.
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                });
            if let Ok(thread) = spawned {
                connections.push((thread, ending));
            }
        }
        // Idle clients are cut off; one mid-request (a stop waits for its
        // child) gets its answer, if it still reads, and nothing more.
        for (thread, stream) in connections {
            let _ = stream.shutdown(std::net::Shutdown::Read);
            let _ = thread.join();
        }
    }

    /// Why `stream` is not served, if it is not.
    fn refusal(&self, stream: &UnixStream) -> Option<Response> {
        match peer_uid(stream) {
            // SAFETY: geteuid has no preconditions and cannot fail.
            Ok(uid) if uid == 0 || uid == unsafe { libc::geteuid() } => {}
            Ok(uid) => {
                return Some(Response::error(
                    ErrorKind::PermissionDenied,
                    format!("user {uid} may not control this supervisor"),
                ));
            }
            Err(e) => {
                return Some(Response::error(
                    ErrorKind::PermissionDenied,
                    format!("cannot tell who you are: {e}"),
                ));
            }
        }
        let active = self.active.load(Ordering::Acquire);
        (active >= self.limits.max_clients).then(|| {
            Response::error(
                ErrorKind::Busy,
                format!("{active} clients are connected, the most this supervisor serves"),
            )
        })
    }

    /// Answers `stream`'s requests until it closes, takes too long to send
    /// one or sends something unreadable.
    fn serve(&self, stream: &UnixStream) {
        let Ok(reading) = stream.try_clone() else { return };
        let mut lines = BufReader::new(ByDeadline { stream: reading, deadline: None });
        let mut reader = self.control.reader();
        let mut line = Vec::new();
        while !self.stop.load(Ordering::Acquire) {
            line.clear();
            // A timeout too long to add to now (Duration::MAX) is none.
            lines.get_mut().deadline = Instant::now().checked_add(self.limits.idle_timeout);
            let limit = (self.limits.max_request as u64).saturating_add(1);
            let read = (&mut lines).take(limit).read_until(b'\n', &mut line);
            // A request cut short (too long, or timed out) ends the
            // connection after its answer: what follows cannot be trusted
            // to start a request.
            let (response, close) = match read {
                Ok(0) => return,
                Ok(_) if line.len() > self.limits.max_request => (
                    Response::error(
                        ErrorKind::BadRequest,
                        format!("a request is one line of at most {} bytes", self.limits.max_request),
                    ),
                    true,
                ),
                Ok(_) => match serde_json::from_slice::<Request>(line.trim_ascii()) {
                    Ok(request) => (self.answer(request, &mut reader), false),
                    Err(e) => (Response::error(ErrorKind::BadRequest, format!("not a request: {e}")), false),
                },
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => (
                    Response::error(
                        ErrorKind::Timeout,
                        format!("no whole request in {:?}; closing", self.limits.idle_timeout),
                    ),
                    true,
                ),
                Err(_) => return,
            };
            // A client that left mid-reply is gone: nothing to tell it.
            if write_response(stream, &response).is_err() || close {
                return;
            }
        }
    }

    fn answer(&self, request: Request, reader: &mut crate::TableReader<R>) -> Response {
        let control = &self.control;
        let one = |done: Result<ProcessState, ControlError>| match done {
            Ok(state) => Response::children(vec![ChildStatus::of(&state)]),
            Err(e) => control_error(&e),
        };
        match request {
            Request::Status { names } => status(reader, &names),
            Request::Start { name } => one(control.start(&name)),
            Request::Stop { name } => one(control.stop(&name)),
            Request::Restart { name } => one(control.restart(&name)),
            Request::Remove { name } => one(control.remove(&name)),
            Request::Add { name, argv } => {
                let Some((program, args)) = argv.split_first() else {
                    return Response::error(ErrorKind::BadRequest, "`add` needs a command to run");
                };
                let spec = ChildSpec::new(name.clone(), OsString::from(program), args);
                match control.add(spec) {
                    Ok(_) => status(reader, &[name]),
                    Err(e) => control_error(&e),
                }
            }
            Request::Shutdown => {
                (self.on_shutdown)();
                Response::children(Vec::new())
            }
        }
    }
}

/// The states of `names` (every child if empty), or the first unknown name.
fn status<R: Registry>(reader: &mut crate::TableReader<R>, names: &[String]) -> Response {
    let states = if names.is_empty() {
        reader.list().map_err(|_| ())
    } else {
        let mut states = Vec::with_capacity(names.len());
        for name in names {
            match reader.by_name(name, ProcessState::clone) {
                Ok(Some(state)) => states.push(state),
                Ok(None) => {
                    let unknown = TableError::UnknownName(name.clone());
                    return Response::error(ErrorKind::UnknownChild, unknown.to_string());
                }
                Err(_) => return Response::error(ErrorKind::ShuttingDown, "the supervisor is shutting down"),
            }
        }
        Ok(states)
    };
    match states {
        Ok(states) => Response::children(states.iter().map(ChildStatus::of).collect()),
        Err(()) => Response::error(ErrorKind::ShuttingDown, "the supervisor is shutting down"),
    }
}

fn control_error(error: &ControlError) -> Response {
    let kind = match error {
        ControlError::Table(TableError::UnknownName(_)) => ErrorKind::UnknownChild,
        ControlError::Invalid(_) => ErrorKind::BadRequest,
        ControlError::Table(_) | ControlError::AlreadyRunning(_) | ControlError::Busy(_) => {
            ErrorKind::Conflict
        }
        ControlError::ShuttingDown => ErrorKind::ShuttingDown,
    };
    Response::error(kind, error.to_string())
}

/// A stream whose reads fail with `TimedOut` once `deadline` has passed,
/// however little each read waits: a client trickling a byte at a time
/// cannot hold its connection past it. Without a deadline, reads wait.
struct ByDeadline {
    stream: UnixStream,
    deadline: Option<Instant>,
}

impl Read for ByDeadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.map(|at| at.saturating_duration_since(Instant::now()));
        if left.is_some_and(|left| left.is_zero()) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(left)?;
        self.stream.read(buf)
    }
}

fn write_response(mut stream: &UnixStream, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_vec(response).map_err(io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

/// The user on the other end of `stream` (`SO_PEERCRED`).
fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given, and
    // the fd is open for the call (we borrow the stream).
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &raw mut len,
        )
    };
    if rc == 0 { Ok(cred.uid) } else { Err(io::Error::last_os_error()) }
}

/// Why a [`ControlClient`] got no answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// No supervisor listens on the path.
    NotRunning(PathBuf, io::Error),
    /// The connection failed mid-request, or the answer was not JSON.
    Io(io::Error),
    /// No answer within the client's timeout for the request. The
    /// supervisor may still carry the request out.
    Timeout(Duration),
    /// An earlier request on this connection got no whole answer, so the
    /// next line could be its late answer: connect again.
    Broken,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NotRunning(path, e) => {
                write!(f, "no supervisor is listening on {} ({e})", path.display())
            }
            ClientError::Io(e) => write!(f, "the supervisor did not answer: {e}"),
            ClientError::Timeout(waited) => {
                write!(f, "the supervisor did not answer in {waited:?} (it may still carry the request out)")
            }
            ClientError::Broken => {
                f.write_str("an earlier request on this connection got no answer; connect again")
            }
        }
    }
}

/// The cause is part of the message, so it is no source as well.
impl std::error::Error for ClientError {}

/// A connection to a supervisor's control socket, for any number of
/// requests. The server closes a connection that sends no whole request
/// for its [`Limits::idle_timeout`]; a request after a pause that long
/// connects again by itself.
#[derive(Debug)]
pub struct ControlClient {
    path: PathBuf,
    stream: BufReader<UnixStream>,
    answer_timeout: Duration,
    child_timeout: Option<Duration>,
    /// The socket's read timeout as last set, so a request sets it only
    /// when it changes.
    read_timeout: Option<Duration>,
    /// A request failed mid-way: the stream may hold its late answer.
    broken: bool,
}

/// A new connection to the supervisor listening on `path`.
fn dial(path: &Path) -> Result<BufReader<UnixStream>, ClientError> {
    let stream = UnixStream::connect(path).map_err(|e| ClientError::NotRunning(path.to_owned(), e))?;
    Ok(BufReader::new(stream))
}

/// How long a client waits for an answer that does not wait for a child
/// ([`Request::waits_for_a_child`]), unless told otherwise.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

impl ControlClient {
    /// Connects to the supervisor listening on `path`.
    pub fn connect(path: &Path) -> Result<Self, ClientError> {
        Ok(ControlClient {
            path: path.to_owned(),
            stream: dial(path)?,
            answer_timeout: ANSWER_TIMEOUT,
            child_timeout: None,
            read_timeout: None,
            broken: false,
        })
    }

    /// Waits at most `timeout` (not zero) for an answer that does not wait
    /// for a child, instead of [`ANSWER_TIMEOUT`].
    ///
    /// # Panics
    ///
    /// If `timeout` is zero, which a socket cannot wait.
    #[must_use]
    pub fn answer_timeout(mut self, timeout: Duration) -> Self {
        assert!(!timeout.is_zero(), "an answer timeout of zero");
        self.answer_timeout = timeout;
        self
    }

    /// Waits at most `timeout` (not zero) for an answer that waits for a
    /// child. Without one, a client waits as long as the supervisor takes:
    /// a running supervisor answers by the end of the stop grace plus 10 s
    /// ([`Request::waits_for_a_child`]), and a supervisor that exits closes
    /// the connection, but a supervisor that is stopped (SIGSTOP) or wedged
    /// keeps the client waiting.
    ///
    /// # Panics
    ///
    /// If `timeout` is zero, which a socket cannot wait.
    #[must_use]
    pub fn child_timeout(mut self, timeout: Duration) -> Self {
        assert!(!timeout.is_zero(), "a child timeout of zero");
        self.child_timeout = Some(timeout);
        self
    }

    /// Sends `request` and waits for its answer: at most the answer
    /// timeout, or, for a request that waits for a child, the child
    /// timeout if it has one (each read of the socket, so an answer that
    /// arrives in pieces may take longer). After a timeout or a failed
    /// read or write the connection answers [`ClientError::Broken`].
    ///
    /// A server that closed the connection before the request reached it
    /// may have said why first (busy, another user, its idle timeout):
    /// that is the answer. A `timeout` answer means the server closed the
    /// connection for idling without reading the request, so it was not
    /// carried out: it goes once more, on a new connection (a failed
    /// connect is [`ClientError::NotRunning`]), and a second `timeout` is
    /// the answer.
    pub fn request(&mut self, request: &Request) -> Result<Response, ClientError> {
        let response = self.exchange(request)?;
        if response.error.as_ref().is_none_or(|e| e.kind != ErrorKind::Timeout) {
            return Ok(response);
        }
        // Closed by the server: broken until a new connection replaces it.
        self.broken = true;
        self.stream = dial(&self.path)?;
        (self.read_timeout, self.broken) = (None, false);
        self.exchange(request)
    }

    /// One request and its answer on this connection.
    fn exchange(&mut self, request: &Request) -> Result<Response, ClientError> {
        if self.broken {
            return Err(ClientError::Broken);
        }
        let mut line = serde_json::to_vec(request).map_err(|e| ClientError::Io(io::Error::other(e)))?;
        line.push(b'\n');
        let timeout =
            if request.waits_for_a_child() { self.child_timeout } else { Some(self.answer_timeout) };
        // Broken until a whole answer is read: whatever fails on the way
        // leaves the stream mid-exchange.
        self.broken = true;
        if timeout != self.read_timeout {
            self.stream.get_ref().set_read_timeout(timeout).map_err(ClientError::Io)?;
            self.read_timeout = timeout;
        }
        // A peer that closed may have answered first: read that line.
        let unsent = match self.stream.get_mut().write_all(&line) {
            Ok(()) => None,
            Err(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) => {
                Some(e)
            }
            Err(e) => return Err(ClientError::Io(e)),
        };
        let mut answer = String::new();
        match self.stream.read_line(&mut answer) {
            Ok(0) => Err(ClientError::Io(unsent.unwrap_or_else(|| io::ErrorKind::UnexpectedEof.into()))),
            Ok(_) => {
                self.broken = false;
                serde_json::from_str(&answer).map_err(|e| ClientError::Io(io::Error::other(e)))
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                Err(ClientError::Timeout(timeout.unwrap_or_default()))
            }
            Err(e) => Err(ClientError::Io(unsent.unwrap_or(e))),
        }
    }
}
