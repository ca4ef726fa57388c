//! The `procstore-supervisor` binary: its live view's log, Ctrl-C, and bad input.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary, run through `PROCSTORE_TEST_RUNNER` when set (qemu-user for
/// the aarch64 build, whose binaries this machine cannot exec directly).
fn supervisor(args: &[&str]) -> Command {
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
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
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
