//! The `procstore-supervisor` binary: its live view's log, Ctrl-C, bad input,
//! a blocked stdout, and the descendants it contains.

use std::io::{BufRead, BufReader, ErrorKind, PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A directory of this test's own, for the control socket: each run gets a
/// fresh `XDG_RUNTIME_DIR`, so supervisors running side by side never meet
/// on the default socket path.
fn runtime_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("make a runtime dir");
    dir
}

/// The binary, run through `PROCSTORE_TEST_RUNNER` when set (qemu-user for
/// the aarch64 build, whose binaries this machine cannot exec directly),
/// with a runtime directory of its own.
fn supervisor(args: &[&str]) -> Command {
    in_runtime_dir(args, &runtime_dir())
}

/// The binary with `XDG_RUNTIME_DIR=dir`.
fn in_runtime_dir(args: &[&str], dir: &std::path::Path) -> Command {
    let binary = env!("CARGO_BIN_EXE_procstore-supervisor");
    let runner = std::env::var("PROCSTORE_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command
        .args(args)
        .env("XDG_RUNTIME_DIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("procstore-supervisor did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `pid` is a live `sleep` process: not a zombie (a container whose
/// init never reaps keeps those), and not a recycled pid, most likely.
fn sleep_is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // `pid (comm) state ...`
    stat.contains("(sleep) ") && !stat.contains(") Z ")
}

/// Starts the binary supervising three `sleep 30`s and reads its log until
/// all three have started; returns it, its log and their pids.
fn three_sleepers() -> (Child, BufReader<ChildStdout>, Vec<u32>) {
    let mut child =
        supervisor(&["--children", "3", "--readers", "1", "--refresh-ms", "50", "--", "sleep", "30"])
            .spawn()
            .expect("start the binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut pids = Vec::new();
    let mut line = String::new();
    while pids.len() < 3 {
        line.clear();
        assert!(
            stdout.read_line(&mut line).expect("read the log") > 0,
            "the log ended before 3 children started"
        );
        if let Some((_, pid)) = line.trim_end().split_once(": started as pid ") {
            pids.push(pid.parse::<u32>().expect("a pid"));
        }
    }
    assert!(pids.iter().all(|&pid| sleep_is_running(pid)), "{pids:?}");
    (child, stdout, pids)
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own unreaped child's.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn ctrl_c_stops_and_reaps_every_child() {
    let (child, mut stdout, pids) = three_sleepers();
    signal(&child, libc::SIGINT);
    let mut rest = String::new();
    let output = wait_with_timeout(child, Duration::from_secs(30));
    stdout.read_to_string(&mut rest).expect("read the rest");
    assert!(output.status.success(), "{:?}\n{rest}\n{}", output.status, text(&output.stderr));
    assert!(rest.contains("interrupted: 3 children stopped and reaped (3 stopped)"), "{rest}");
    for pid in pids {
        assert!(rest.contains(&format!("pid {pid} stopped")), "{rest}");
        assert!(!sleep_is_running(pid), "pid {pid} outlived the supervisor");
    }
}

#[test]
fn a_supervisor_killed_outright_leaves_no_orphan() {
    let (child, _stdout, pids) = three_sleepers();
    signal(&child, libc::SIGKILL);
    wait_with_timeout(child, Duration::from_secs(30));
    // The kernel delivers each child's parent-death signal as its parent goes.
    let start = Instant::now();
    while pids.iter().any(|&pid| sleep_is_running(pid)) {
        assert!(start.elapsed() < Duration::from_secs(10), "orphans left running: {pids:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_crash_loop_ends_fatal_with_a_failure_status() {
    let child = supervisor(&[
        "--children",
        "2",
        "--backoff-ms",
        "5",
        "--give-up-after",
        "2",
        "--",
        "sh",
        "-c",
        "exit 9",
    ])
    .spawn()
    .expect("start the binary");
    let output = wait_with_timeout(child, Duration::from_secs(30));
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("sh-1: gave up after 2 quick exits in a row; stays down (fatal)"), "{stdout}");
    assert!(
        stdout.contains("every child is down for good: 2 children stopped and reaped (2 fatal)"),
        "{stdout}"
    );
}

#[test]
fn a_duration_ends_the_run_cleanly() {
    let args = ["--store", "mutex", "--children", "2", "--duration", "0.5", "--", "sleep", "0.1"];
    let output = wait_with_timeout(supervisor(&args).spawn().expect("start"), Duration::from_secs(30));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("parking_lot RwLock<HashMap> |"), "{stdout}");
    assert!(stdout.contains("duration reached: 2 children stopped and reaped"), "{stdout}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases: [(&[&str], &str); 7] = [
        (&["--", "procstore-test-no-such-command"], "command not found: procstore-test-no-such-command"),
        (&["--children", "0"], "0 is not in 1..=10000"),
        (&["--store", "bogus"], "invalid value 'bogus' for '--store <STORE>'"),
        (&["--duration=0"], "--duration must be between 0 and 31536000 seconds, got 0"),
        (&["--duration=1e300"], "--duration must be between 0 and"),
        (&["--stable-after-ms", "0"], "stable-after must be above zero"),
        (&["--backoff-ms", "500", "--max-backoff-ms", "100"], "is longer than the maximum"),
    ];
    for (args, message) in cases {
        let output = wait_with_timeout(supervisor(args).spawn().expect("start"), Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(text(&output.stderr).contains(message), "{args:?}: {}", text(&output.stderr));
    }
}

/// A pipe already full, as if its reader had stopped reading long ago: a
/// write to it blocks until someone reads. Returns the read end, for the
/// caller to keep open, and the write end, for the binary's stdout. Each
/// filler byte is a newline, so the log is what follows them.
fn full_pipe() -> (PipeReader, PipeWriter) {
    let (reader, mut writer) = std::io::pipe().expect("a pipe");
    set_nonblocking(&writer, true);
    loop {
        match writer.write(&[b'\n'; 4096]) {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) => panic!("cannot fill the pipe: {error}"),
        }
    }
    set_nonblocking(&writer, false);
    (reader, writer)
}

fn set_nonblocking(pipe: &PipeWriter, nonblocking: bool) {
    let fd = pipe.as_raw_fd();
    // SAFETY: fcntl(2) has no memory-safety preconditions; `fd` is open while `pipe` lives.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "F_GETFL: {}", std::io::Error::last_os_error());
    let flags = if nonblocking { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) }, 0, "F_SETFL");
}

/// Marks a run's processes: the binary and every child inherit it.
const MARK: &str = "PROCSTORE_TEST_MARK";

/// The binary, its stdout the write end of a full pipe and its environment
/// marked with `mark`, supervising a few `sleep 0.1`s that restart at once
/// and never give up.
fn blocked_sleepers(mark: &str, writer: PipeWriter, extra: &[&str]) -> Child {
    let mut args =
        vec!["--children", "4", "--restart", "always", "--backoff-ms", "1", "--give-up-after", "0"];
    args.extend(["--refresh-ms", "20"]);
    args.extend(extra);
    args.extend(["--", "sleep", "0.1"]);
    supervisor(&args).env(MARK, mark).stdout(writer).spawn().expect("start the binary")
}

/// The pids of processes whose `/proc/<pid>/stat` passes `keep(pid, stat)`.
fn processes_where(keep: impl Fn(u32, &str) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            // Another user's process, or one already gone, is unreadable: not ours.
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            keep(pid, &stat)
        })
        .collect()
}

/// The pids of live processes whose environment holds `MARK=mark`.
fn marked_processes(mark: &str) -> Vec<u32> {
    let wanted = format!("{MARK}={mark}");
    processes_where(|pid, stat| {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        environ.split(|&byte| byte == 0).any(|var| var == wanted.as_bytes()) && !stat.contains(") Z ")
    })
}

/// The zombies whose parent is `parent`: exited, not reaped.
fn zombie_children(parent: u32) -> Vec<u32> {
    processes_where(|_, stat| {
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        fields.first() == Some(&"Z") && fields.get(1) == Some(&parent.to_string().as_str())
    })
}

/// Checks what every run with a blocked stdout must show: a clean exit, no
/// marked process left, and on stderr why it stopped and that stdout lost
/// lines (at least the summary).
fn assert_stopped_despite_stdout(output: &Output, mark: &str, why: &str) {
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{:?}\n{stderr}", output.status);
    assert!(stderr.contains(&format!("procstore-supervisor: {why}; stopping every child")), "{stderr}");
    assert!(stderr.contains("procstore-supervisor: stdout is blocked; "), "{stderr}");
    let left = marked_processes(mark);
    assert!(left.is_empty(), "processes left running: {left:?}");
}

/// Generous: the run itself takes about 2.5 s, and the old binary, stuck
/// writing to a pipe nobody reads, never ended.
const PROMPTLY: Duration = Duration::from_secs(8);

#[test]
fn a_blocked_stdout_does_not_delay_the_duration() {
    let mark = format!("{}-duration", std::process::id());
    let (_unread, writer) = full_pipe();
    let start = Instant::now();
    let child = blocked_sleepers(&mark, writer, &["--duration", "2"]);
    let output = wait_with_timeout(child, Duration::from_secs(60));
    assert!(start.elapsed() < PROMPTLY, "ran {:?} for --duration 2", start.elapsed());
    assert_stopped_despite_stdout(&output, &mark, "duration reached");
}

#[test]
fn sigterm_stops_promptly_while_stdout_is_blocked() {
    let mark = format!("{}-sigterm", std::process::id());
    let (_unread, writer) = full_pipe();
    let child = blocked_sleepers(&mark, writer, &[]);
    // Its signal handlers are in place once it has started a child.
    let start = Instant::now();
    while marked_processes(&mark).iter().all(|&pid| pid == child.id()) {
        assert!(start.elapsed() < Duration::from_secs(30), "no child started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(1));
    signal(&child, libc::SIGTERM);
    let signalled = Instant::now();
    let output = wait_with_timeout(child, Duration::from_secs(60));
    assert!(signalled.elapsed() < PROMPTLY, "exited {:?} after SIGTERM", signalled.elapsed());
    assert_stopped_despite_stdout(&output, &mark, "interrupted");
}

#[test]
fn a_reader_that_resumes_gets_every_event_line_or_a_count_of_those_dropped() {
    let (reader, writer) = full_pipe();
    let children = "16";
    let args = ["--children", children, "--backoff-ms", "1", "--max-backoff-ms", "1", "--give-up-after", "0"];
    let args = [&args[..], &["--refresh-ms", "10", "--duration", "4", "--", "true"]].concat();
    let child = supervisor(&args).stdout(writer).spawn().expect("start the binary");
    // This crash loop logs several hundred lines a second natively, enough
    // to overflow the queue while nobody reads; under qemu, maybe not.
    std::thread::sleep(Duration::from_millis(2500));
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        (&reader).read_to_string(&mut log).expect("read the log");
        log
    });
    let output = wait_with_timeout(child, Duration::from_secs(60));
    let log = log.join().expect("the reader thread");
    let log = log.trim_start_matches('\n');
    assert!(output.status.success(), "{:?}\n{}", output.status, text(&output.stderr));
    let restarts: usize = log
        .lines()
        .find_map(|line| line.strip_suffix(" restarts in all")?.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary in the log: {log}"));
    let dropped: usize = log
        .lines()
        .filter_map(|line| line.strip_prefix("procstore-supervisor: stdout fell behind; "))
        .map(|rest| {
            rest.strip_suffix(" lines dropped").and_then(|n| n.parse::<usize>().ok()).expect("a count")
        })
        .sum();
    // Every start is an event line: logged, or counted among the dropped.
    let started = log.lines().filter(|line| line.contains(": started as pid ")).count();
    let spawns = children.parse::<usize>().unwrap() + restarts;
    assert!(
        started <= spawns && spawns - started <= dropped,
        "{started} of {spawns} started, {dropped} dropped"
    );
}

/// Runs the binary, marked with `mark`, on `sh -c script` until `--duration
/// 3`, checks that it exits cleanly and that no marked process is left.
fn assert_nothing_escapes(mark: &str, script: &str, extra: &[&str]) {
    let args = [&["--duration", "3", "--backoff-ms", "100", "--give-up-after", "0"], extra].concat();
    let args = [&args[..], &["--", "sh", "-c", script]].concat();
    let child = supervisor(&args).env(MARK, mark).spawn().expect("start the binary");
    let output = wait_with_timeout(child, Duration::from_secs(60));
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{:?}\n{stderr}", output.status);
    let left = marked_processes(mark);
    assert!(left.is_empty(), "processes left running: {left:?}\n{}", text(&output.stdout));
}

#[test]
fn a_forking_child_restarted_always_leaves_no_grandchild() {
    let mark = format!("{}-forking", std::process::id());
    assert_nothing_escapes(&mark, "sleep 30 & exit 0", &["--restart", "always"]);
}

#[test]
fn a_grandchild_that_leaves_its_session_is_stopped_at_shutdown() {
    let mark = format!("{}-setsid", std::process::id());
    // The child stays up, so only shutdown can stop the grandchild, and
    // SIGTERM to the child's group does not reach it.
    assert_nothing_escapes(&mark, "setsid sleep 30 & exec sleep 30", &["--restart", "never"]);
}

#[test]
fn orphans_are_reaped_while_it_runs() {
    let args = ["--restart", "always", "--backoff-ms", "200", "--give-up-after", "0", "--refresh-ms", "50"];
    let args = [&args[..], &["--", "sh", "-c", "sleep 30 & exit 0"]].concat();
    let mut child = supervisor(&args).spawn().expect("start the binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    let mut starts = 0;
    while starts < 4 {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("read the log") > 0, "the log ended early");
        starts += usize::from(line.contains(": started as pid "));
    }
    // Each exit leaves a grandchild, stopped and re-parented to the
    // supervisor; unreaped, they would pile up as zombies.
    let start = Instant::now();
    while !zombie_children(child.id()).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "zombies: {:?}", zombie_children(child.id()));
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGTERM);
    let log = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let output = wait_with_timeout(child, Duration::from_secs(60));
    let _ = log.join();
    assert!(output.status.success(), "{:?}\n{}", output.status, text(&output.stderr));
}

#[test]
fn the_next_start_stops_what_a_killed_supervisor_left() {
    let mark = format!("{}-killed", std::process::id());
    let args = ["--restart", "never", "--", "sh", "-c", "setsid sleep 30 & exec sleep 30"];
    let mut first = supervisor(&args).env(MARK, &mark).spawn().expect("start the binary");
    let mut stderr = BufReader::new(first.stderr.take().expect("piped"));
    // Lines about what earlier supervisors left come first; then the one
    // on the containment in force.
    let mut line = String::new();
    while line.is_empty() || line.starts_with("procstore-supervisor: stopped ") {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("read stderr") > 0, "stderr ended");
    }
    let Some(cgroup) = line.trim_end().strip_prefix("procstore-supervisor: children run in cgroup ") else {
        // Not a test that passes without a cgroup: say that it was skipped, and why.
        eprintln!("skipped: the supervisor has no cgroup here: {line}");
        let _ = first.kill();
        let _ = first.wait();
        return;
    };
    let cgroup = cgroup.split(';').next().expect("a path").to_owned();
    // The supervisor carries the mark too, and so does the shell before it
    // forks: wait for the child's and the grandchild's `sleep`s, or a kill
    // that lands first leaves nothing to survive it.
    let start = Instant::now();
    while marked_processes(&mark).into_iter().filter(|&pid| sleep_is_running(pid)).count() < 2 {
        assert!(start.elapsed() < Duration::from_secs(30), "the child and grandchild did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&first, libc::SIGKILL);
    wait_with_timeout(first, Duration::from_secs(30));
    // The grandchild left its group and session and has no death signal;
    // only the cgroup still holds it. (Another test's supervisor starting
    // meanwhile counts as the next start too: then it is gone, or going:
    // that start kills what is left before it removes the cgroup, so wait
    // for the removal rather than catch the two apart.)
    let start = Instant::now();
    while marked_processes(&mark).is_empty() && std::path::Path::new(&cgroup).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing survived the supervisor and nothing cleaned its cgroup {cgroup}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let next = supervisor(&["--duration", "0.2", "--", "true"]).spawn().expect("start the binary");
    let output = wait_with_timeout(next, Duration::from_secs(30));
    assert!(output.status.success(), "{:?}\n{}", output.status, text(&output.stderr));
    assert!(marked_processes(&mark).is_empty(), "left running: {:?}", marked_processes(&mark));
    assert!(!std::path::Path::new(&cgroup).exists(), "{cgroup} is still there");
}

/// `ctl` against the binary at `socket`: its exit status, stdout and stderr.
fn ctl(socket: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let socket = socket.to_str().expect("a UTF-8 path");
    let words: Vec<&str> = ["ctl", "--socket", socket].into_iter().chain(args.iter().copied()).collect();
    let child = supervisor(&words).spawn().expect("run ctl");
    let output = wait_with_timeout(child, Duration::from_secs(60));
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// The children `ctl status --json` reports, by name: (state, pid).
fn ctl_status(socket: &std::path::Path) -> Vec<(String, String, Option<u64>)> {
    let (_, json, stderr) = ctl(socket, &["status", "--json"]);
    let answer: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json} {stderr}"));
    assert_eq!(answer["ok"], true, "{json}");
    answer["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
                c["pid"].as_u64(),
            )
        })
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctl_adds_stops_starts_restarts_and_removes_children_and_nothing_is_left_behind() {
    let dir = runtime_dir();
    let socket = dir.join("procstore-supervisor.sock");
    let run = in_runtime_dir(&["--children", "2", "--readers", "1", "--", "sleep", "30"], &dir)
        .spawn()
        .expect("start the binary");
    wait_for("the socket", || socket.exists());
    wait_for("two running children", || ctl_status(&socket).iter().filter(|c| c.1 == "running").count() == 2);
    {
        // Set before the server answers anything (bind, chmod, then serve).
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&socket).expect("the socket").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the socket is its user's alone");
    }
    let mut pids: Vec<u64> = ctl_status(&socket).iter().filter_map(|c| c.2).collect();
    assert_eq!(ctl(&socket, &["status"]).0, Some(0));

    let (code, out, _) = ctl(&socket, &["add", "extra", "--", "sleep", "30"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("name ") && out.contains("\nextra  running"), "{out}");
    let (code, out, _) = ctl(&socket, &["stop", "sleep-0"]);
    assert!(code == Some(0) && out.contains("sleep-0  stopped"), "{out}");
    let (code, out, _) = ctl(&socket, &["status", "sleep-0", "sleep-1"]);
    assert_eq!(code, Some(3), "a stopped child: status 3\n{out}");
    assert_eq!(ctl(&socket, &["start", "sleep-0"]).0, Some(0));
    let (code, _, err) = ctl(&socket, &["start", "sleep-0"]);
    assert!(code == Some(1) && err.contains("already running"), "{err}");
    let before = ctl_status(&socket).into_iter().find(|c| c.0 == "sleep-1").and_then(|c| c.2);
    assert_eq!(ctl(&socket, &["restart", "sleep-1"]).0, Some(0));
    let after = ctl_status(&socket).into_iter().find(|c| c.0 == "sleep-1").and_then(|c| c.2);
    assert!(before.is_some() && after.is_some() && before != after, "{before:?} -> {after:?}");
    pids.extend(ctl_status(&socket).iter().filter_map(|c| c.2));
    assert_eq!(ctl(&socket, &["remove", "extra"]).0, Some(0));
    let (code, _, err) = ctl(&socket, &["status", "extra"]);
    assert!(code == Some(4) && err.contains("no child is named `extra`"), "{err}");
    assert_eq!(ctl_status(&socket).len(), 2);

    assert_eq!(ctl(&socket, &["shutdown"]).0, Some(0));
    let output = wait_with_timeout(run, Duration::from_secs(20));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("shutdown requested"), "{}", text(&output.stderr));
    assert!(!socket.exists(), "the socket file is left behind");
    let alive: Vec<u64> = pids.into_iter().filter(|&pid| sleep_is_running(pid as u32)).collect();
    assert!(alive.is_empty(), "children left running: {alive:?}");
    let (code, _, err) = ctl(&socket, &["status"]);
    assert!(code == Some(1) && err.contains("no supervisor is listening"), "{err}");
    std::fs::remove_dir(&dir).expect("nothing else is left in the runtime dir");
}

#[test]
fn a_second_supervisor_on_a_live_socket_fails_and_a_stale_one_is_replaced() {
    let dir = runtime_dir();
    let socket = dir.join("procstore-supervisor.sock");
    // A socket nobody listens on: what a supervisor killed outright leaves.
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    assert!(socket.exists());
    let first = in_runtime_dir(&["--children", "1", "--duration", "300", "--", "sleep", "30"], &dir)
        .spawn()
        .expect("start the binary");
    wait_for("the first supervisor to answer", || ctl(&socket, &["status"]).0 == Some(0));
    let second = in_runtime_dir(&["--children", "1", "--", "sleep", "30"], &dir).spawn().expect("start");
    let output = wait_with_timeout(second, Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("another supervisor is listening on"), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("started as pid"), "it started a child: {}", text(&output.stdout));
    assert_eq!(ctl(&socket, &["shutdown"]).0, Some(0));
    assert!(wait_with_timeout(first, Duration::from_secs(20)).status.success());
    assert!(!socket.exists());
    std::fs::remove_dir(&dir).expect("nothing else is left in the runtime dir");
}

/// Writes `text` to a config file of its own in the tests' temporary directory.
fn config_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("config-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, text).expect("write the config file");
    path
}

/// Whether live process `pid` has `var` (`NAME=value`) in its environment.
fn has_variable(pid: u32, var: &str) -> bool {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    environ.split(|&byte| byte == 0).any(|entry| entry == var.as_bytes())
}

#[test]
fn a_config_file_gives_each_child_its_command_and_environment() {
    let path = config_file(
        "good",
        r#"stop_grace_ms = 500
[policy]
restart = "never"

[[child]]
name = "sleeper"
command = ["sleep", "30"]
env = { PROCSTORE_TEST_ROLE = "sleeper" }

[[child]]
name = "shell"
command = ["sh", "-c", "sleep 30"]
env = { PROCSTORE_TEST_ROLE = "shell" }
"#,
    );
    let config = path.to_str().expect("a UTF-8 path");
    // Stopped by Ctrl-C once checked: a short --duration could end the
    // children before a slow machine (qemu) reads their environment.
    let mut child =
        supervisor(&["--config", config, "--refresh-ms", "50"]).spawn().expect("start the binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut started = Vec::new();
    let mut line = String::new();
    while started.len() < 2 {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("read the log") > 0, "the log ended before 2 starts");
        if let Some((name, pid)) = line.trim_end().split_once(": started as pid ") {
            started.push((name.to_owned(), pid.parse::<u32>().expect("a pid")));
        }
    }
    for (name, pid) in &started {
        assert!(has_variable(*pid, &format!("PROCSTORE_TEST_ROLE={name}")), "{name} (pid {pid})");
    }
    signal(&child, libc::SIGINT);
    let mut rest = String::new();
    let output = wait_with_timeout(child, Duration::from_secs(30));
    stdout.read_to_string(&mut rest).expect("read the rest");
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "{:?}\n{rest}\n{}", output.status, text(&output.stderr));
    let mut names: Vec<&str> = started.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["shell", "sleeper"]);
    assert!(rest.contains("interrupted: 2 children stopped and reaped"), "{rest}");
}

#[test]
fn a_bad_config_file_is_an_error_at_its_line_and_field() {
    let path = config_file("bad", "[[child]]\nname = \"empty\"\ncommand = []\n");
    let config = path.to_str().expect("a UTF-8 path");
    let child = supervisor(&["--config", config]).spawn().expect("start");
    let output = wait_with_timeout(child, Duration::from_secs(30));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("procstore-supervisor: {config}:3: child[0].command: must not be empty")),
        "{stderr}"
    );
    // The file replaces the children and policy flags; both at once is a mistake.
    let both = supervisor(&["--config", config, "--children", "2"]).spawn().expect("start");
    let output = wait_with_timeout(both, Duration::from_secs(30));
    let _ = std::fs::remove_file(&path);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot be used with"), "{}", text(&output.stderr));
}

#[test]
fn a_child_stopped_by_ctl_waits_for_a_start_even_where_it_would_not_restart() {
    let dir = runtime_dir();
    let socket = dir.join("procstore-supervisor.sock");
    let args = ["--restart", "never", "--children", "1", "--refresh-ms", "20", "--", "sleep", "30"];
    let run = in_runtime_dir(&args, &dir).spawn().expect("start the binary");
    wait_for("a running child", || ctl(&socket, &["status"]).0 == Some(0));
    assert_eq!(ctl(&socket, &["stop", "sleep-0"]).0, Some(0));
    // Under `--restart never` a stopped child is down for good, which ends
    // the supervisor within a refresh; one stopped by request is not.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ctl(&socket, &["status"]).0, Some(3), "the supervisor is gone");
    let (code, out, err) = ctl(&socket, &["start", "sleep-0"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(ctl(&socket, &["shutdown"]).0, Some(0));
    assert!(wait_with_timeout(run, Duration::from_secs(20)).status.success());
    std::fs::remove_dir(&dir).expect("nothing else is left in the runtime dir");
}
