//! `procstore-supervisor ctl`: ask a running supervisor over its control
//! socket.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use procstore_supervisor::control::{
    ChildStatus, ControlClient, ErrorKind, Request, Response, default_socket_path,
};

/// Ask a running procstore-supervisor over its control socket.
#[derive(Debug, Parser)]
#[command(
    name = "procstore-supervisor ctl",
    version,
    after_help = "Exit status: 0 done (status: every child named, or every child, is running); \
                  3 a child is not running (after status, start, restart or add: a spawn that \
                  failed shows here); 4 no child has that name; 1 the supervisor is not there \
                  or refused; 2 bad usage."
)]
struct CtlArgs {
    /// The supervisor's control socket (default: $XDG_RUNTIME_DIR/procstore-supervisor.sock).
    #[arg(long)]
    socket: Option<PathBuf>,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Show the named children (every child if none is named).
    Status {
        /// Children by name.
        names: Vec<String>,
        /// One JSON object, as the socket answers it, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Start a child that is down.
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
    /// Add a child: `ctl add NAME -- CMD ARGS...`.
    Add {
        /// Its unique name.
        name: String,
        /// The command it runs.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Stop a child and take it out of the table.
    Remove {
        /// The child.
        name: String,
    },
    /// Stop every child and the supervisor.
    Shutdown,
}

/// The ctl exit statuses (LSB init-script style for `status`).
const NOT_RUNNING: u8 = 3;
const UNKNOWN_CHILD: u8 = 4;

/// Runs `ctl` with `args` (the words after `ctl`).
pub(crate) fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args = CtlArgs::parse_from(std::iter::once(OsString::from("procstore-supervisor ctl")).chain(args));
    let path = match args.socket.map_or_else(default_socket_path, Ok) {
        Ok(path) => path,
        Err(e) => return fail(1, &format!("no control socket path: {e}")),
    };
    let (request, json) = match args.command {
        CtlCommand::Status { names, json } => (Request::Status { names }, json),
        CtlCommand::Start { name } => (Request::Start { name }, false),
        CtlCommand::Stop { name } => (Request::Stop { name }, false),
        CtlCommand::Restart { name } => (Request::Restart { name }, false),
        CtlCommand::Add { name, command } => (Request::Add { name, argv: command }, false),
        CtlCommand::Remove { name } => (Request::Remove { name }, false),
        CtlCommand::Shutdown => (Request::Shutdown, false),
    };
    let response = match ControlClient::connect(&path).and_then(|mut client| client.request(&request)) {
        Ok(response) => response,
        Err(e) => return fail(1, &e.to_string()),
    };
    if json {
        match serde_json::to_string_pretty(&response) {
            Ok(text) => println!("{text}"),
            Err(e) => return fail(1, &format!("cannot print the answer: {e}")),
        }
    } else if let Some(error) = &response.error {
        eprintln!("procstore-supervisor ctl: {}", error.message);
    } else if !response.children.is_empty() {
        print!("{}", table(&response.children));
    }
    ExitCode::from(status_code(&request, &response))
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("procstore-supervisor ctl: {message}");
    ExitCode::from(code)
}

/// The exit status for `response` to `request`.
fn status_code(request: &Request, response: &Response) -> u8 {
    match &response.error {
        Some(error) if error.kind == ErrorKind::UnknownChild => UNKNOWN_CHILD,
        Some(_) => 1,
        // Whatever asked for a running child and got one that is not.
        None if matches!(
            request,
            Request::Status { .. } | Request::Start { .. } | Request::Restart { .. } | Request::Add { .. }
        ) && !response.children.iter().all(ChildStatus::is_running) =>
        {
            NOT_RUNNING
        }
        None => 0,
    }
}

/// The children as a table whose columns are named as the JSON fields are;
/// `-` for a field with no value.
fn table(children: &[ChildStatus]) -> String {
    let header =
        ["name", "state", "pid", "since", "restarts", "exit_code", "exit_signal", "backoff_until", "version"];
    let field = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    let rows: Vec<[String; 9]> = children
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.state.clone(),
                field(c.pid.map(|v| v.to_string())),
                field(c.since.map(|v| v.to_string())),
                c.restarts.to_string(),
                field(c.exit_code.map(|v| v.to_string())),
                field(c.exit_signal.map(|v| v.to_string())),
                field(c.backoff_until.map(|v| v.to_string())),
                c.version.to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|row| row[i].len()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, &w)| format!("{cell:<w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut text = line(&header);
    for row in &rows {
        text += &line(&row.each_ref().map(String::as_str));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(name: &str, state: &str) -> ChildStatus {
        ChildStatus {
            name: name.to_owned(),
            state: state.to_owned(),
            pid: (state == "running").then_some(4242),
            since: Some(1_764_000_000_000),
            restarts: 1,
            exit_code: None,
            exit_signal: (state == "crashed").then_some(9),
            backoff_until: None,
            version: 3,
        }
    }

    #[test]
    fn the_table_names_its_columns_as_the_json_names_its_fields() {
        let text = table(&[child("web", "running"), child("worker-long-name", "crashed")]);
        let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
        let json = serde_json::to_string(&child("web", "running")).unwrap();
        let at: Vec<Option<usize>> = header.iter().map(|name| json.find(&format!("\"{name}\":"))).collect();
        assert!(at.is_sorted() && at.iter().all(Option::is_some), "{header:?} in {json}");
        assert_eq!(json.matches("\":").count(), header.len(), "{json}");
        let crashed = "worker-long-name  crashed  -     1764000000000  1         -          9            -              3\n";
        assert!(text.ends_with(crashed), "{text}");
    }

    #[test]
    fn exits_3_unless_every_child_asked_for_runs_and_4_for_an_unknown_name() {
        let status = Request::Status { names: Vec::new() };
        let ok = |children| Response { ok: true, children, error: None };
        assert_eq!(status_code(&status, &ok(vec![child("a", "running")])), 0);
        assert_eq!(
            status_code(&status, &ok(vec![child("a", "running"), child("b", "backoff")])),
            NOT_RUNNING
        );
        let stop = Request::Stop { name: "a".to_owned() };
        assert_eq!(status_code(&stop, &ok(vec![child("a", "stopped")])), 0);
        let start = Request::Start { name: "a".to_owned() };
        assert_eq!(status_code(&start, &ok(vec![child("a", "crashed")])), NOT_RUNNING, "a failed spawn");
        let unknown = Response {
            ok: false,
            children: Vec::new(),
            error: Some(procstore_supervisor::control::ErrorReply {
                kind: ErrorKind::UnknownChild,
                message: "no child is named `x`".to_owned(),
            }),
        };
        assert_eq!(status_code(&status, &unknown), UNKNOWN_CHILD);
    }
}
