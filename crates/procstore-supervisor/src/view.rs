//! The live view: a refreshing table on a terminal, an event log otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

use procstore_catalog::Entry;
use procstore_core::{ProcessId, ProcessState, Registry};
use procstore_supervisor::{Event, StatusCounts, TableReader, format_duration};

use crate::output::Output;

pub(crate) struct View<'a, R: Registry> {
    /// Stdout, through a writer that may fall behind.
    out: &'a Output,
    entry: &'static Entry,
    reader: TableReader<R>,
    readers: u32,
    /// A terminal gets a redrawn table; a pipe or file gets one line per event.
    terminal: bool,
    last_event: HashMap<ProcessId, String>,
    /// When the previous frame was drawn and the query total then, for a current rate.
    previous: (Duration, u64),
}

impl<'a, R: Registry> View<'a, R> {
    pub(crate) fn new(out: &'a Output, entry: &'static Entry, reader: TableReader<R>, readers: u32) -> Self {
        View {
            out,
            entry,
            reader,
            readers,
            terminal: std::io::stdout().is_terminal(),
            last_event: HashMap::new(),
            previous: (Duration::ZERO, 0),
        }
    }

    /// Takes in what happened since the last call.
    pub(crate) fn absorb(&mut self, events: impl Iterator<Item = Event>) {
        for event in events {
            if !self.terminal {
                self.out.log(event.to_string());
            }
            self.last_event.insert(event.child, event.kind.to_string());
        }
    }

    /// Shows the current state and returns it.
    pub(crate) fn draw(&mut self, elapsed: Duration, queries: u64) -> Vec<ProcessState> {
        let states = self.reader.list().unwrap_or_default();
        let progress = self.progress(&states, elapsed, queries);
        self.previous = (elapsed, queries);
        if self.terminal {
            // Home the cursor and clear the screen, then redraw.
            self.out.refresh(format!("\x1b[H\x1b[2J{}\n{progress}", self.table(&states)));
        } else {
            self.out.refresh(progress);
        }
        states
    }

    /// The final table and a line saying how it ended. A reader that has
    /// gone (a closed pipe) loses them; the children are already stopped.
    pub(crate) fn summary(&self, why: &str, states: &[ProcessState]) {
        if !self.terminal {
            self.out.log(self.table(states));
        }
        let restarts: u64 = states.iter().map(|s| u64::from(s.restarts())).sum();
        self.out.log(format!(
            "{why}: {} children stopped and reaped ({}); {restarts} restarts in all",
            states.len(),
            StatusCounts::of(states)
        ));
    }

    fn progress(&self, states: &[ProcessState], elapsed: Duration, queries: u64) -> String {
        let restarts: u64 = states.iter().map(|s| u64::from(s.restarts())).sum();
        let events = self.reader.table().events();
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut line = format!(
            "{} | {} | {} children: {} | {restarts} restarts | {events} events ({:.0}/s)",
            self.entry.label,
            format_duration(elapsed),
            states.len(),
            StatusCounts::of(states),
            events as f64 / secs,
        );
        let (then, before) = self.previous;
        let window = (elapsed - then).as_secs_f64();
        if self.readers > 0 && queries > before && window > 0.05 {
            let rate = (queries - before) as f64 / window;
            line += &format!(" | {} readers: {:.2}M queries/s", self.readers, rate / 1e6);
        }
        line
    }

    fn table(&self, states: &[ProcessState]) -> String {
        let now = SystemTime::now();
        let mut rows =
            vec![["NAME", "STATUS", "PID", "RESTARTS", "EXIT", "UP", "LAST EVENT"].map(String::from)];
        for state in states {
            let up = state
                .started_at()
                .filter(|_| state.pid().is_some())
                .and_then(|at| now.duration_since(at).ok())
                .map_or("-".to_owned(), format_duration);
            rows.push([
                state.name().to_owned(),
                state.status().to_string(),
                state.pid().map_or("-".to_owned(), |p| p.to_string()),
                state.restarts().to_string(),
                state.exit_code().map_or("-".to_owned(), |c| c.to_string()),
                up,
                self.last_event.get(&state.id()).cloned().unwrap_or_default(),
            ]);
        }
        let widths: Vec<usize> =
            (0..7).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
        let mut text = String::new();
        for row in rows {
            for (cell, width) in row.iter().zip(&widths) {
                text += &format!("{cell:<width$}  ");
            }
            text.truncate(text.trim_end().len());
            text.push('\n');
        }
        text
    }
}
