//! The control socket against clients that misbehave: malformed, unknown,
//! oversized and missing requests, clients that leave mid-reply, and many
//! at once, each against a supervisor of real `sleep` children.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use procstore_atomic::{ArcSwapCacheStore, CowHandles};
use procstore_supervisor::control::{
    ClientError, ControlClient, ControlServer, ControlSocket, ErrorKind, Limits, Request, Response,
};
use procstore_supervisor::{ChildSpec, Config, Supervisor};

type Registry = CowHandles<ArcSwapCacheStore>;

/// How long a test waits for any one answer (the server's own timeouts
/// here are a second or ten).
const PATIENCE: Duration = Duration::from_secs(60);

/// A supervisor of `children` sleepers with a control socket under
/// `limits`, in a directory of its own; and the flag `shutdown` raises.
struct Running {
    server: Option<ControlServer>,
    supervisor: Option<Supervisor<Registry>>,
    socket: PathBuf,
    shutdown: Arc<AtomicBool>,
}

impl Running {
    fn start(children: usize, limits: Limits) -> Running {
        let specs = (0..children).map(|i| ChildSpec::new(format!("sleeper-{i}"), "sleep", ["30"])).collect();
        // A long grace period, which a `sleep` (it dies at SIGTERM) never waits out.
        Running::with(Config { stop_grace: Duration::from_secs(30), ..Config::new(specs) }, limits)
    }

    fn with(config: Config, limits: Limits) -> Running {
        let socket = fresh_dir("ctl").join("s.sock");
        let (supervisor, _events) = Supervisor::<Registry>::start(config).expect("start");
        let shutdown = Arc::new(AtomicBool::new(false));
        let raised = Arc::clone(&shutdown);
        let server = ControlServer::bind(
            &socket,
            supervisor.control(),
            move || raised.store(true, Ordering::SeqCst),
            limits,
        )
        .expect("bind");
        Running { server: Some(server), supervisor: Some(supervisor), socket, shutdown }
    }

    /// A raw connection whose reads give up after [`PATIENCE`], so a server
    /// that stops answering fails the test instead of hanging it.
    fn connect(&self) -> UnixStream {
        let stream = UnixStream::connect(&self.socket).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("set a read timeout");
        stream
    }

    fn client(&self) -> ControlClient {
        ControlClient::connect(&self.socket).expect("connect")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.server.take());
        drop(self.supervisor.take());
        if !std::thread::panicking() {
            assert!(!self.socket.exists(), "the socket file is left behind");
        }
        let _ = std::fs::remove_dir(self.socket.parent().expect("a dir"));
    }
}

/// A new empty directory for this test.
fn fresh_dir(what: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("make a dir");
    dir
}

/// A socket no supervisor serves, in a directory of its own, for a test
/// to play the server.
fn fake_server(what: &str) -> (PathBuf, UnixListener) {
    let socket = fresh_dir(what).join("s.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    (socket, listener)
}

/// Plays the server for one connection: takes one request line and
/// answers it with `answer`; returns the request.
fn serve_one(listener: &UnixListener, answer: &[u8]) -> String {
    let (stream, _) = listener.accept().expect("accept");
    let mut stream = BufReader::new(stream);
    let mut request = String::new();
    stream.read_line(&mut request).expect("a request");
    stream.get_mut().write_all(answer).expect("answer");
    request
}

/// One answer line from `stream`, parsed.
fn answer(stream: &mut BufReader<UnixStream>) -> Response {
    let mut line = String::new();
    assert!(stream.read_line(&mut line).expect("read") > 0, "the server closed without answering");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// Asserts the server closed `stream` after its last answer and sent
/// nothing more.
fn assert_closed(stream: &mut BufReader<UnixStream>) {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "more after the last answer: {rest:?}"),
        // A close with our request still unread resets the connection,
        // after what was sent before it.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            assert!(rest.is_empty(), "more after the last answer: {rest:?}");
        }
        Err(e) => panic!("the connection stays open: {e}"),
    }
}

fn kind(response: &Response) -> Option<ErrorKind> {
    response.error.as_ref().map(|e| e.kind)
}

fn status_works(running: &Running) {
    let response = running.client().request(&Request::Status { names: Vec::new() }).expect("status");
    assert!(response.ok, "{response:?}");
}

#[test]
fn malformed_and_unknown_requests_get_an_error_and_the_connection_stays_usable() {
    let running = Running::start(1, Limits::default());
    let stream = running.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    for bad in ["{not json\n", "[1,2]\n", "{\"command\":\"explode\"}\n", "{\"command\":\"stop\"}\n", "\n"] {
        writer.write_all(bad.as_bytes()).expect("write");
        let response = answer(&mut reader);
        assert_eq!(kind(&response), Some(ErrorKind::BadRequest), "{bad:?}: {response:?}");
    }
    writer.write_all(b"{\"command\":\"status\",\"names\":[\"nobody\"]}\n").expect("write");
    let response = answer(&mut reader);
    assert_eq!(kind(&response), Some(ErrorKind::UnknownChild));
    assert_eq!(response.error.expect("an error").message, "no child is named `nobody`");
    writer.write_all(b"{\"command\":\"status\"}\n").expect("write");
    let response = answer(&mut reader);
    assert!(response.ok && response.children.len() == 1, "{response:?}");
}

#[test]
fn an_oversized_request_is_refused_and_the_connection_closed() {
    let limits = Limits { max_request: 1024, ..Limits::default() };
    let running = Running::start(1, limits);
    let stream = running.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let huge = format!("{{\"command\":\"status\",\"names\":[\"{}\"]}}\n", "x".repeat(10_000));
    // The server may close before taking it all: a failed write is fine.
    let _ = writer.write_all(huge.as_bytes());
    let response = answer(&mut reader);
    assert_eq!(kind(&response), Some(ErrorKind::BadRequest));
    assert!(response.error.expect("an error").message.contains("at most 1024 bytes"));
    assert_closed(&mut reader);
    status_works(&running);
}

#[test]
fn a_client_that_sends_nothing_is_timed_out() {
    let limits = Limits { idle_timeout: Duration::from_secs(1), ..Limits::default() };
    let running = Running::start(1, limits);
    let start = Instant::now();
    let mut reader = BufReader::new(running.connect());
    let response = answer(&mut reader);
    assert_eq!(kind(&response), Some(ErrorKind::Timeout), "{response:?}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_closed(&mut reader);
    status_works(&running);
}

#[test]
fn a_client_that_trickles_a_request_is_timed_out_all_the_same() {
    let limits = Limits { idle_timeout: Duration::from_secs(1), ..Limits::default() };
    let running = Running::start(1, limits);
    let stream = running.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let start = Instant::now();
    // A byte every 100 ms, for up to 10 s, and never a newline: the
    // connection is never silent for a second, nor sends a whole request.
    let trickle = std::thread::spawn(move || {
        for &byte in b"{\"command\":\"status\"".iter().cycle().take(100) {
            if writer.write_all(&[byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let response = answer(&mut reader);
    assert_eq!(kind(&response), Some(ErrorKind::Timeout), "{response:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "timed out only after {:?}", start.elapsed());
    assert_closed(&mut reader);
    trickle.join().expect("the trickling client");
    status_works(&running);
}

#[test]
fn an_idle_timeout_too_long_to_reach_is_no_timeout() {
    let running = Running::start(1, Limits { idle_timeout: Duration::MAX, ..Limits::default() });
    status_works(&running);
}

#[test]
fn clients_that_leave_mid_reply_do_not_hurt_the_server() {
    let running = Running::start(64, Limits::default());
    // 200 answers of 64 children each, megabytes: more than the socket
    // buffers, so the server is still writing when the client leaves.
    let requests = "{\"command\":\"status\"}\n".repeat(200);
    for _ in 0..10 {
        let mut stream = running.connect();
        stream.write_all(requests.as_bytes()).expect("write");
        let mut some = [0u8; 100];
        stream.read_exact(&mut some).expect("the first answer starts");
        drop(stream);
    }
    status_works(&running);
}

#[test]
fn something_other_than_a_socket_at_the_path_is_left_alone() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ctl-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("make a dir");
    let path = dir.join("not-a-socket");
    std::fs::write(&path, "precious").expect("write");
    let error = ControlSocket::bind(&path).expect_err("a file is in the way");
    assert!(error.to_string().contains("exists and is not a socket"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).expect("still there"), "precious");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_hundred_concurrent_clients_are_all_answered() {
    let running = Running::start(4, Limits::default());
    std::thread::scope(|scope| {
        for i in 0..100 {
            let running = &running;
            scope.spawn(move || {
                let mut client = running.client();
                for _ in 0..20 {
                    let names = vec![format!("sleeper-{}", i % 4)];
                    let response = client.request(&Request::Status { names }).expect("status");
                    assert!(response.ok && response.children.len() == 1, "{response:?}");
                }
            });
        }
    });
}

#[test]
fn one_client_past_the_limit_is_told_the_server_is_busy() {
    let running = Running::start(1, Limits { max_clients: 1, ..Limits::default() });
    let mut first = running.client();
    assert!(first.request(&Request::Status { names: Vec::new() }).expect("status").ok);
    let mut second = BufReader::new(running.connect());
    assert_eq!(kind(&answer(&mut second)), Some(ErrorKind::Busy));
    drop(first);
    // The first one's thread notices it left, then there is room again.
    let start = Instant::now();
    loop {
        let response = running.client().request(&Request::Status { names: Vec::new() });
        if response.as_ref().is_ok_and(|r| r.ok) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{response:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn stop_start_and_add_answer_with_the_child_and_shutdown_raises_the_flag() {
    let running = Running::start(2, Limits::default());
    let mut client = running.client();
    let stopped = client.request(&Request::Stop { name: "sleeper-0".to_owned() }).expect("stop");
    assert_eq!(stopped.children[0].state, "stopped");
    let started = client.request(&Request::Start { name: "sleeper-0".to_owned() }).expect("start");
    assert_eq!(started.children[0].state, "running");
    let again = client.request(&Request::Start { name: "sleeper-0".to_owned() }).expect("start");
    assert_eq!(kind(&again), Some(ErrorKind::Conflict));
    let empty = client.request(&Request::Add { name: "x".to_owned(), argv: Vec::new() }).expect("add");
    assert_eq!(kind(&empty), Some(ErrorKind::BadRequest));
    assert!(client.request(&Request::Shutdown).expect("shutdown").ok);
    assert!(running.shutdown.load(Ordering::SeqCst));
}

#[test]
fn stopping_or_removing_a_child_already_down_answers_with_its_state() {
    let running = Running::start(1, Limits::default());
    let mut client = running.client();
    let name = || "sleeper-0".to_owned();
    assert_eq!(client.request(&Request::Stop { name: name() }).expect("stop").children[0].state, "stopped");
    let again = client.request(&Request::Stop { name: name() }).expect("stop");
    assert_eq!(again.children[0].state, "stopped");
    let removed = client.request(&Request::Remove { name: name() }).expect("remove");
    assert_eq!(removed.children[0].state, "stopped");
    let gone = client.request(&Request::Status { names: vec![name()] }).expect("status");
    assert_eq!(kind(&gone), Some(ErrorKind::UnknownChild));
}

/// A stop waits for its child as long as the stop grace takes, past the
/// client's answer timeout (the supervisor bounds that wait itself), unless
/// the client has a child timeout of its own.
#[test]
fn a_stop_waits_out_the_grace_past_the_answer_timeout_but_not_a_child_timeout() {
    let dir = fresh_dir("stubborn");
    let ready = |i: usize| dir.join(format!("ready-{i}"));
    let stubborn = (0..2)
        .map(|i| {
            // Ignored signals stay ignored across exec: only the grace's SIGKILL ends it.
            let script = format!("trap '' TERM; touch '{}'; exec sleep 30", ready(i).display());
            ChildSpec::new(format!("stubborn-{i}"), "sh", [String::from("-c"), script])
        })
        .collect();
    let config = Config { stop_grace: Duration::from_secs(1), ..Config::new(stubborn) };
    let running = Running::with(config, Limits::default());
    let waiting = Instant::now();
    while !(ready(0).exists() && ready(1).exists()) {
        assert!(waiting.elapsed() < PATIENCE, "the children never set their traps");
        std::thread::sleep(Duration::from_millis(10));
    }
    let stop = |i: usize| Request::Stop { name: format!("stubborn-{i}") };

    let mut impatient = running.client().child_timeout(Duration::from_millis(200));
    match impatient.request(&stop(0)) {
        Err(ClientError::Timeout(waited)) => assert_eq!(waited, Duration::from_millis(200)),
        other => panic!("not a timeout: {other:?}"),
    }

    // A child timeout of PATIENCE: a supervisor that never answers fails the test, not hangs it.
    let mut client = running.client().answer_timeout(Duration::from_millis(100)).child_timeout(PATIENCE);
    let asked = Instant::now();
    let stopped = client.request(&stop(1)).expect("a stop waits for its child");
    assert_eq!(stopped.children[0].state, "stopped", "{stopped:?}");
    assert!(asked.elapsed() >= Duration::from_secs(1), "answered before the grace ran out: {stopped:?}");
    let mut client = client.answer_timeout(PATIENCE);
    assert!(client.request(&Request::Status { names: Vec::new() }).expect("status").ok);
    drop(running);
    let _ = std::fs::remove_dir_all(dir);
}

/// A request that gets no answer in the answer timeout fails as a timeout,
/// and the connection, whose next line could be that late answer, refuses
/// the next request.
#[test]
fn a_request_without_an_answer_times_out_and_breaks_the_connection() {
    let (socket, listener) = fake_server("mute");
    let mut client =
        ControlClient::connect(&socket).expect("connect").answer_timeout(Duration::from_millis(50));
    let (_mute, _) = listener.accept().expect("accept");
    match client.request(&Request::Status { names: Vec::new() }) {
        Err(e @ ClientError::Timeout(waited)) => {
            assert_eq!(waited, Duration::from_millis(50));
            assert!(e.to_string().contains("did not answer in 50ms"), "{e}");
        }
        other => panic!("not a timeout: {other:?}"),
    }
    assert!(matches!(client.request(&Request::Status { names: Vec::new() }), Err(ClientError::Broken)));
    let _ = std::fs::remove_dir_all(socket.parent().expect("a dir"));
}

/// A client left idle past the server's idle timeout finds its connection
/// closed with its request unread: it connects again and sends the request
/// once (a start sent twice would answer that the child already runs).
#[test]
fn a_client_idle_past_the_idle_timeout_connects_again_and_asks_once() {
    let running = Running::start(1, Limits { idle_timeout: Duration::from_millis(500), ..Limits::default() });
    let mut client = running.client();
    let name = || "sleeper-0".to_owned();
    assert_eq!(client.request(&Request::Stop { name: name() }).expect("stop").children[0].state, "stopped");
    let idle = Duration::from_millis(1500);
    std::thread::sleep(idle);
    let started = client.request(&Request::Start { name: name() }).expect("asked on a new connection");
    assert_eq!(started.children[0].state, "running", "{started:?}");
    std::thread::sleep(idle);
    let stopped = client.request(&Request::Stop { name: name() }).expect("asked on a new connection");
    assert_eq!(stopped.children[0].state, "stopped", "{stopped:?}");
}

/// A server that answers and closes before the request reaches it (the
/// write fails): a `timeout` answer sends the request once more on a new
/// connection; any other, here `busy`, is the answer, with no new
/// connection.
#[test]
fn a_server_that_answered_and_closed_before_the_request_gives_that_answer() {
    let (socket, mut listener) = fake_server("closed");
    let status = Request::Status { names: Vec::new() };
    for (said, retried) in [("timeout", true), ("busy", false)] {
        let mut client = ControlClient::connect(&socket).expect("connect").answer_timeout(PATIENCE);
        let (stream, _) = listener.accept().expect("accept");
        let line = format!("{{\"ok\":false,\"error\":{{\"kind\":\"{said}\",\"message\":\"closing\"}}}}\n");
        (&stream).write_all(line.as_bytes()).expect("answer");
        drop(stream);
        let server = std::thread::spawn(move || {
            let request = serve_one(&listener, b"{\"ok\":true,\"children\":[]}\n");
            (listener, request)
        });
        let response = client.request(&status).expect("an answer");
        if retried {
            assert!(response.ok, "{response:?}");
        } else {
            assert_eq!(kind(&response), Some(ErrorKind::Busy), "{response:?}");
            // Nobody else connects: unblock the waiting server ourselves.
            let mut unblock = ControlClient::connect(&socket).expect("connect").answer_timeout(PATIENCE);
            assert!(unblock.request(&status).expect("the unblocking request").ok);
        }
        let (back, request) = server.join().expect("the server");
        assert_eq!(request, format!("{}\n", serde_json::to_string(&status).expect("json")));
        listener = back;
    }
    let _ = std::fs::remove_dir_all(socket.parent().expect("a dir"));
}

/// The server's idle-timeout answer means it read none of the request
/// (it may come after the request was written): the client sends the
/// request again on a new connection, once, and a second timeout answer
/// is the answer.
#[test]
fn a_timeout_answer_sends_the_request_once_more_on_a_new_connection() {
    let (socket, listener) = fake_server("idle");
    let server = std::thread::spawn(move || {
        let timed_out = b"{\"ok\":false,\"error\":{\"kind\":\"timeout\",\"message\":\"no whole request\"}}\n";
        let answers: [&[u8]; 4] = [timed_out, b"{\"ok\":true,\"children\":[]}\n", timed_out, timed_out];
        answers.map(|answer| serve_one(&listener, answer))
    });
    let status = Request::Status { names: vec!["web".to_owned()] };
    let mut client = ControlClient::connect(&socket).expect("connect").answer_timeout(PATIENCE);
    assert!(client.request(&status).expect("answered on the second connection").ok);
    let mut again = ControlClient::connect(&socket).expect("connect").answer_timeout(PATIENCE);
    let timed_out = again.request(&status).expect("a second timeout is the answer");
    assert_eq!(kind(&timed_out), Some(ErrorKind::Timeout), "{timed_out:?}");
    let requests = server.join().expect("the server");
    let sent = format!("{}\n", serde_json::to_string(&status).expect("json"));
    assert!(requests.iter().all(|request| *request == sent), "{requests:?}");
    let _ = std::fs::remove_dir_all(socket.parent().expect("a dir"));
}
