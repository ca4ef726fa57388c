//! `procstore-supervisor`: supervise real child processes on any procstore
//! strategy and watch them in a live, refreshing table.
//!
//! ```text
//! procstore-supervisor --store atomic --children 20 -- sleep 1
//! ```
//!
//! Ctrl-C (or SIGTERM, SIGHUP) stops every child (SIGTERM, then SIGKILL
//! after the grace period), reaps them all and exits; a second one exits at
//! once, and the children die with the supervisor.

mod config_file;
mod containment;
mod ctl;
mod output;
mod view;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use procstore_catalog::{ALIASES, Entry, REGISTRIES, RegistryPicker, with_registry};
use procstore_core::{ProcessState, Registry, Status};
use procstore_supervisor::control::{ControlSocket, Limits, default_socket_path};
use procstore_supervisor::{ChildOutput, ChildSpec, Config, Policy, Restart, Supervisor};

use crate::containment::{Containment, processes};
use crate::output::{Output, QUEUE_CAPACITY};
use crate::view::View;

/// Supervise child processes, recording their lifecycle in a procstore
/// registry, and show them in a live table.
#[derive(Clone, Debug, Parser)]
#[command(
    version,
    after_help = "Example: procstore-supervisor --store atomic --children 20 -- sleep 1\n\
                  Ask a running one: procstore-supervisor ctl status (see ctl --help)"
)]
struct Args {
    /// The registry of the process table, by catalogue id (`atomic`, `mutex` and `channel` are what the procstore facade's features pick).
    #[arg(long, default_value = "atomic", value_parser = clap::builder::PossibleValuesParser::new(store_names()))]
    store: String,
    /// Take the children, their policies and the stop grace from this TOML file instead of the flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "children", "restart", "backoff_ms", "max_backoff_ms", "stable_after_ms", "give_up_after",
        "stop_grace_ms", "command",
    ])]
    config: Option<std::path::PathBuf>,
    /// How many copies of the command to supervise.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    children: u32,
    /// Threads querying the children's status in a closed loop (0: none).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=1024))]
    readers: u32,
    /// Which exits restart: always, on-failure or never.
    #[arg(long, default_value_t = Restart::Always)]
    restart: Restart,
    /// Delay before restarting after a quick exit, in ms; doubles per quick exit in a row.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    backoff_ms: u64,
    /// The longest restart delay, in ms.
    #[arg(long, default_value_t = 5_000)]
    max_backoff_ms: u64,
    /// A child that ran this long (ms) exited on its own terms, not in a crash loop.
    #[arg(long, default_value_t = 1_000)]
    stable_after_ms: u64,
    /// Quick exits in a row before a child is marked fatal (0: never give up).
    #[arg(long, default_value_t = 5)]
    give_up_after: u32,
    /// How long a child may take to exit after SIGTERM before SIGKILL, in ms.
    #[arg(long, default_value_t = 2_000)]
    stop_grace_ms: u64,
    /// How often the view refreshes, in ms.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    refresh_ms: u64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Let children write to this terminal (by default their output is discarded so the view stays readable).
    #[arg(long)]
    child_output: bool,
    /// The control socket `procstore-supervisor ctl` talks to (default: $XDG_RUNTIME_DIR/procstore-supervisor.sock).
    #[arg(long)]
    socket: Option<std::path::PathBuf>,
    /// The command each child runs.
    #[arg(last = true, default_values = ["sleep", "1"])]
    command: Vec<OsString>,
}

impl Args {
    fn config(&self) -> Result<Config, String> {
        if let Some(secs) = self.duration
            && !(secs > 0.0 && secs <= MAX_DURATION_SECS)
        {
            return Err(format!("--duration must be between 0 and {MAX_DURATION_SECS} seconds, got {secs}"));
        }
        let config = match &self.config {
            Some(path) => config_file::load(path).map_err(|error| error.to_string())?,
            None => self.flags_config()?,
        };
        Ok(Config {
            output: if self.child_output { ChildOutput::Inherit } else { ChildOutput::Discard },
            ..config
        })
    }

    /// The config the flags describe: `--children` copies of the command.
    fn flags_config(&self) -> Result<Config, String> {
        let (program, args) = self.command.split_first().ok_or("no command to run")?;
        if !is_runnable(program) {
            return Err(format!("command not found: {}", program.to_string_lossy()));
        }
        let policy = Policy {
            restart: self.restart,
            initial_backoff: Duration::from_millis(self.backoff_ms),
            max_backoff: Duration::from_millis(self.max_backoff_ms),
            stable_after: Duration::from_millis(self.stable_after_ms),
            give_up_after: (self.give_up_after > 0).then_some(self.give_up_after),
        };
        policy.validate()?;
        let name =
            Path::new(program).file_name().unwrap_or(program.as_os_str()).to_string_lossy().into_owned();
        let children =
            (0..self.children).map(|i| ChildSpec::new(format!("{name}-{i}"), program, args)).collect();
        Ok(Config { policy, stop_grace: Duration::from_millis(self.stop_grace_ms), ..Config::new(children) })
    }
}

/// The longest `--duration`: a year, far below where an `Instant` overflows.
const MAX_DURATION_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// Whether `program` names an executable file, directly or on `PATH`, so a
/// typo fails at once instead of as a crash loop.
fn is_runnable(program: &OsString) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |path: &Path| path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    let path = Path::new(program);
    if path.components().count() > 1 {
        return executable(path);
    }
    std::env::var_os("PATH")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|dir| executable(&dir.join(path))))
}

fn main() -> ExitCode {
    let mut words = std::env::args_os().skip(1).peekable();
    if words.peek().is_some_and(|word| word == "ctl") {
        return ctl::main(words.skip(1));
    }
    let args = Args::parse();
    let mut config = match args.config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("procstore-supervisor: {error}");
            return ExitCode::from(2);
        }
    };
    // Said at start, so nobody expects more than the containment delivers.
    let (containment, notices) = Containment::set_up();
    for notice in notices {
        eprintln!("procstore-supervisor: {notice}");
    }
    config.containment = containment.subreaper;
    let live = Live { args: args.clone(), config, containment };
    with_registry(&args.store, live).expect("clap checked the name")
}

/// Every registry's id, then the facade's aliases: the `--store` choices.
fn store_names() -> impl Iterator<Item = &'static str> {
    REGISTRIES.iter().map(|entry| entry.id).chain(ALIASES.iter().map(|alias| alias.name))
}

/// Runs the supervisor on the chosen registry.
struct Live {
    args: Args,
    config: Config,
    /// Dropped on every early return: its cgroup is emptied and removed.
    containment: Containment,
}

impl RegistryPicker for Live {
    type Output = ExitCode;

    fn visit<R: Registry>(mut self, entry: &'static Entry) -> ExitCode {
        let interrupted = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP]
        {
            // The first signal asks for an orderly stop; a second one, while
            // stopping, exits at once (the children die with us: PDEATHSIG).
            let registered =
                signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&interrupted))
                    .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&interrupted)));
            if let Err(error) = registered {
                eprintln!("procstore-supervisor: cannot handle signal {signal}: {error}");
                return ExitCode::FAILURE;
            }
        }
        // Past this point nothing waits on stdout or stderr: a reader that
        // stops reading must not stop the supervising.
        let outputs = Output::spawn("stdout", std::io::stdout(), QUEUE_CAPACITY)
            .and_then(|out| Ok((out, Output::spawn("stderr", std::io::stderr(), QUEUE_CAPACITY)?)));
        let (out, diagnostics) = match outputs {
            Ok(outputs) => outputs,
            Err(error) => {
                eprintln!("procstore-supervisor: cannot start the output threads: {error}");
                return ExitCode::FAILURE;
            }
        };
        let (restart, stop_grace) = (self.config.policy.restart, self.config.stop_grace);
        // Each child's own restart rule, where its policy is its own.
        let own_restart: std::collections::HashMap<String, Restart> = (self.config.children.iter())
            .filter_map(|child| Some((child.name.clone(), child.policy?.restart)))
            .collect();
        // The socket first: a second supervisor on its path fails before
        // it starts a child.
        let socket = match self.args.socket.clone().map_or_else(default_socket_path, Ok) {
            Ok(path) => ControlSocket::bind(&path).map_err(|error| error.to_string()),
            Err(error) => Err(format!("no control socket path: {error}")),
        };
        let socket = match socket {
            Ok(socket) => socket,
            Err(message) => return fail(diagnostics, message),
        };
        let (supervisor, events) = match Supervisor::<R>::start(self.config) {
            Ok(started) => started,
            Err(error) => return fail(diagnostics, with_sources(&error)),
        };
        let shutdown_requested = Arc::new(AtomicBool::new(false));
        let on_shutdown = {
            let requested = Arc::clone(&shutdown_requested);
            move || requested.store(true, Ordering::Relaxed)
        };
        let control = supervisor.control();
        let server = match socket.serve(control.clone(), on_shutdown, Limits::default()) {
            Ok(server) => server,
            Err(error) => return fail(diagnostics, error.to_string()),
        };
        diagnostics.log(format!("procstore-supervisor: control socket {}", server.path().display()));
        let queries = Queries::start(&supervisor, self.args.readers);
        let mut view = View::new(&out, entry, supervisor.reader(), self.args.readers);
        let started = Instant::now();
        let deadline = self.args.duration.map(|secs| started + Duration::from_secs_f64(secs));
        let refresh = Duration::from_millis(self.args.refresh_ms);
        let why = loop {
            view.absorb(events.try_iter());
            // Held before or after the read: see `Control::held`.
            let held_before = control.held();
            let states = view.draw(started.elapsed(), queries.total());
            let held_after = control.held();
            if interrupted.load(Ordering::Relaxed) {
                break "interrupted";
            }
            if shutdown_requested.load(Ordering::Relaxed) {
                break "shutdown requested";
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                break "duration reached";
            }
            // An empty table waits for `ctl add`.
            let restart_of = |name: &str| own_restart.get(name).copied().unwrap_or(restart);
            // A child stopped with `ctl stop` waits for `ctl start`.
            let held = |s: &ProcessState| held_before.contains(&s.id()) || held_after.contains(&s.id());
            let down_for_good = |s: &ProcessState| !held(s) && settled(s.status(), restart_of(s.name()));
            if !states.is_empty() && states.iter().all(down_for_good) {
                break "every child is down for good";
            }
            let left = deadline.map_or(refresh, |at| at.saturating_duration_since(Instant::now()));
            sleep_unless(&interrupted, refresh.min(left));
        };
        // Only after a first signal does the next one exit at once.
        let hint = if interrupted.load(Ordering::Relaxed) { " (Ctrl-C again to exit at once)" } else { "" };
        diagnostics.log(format!("procstore-supervisor: {why}; stopping every child{hint}"));
        queries.stop();
        // Requests under way finish first; no new one arrives while the children stop.
        drop(server);
        supervisor.shutdown();
        if let Some(cgroup) = &mut self.containment.cgroup {
            // Only what escaped both its group and the subreaper is left.
            let path = cgroup.path().to_owned();
            match cgroup.stop_the_rest(stop_grace) {
                Ok(0) => {}
                Ok(left) => diagnostics.log(format!(
                    "procstore-supervisor: stopped {} left in cgroup {}",
                    processes(left),
                    path.display()
                )),
                Err(error) => {
                    diagnostics.log(format!("procstore-supervisor: cannot remove the cgroup: {error}"))
                }
            }
        }
        view.absorb(events.try_iter());
        let states = view.draw(started.elapsed(), 0);
        view.summary(why, &states);
        let unwritten = out.finish(Instant::now() + FLUSH_PATIENCE);
        if unwritten > 0 {
            diagnostics
                .log(format!("procstore-supervisor: stdout is blocked; {unwritten} lines not written"));
        }
        diagnostics.finish(Instant::now() + FLUSH_PATIENCE);
        let failed = states.iter().any(|s| matches!(s.status(), Status::Fatal | Status::Crashed));
        if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    }
}

/// How long exit waits for each output's writer to catch up: a slow reader
/// still gets the summary, and one that never reads delays the exit only
/// this long.
const FLUSH_PATIENCE: Duration = Duration::from_millis(500);

/// Says why on stderr and exits with a failure.
fn fail(diagnostics: Output, message: String) -> ExitCode {
    diagnostics.log(format!("procstore-supervisor: {message}"));
    diagnostics.finish(Instant::now() + FLUSH_PATIENCE);
    ExitCode::FAILURE
}

/// `error: its source: ...`, the whole chain on one line.
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// Whether a child in `status` will stay there without an operator.
fn settled(status: Status, restart: Restart) -> bool {
    match status {
        Status::Fatal => true,
        Status::Stopped => restart != Restart::Always,
        Status::Crashed => restart == Restart::Never,
        _ => false,
    }
}

/// Sleeps for `total`, waking early if `flag` is raised.
fn sleep_unless(flag: &AtomicBool, total: Duration) {
    let until = Instant::now() + total;
    while !flag.load(Ordering::Relaxed) && Instant::now() < until {
        thread::sleep(Duration::from_millis(20).min(until.saturating_duration_since(Instant::now())));
    }
}

/// The reader threads: each asks, in turn, for a child's status by name, a
/// pid lookup, the full list and the counts by status.
struct Queries {
    stop: Arc<AtomicBool>,
    counts: Vec<Arc<AtomicU64>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Queries {
    fn start<R: Registry>(supervisor: &Supervisor<R>, readers: u32) -> Queries {
        let stop = Arc::new(AtomicBool::new(false));
        let mut counts = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..readers {
            let (stop, count, mut reader) =
                (Arc::clone(&stop), Arc::new(AtomicU64::new(0)), supervisor.reader());
            counts.push(Arc::clone(&count));
            threads.push(thread::spawn(move || {
                let names: Vec<_> = reader
                    .list()
                    .expect("registries answer while supervised")
                    .iter()
                    .map(|s| s.name_arc().clone())
                    .collect();
                let mut done = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let name = &names[done as usize % names.len()];
                    let pid = reader.by_name(name, |s| s.pid()).ok().flatten().flatten();
                    if let Some(pid) = pid {
                        let _ = std::hint::black_box(reader.by_pid(pid));
                        done += 1;
                    }
                    let _ = std::hint::black_box(reader.counts());
                    done += 2;
                    count.store(done, Ordering::Relaxed);
                }
            }));
        }
        Queries { stop, counts, threads }
    }

    fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_catalogue_registry_and_facade_alias_is_a_store_choice() {
        let command = Args::command();
        let store = command.get_arguments().find(|arg| arg.get_id() == "store").expect("--store");
        let choices: Vec<String> =
            store.get_possible_values().iter().map(|v| v.get_name().to_owned()).collect();
        let expected: Vec<&str> =
            REGISTRIES.iter().map(|entry| entry.id).chain(ALIASES.iter().map(|alias| alias.name)).collect();
        assert_eq!(choices, expected);
    }
}
