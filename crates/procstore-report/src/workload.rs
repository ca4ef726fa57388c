//! The supervisor workload section: per mode and reader count, one row per strategy (latency,
//! event lag, rates), p99 by query, a latency chart, and whether the
//! micro-benchmark ranking held.

use crate::doc::{Chart, Document, Style};
use crate::figures::Figures;
use crate::format;
use crate::ranking::{self, Ranked};
use crate::rows::label;
use crate::schema::{
    Percentiles, Query, ReaderLoad, Results, Setting, WorkloadMode, WorkloadRecord, groups, median,
};
use crate::svg::{Bar, BarChart};
use crate::table::Table;
use crate::thresholds::{self, CHURN_SPREAD, PACED_SHARE};
use procstore_catalog::Family;

/// The section's heading.
const TITLE: &str = "Supervisor workload";

/// The modes, in reading order.
const MODES: [WorkloadMode; 4] =
    [WorkloadMode::Processes, WorkloadMode::Simulated, WorkloadMode::Churn, WorkloadMode::Remote];

/// The queries, in column order.
const QUERIES: [Query; 4] = [Query::ByName, Query::ByPid, Query::List, Query::Counts];

/// Adds the supervisor workload section of the run behind `figures` to
/// `doc`; nothing when it has no workload records.
pub(crate) fn section(figures: &Figures<'_>, doc: &mut Document) {
    let workload = &figures.results().workload;
    if workload.is_empty() {
        return;
    }
    doc.heading(2, TITLE);
    doc.text(
        Style::Note,
        "A process supervisor under churn: its process table is one registry, the row's; \
         children exit and are restarted while reader threads query the supervisor. A registry \
         of handles keeps each child's own store in a map, so a transition \
         writes only that store; a registry of values writes the map on every transition. \
         Each row's micro-benchmark figures are in the Registry table above. The row the \
         procstore facade picks by default is marked (default).",
    );
    for mode in MODES.into_iter().filter(|mode| workload.iter().any(|r| r.mode == *mode)) {
        doc.text(Style::Note, format!("{}: {}", capitalized(mode.label()), describe(mode)));
    }
    if workload.iter().any(|r| matches!(r.load, ReaderLoad::Paced { .. })) {
        doc.text(
            Style::Note,
            "Paced readers: each reader is offered the same queries/s in every row and sleeps \
             between bursts, as a status poller does, so rows are compared under the same work \
             and what a row's queries cost is CPU its supervisor does not get.",
        );
    }
    if workload.iter().any(|r| r.load == ReaderLoad::ClosedLoop) {
        doc.text(
            Style::Note,
            "Readers in a closed loop: each reader queries back to back, so each row offers as much \
             load as its own queries and the cores allow, and a reader that blocks (on a lock, on an \
             actor's reply) hands its core to the supervisor. The floor row's readers only read the \
             clock, back to back or paced like the others, while the same supervisor runs: its \
             events/s is what readers that never block leave the writer.",
        );
    }
    for setting in settings(workload) {
        let records: Vec<&WorkloadRecord> = workload.iter().filter(|r| r.setting() == setting).collect();
        setting_part(figures, &setting.label(), &records, doc);
    }
}

/// The settings measured: paced readers before the closed loop, then real
/// processes first, reader counts in the order the run measured them.
pub(crate) fn settings(workload: &[WorkloadRecord]) -> Vec<Setting> {
    let mut settings: Vec<Setting> = Vec::new();
    for record in workload {
        if !settings.contains(&record.setting()) {
            settings.push(record.setting());
        }
    }
    settings.sort_by_key(|s| (s.load == ReaderLoad::ClosedLoop, MODES.iter().position(|m| *m == s.mode)));
    settings
}

/// Where `mode`'s lifecycle events come from.
fn describe(mode: WorkloadMode) -> &'static str {
    match mode {
        WorkloadMode::Processes => {
            "the supervisor spawns OS child processes, reaps them when they exit and restarts them."
        }
        WorkloadMode::Simulated => {
            "a generator thread publishes the same lifecycle transitions at a set rate, faster than \
             any OS could spawn processes."
        }
        WorkloadMode::Churn => {
            "the simulated stream, where one step in ten removes a child and adds it back under a \
             new id instead of publishing a transition, so the registry's map is written as it is \
             read. Events/s counts the transitions; lag is measured for the first children only, \
             so rows may have none."
        }
        WorkloadMode::Remote => {
            "the real children, but each reader is a client thread that asks over the \
             supervisor's control socket (one connection each, kept open) and waits for the JSON \
             answer, the read path of `procstore-supervisor ctl status`; on the other end, one \
             server thread per connection reads the table. Status by name asks for one child, \
             list all for every child; the socket has no pid lookup or counts, so those turns of \
             the mix ask for one child and for all."
        }
    }
}

/// One setting's table, chart, p99 by query, and whether the ranking held.
fn setting_part(figures: &Figures<'_>, setting: &str, records: &[&WorkloadRecord], doc: &mut Document) {
    let stores: Vec<&WorkloadRecord> = records.iter().copied().filter(|r| r.kind != Family::Floor).collect();
    // Compare with the registry's get hit at the workload's reader count
    // when measured there, else at N threads.
    let readers = records.first().map_or(figures.n(), |r| r.readers);
    let measured = stores.iter().any(|r| figures.ns(groups::REGISTRY_GET_HIT, &r.id, readers).is_some());
    let n = if measured { readers } else { figures.n() };
    let ranked: Vec<Ranked<'_>> = stores
        .iter()
        .map(|r| Ranked {
            label: &r.strategy,
            kind: r.kind,
            p50: r.latency.p50_ns,
            p999: r.latency.p999_ns,
            micro: figures.ns(groups::REGISTRY_GET_HIT, &r.id, n),
        })
        .collect();
    doc.table(3, main_table(setting, records, &stores));
    doc.charts([Chart::Bar(chart(setting, records))]);
    doc.table(4, by_query_table(setting, records));
    doc.heading(4, format!("Did the micro-benchmark ranking hold? ({setting})"));
    doc.text(Style::Finding, ranking::paragraph(&ranked, &format!("get hit ({n})")));
}

fn main_table(setting: &str, records: &[&WorkloadRecord], stores: &[&WorkloadRecord]) -> Table {
    let header = [
        "Strategy",
        "Family",
        "Queries/s",
        "p50",
        "p99",
        "p99.9",
        "Max",
        "Event lag p50",
        "Lag p99",
        "Lag max",
        "Events/s",
    ];
    let mut table = Table::new(capitalized(setting), header.map(str::to_owned).to_vec());
    table.left = 2;
    // The setup comes from the store rows; a floor alone is better than nothing.
    let stores = if stores.is_empty() { records } else { stores };
    table.note(setup(stores));
    let mix = mix(stores).map_or_else(String::new, |mix| format!(" (by count: {mix})"));
    table.note(format!(
        "p50 to max: latency of every query, all kinds together{mix}, each timed with a clock \
         read either side, so each figure includes one clock read. Event lag: from a lifecycle \
         event until a reader first saw the version that published it (a version replaced \
         before any reader looked has no sample). Queries/s: all readers together, ⚠ where \
         paced readers answered under {} of the queries they were offered.",
        format::percent(PACED_SHARE)
    ));
    if let Some(note) = churn_note(stores) {
        table.note(note);
    }
    if let Some(note) = round_note(stores) {
        table.note(note);
    }
    if records.iter().any(|r| r.kind == Family::Floor) {
        table.note(
            "Rows labelled 'floor:' time the clock reads alone, no query, beside the same \
             supervisor: the measurement floor, shown for reference and never ranked.",
        );
    }
    for r in records {
        let lag = r.event_lag.as_ref();
        table.row(vec![
            row_label(r),
            r.kind.label().to_owned(),
            thresholds::rate_against_target(Some(r.queries_per_sec()), r.target_queries_per_sec()).0,
            format::duration(Some(r.latency.p50_ns)),
            format::duration(Some(r.latency.p99_ns)),
            format::duration(Some(r.latency.p999_ns)),
            format::duration(Some(r.latency.max_ns)),
            format::duration(lag.map(|l| l.p50_ns)),
            format::duration(lag.map(|l| l.p99_ns)),
            format::duration(lag.map(|l| l.max_ns)),
            events(r),
        ]);
    }
    table
}

/// Events/s achieved, flagged when a generator fell short of its target.
fn events(record: &WorkloadRecord) -> String {
    thresholds::rate_against_target(Some(record.events_per_sec()), record.target_events_per_sec).0
}

/// The mode's setup in one sentence, from the store rows.
fn setup(stores: &[&WorkloadRecord]) -> String {
    let whole = |v: f64| v.to_string();
    let children = span(stores.iter().map(|r| f64::from(r.children)), whole);
    let readers = span(stores.iter().map(|r| f64::from(r.readers)), whole);
    let seconds = span(stores.iter().map(|r| r.seconds), format::sig3);
    let events = span(stores.iter().map(|r| r.events_per_sec()), |v| format::per_sec(Some(v)));
    let mut text = format!(
        "{children} supervised children and {readers} reader threads, {seconds} s per row; \
         lifecycle events published: {events}"
    );
    let targets: Vec<&WorkloadRecord> =
        stores.iter().copied().filter(|r| r.target_events_per_sec.is_some()).collect();
    if !targets.is_empty() {
        let target =
            span(targets.iter().filter_map(|r| r.target_events_per_sec), |v| format::per_sec(Some(v)));
        let share = span(
            targets.iter().filter_map(|r| Some(r.events_per_sec() / r.target_events_per_sec?)),
            format::percent,
        );
        text += &format!(
            " against a target of {target} ({share} of it; ⚠ marks a row under {})",
            format::percent(PACED_SHARE)
        );
    }
    text.push('.');
    text
}

/// When rows sustained very different churn, says so: a writer starved of
/// its lock or of CPU leaves its readers less to contend with, so a row's
/// latency must be read beside its events/s.
fn churn_note(stores: &[&WorkloadRecord]) -> Option<String> {
    let by_rate =
        |a: &&&WorkloadRecord, b: &&&WorkloadRecord| a.events_per_sec().total_cmp(&b.events_per_sec());
    let least = stores.iter().filter(|r| r.kind != Family::Floor).min_by(by_rate)?;
    let most = stores.iter().filter(|r| r.kind != Family::Floor).max_by(by_rate)?;
    (most.events_per_sec() > CHURN_SPREAD * least.events_per_sec()).then(|| {
        format!(
            "The rows did not sustain the same churn: the writer published {} under {} but {} under {}. \
             A writer held off by its readers (for its lock, or for a core when readers outnumber \
             cores) leaves them less to contend with, so read each row's latency beside its events/s.",
            format::per_sec(Some(least.events_per_sec())),
            least.strategy,
            format::per_sec(Some(most.events_per_sec())),
            most.strategy,
        )
    })
}

/// How far the same rows moved between their own rounds, in one
/// percentile: over rows measured in at least two rounds (floors aside).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RoundSpread<'r> {
    /// The median row's highest round over its lowest.
    pub(crate) median: f64,
    /// The largest of any row.
    pub(crate) largest: f64,
    /// The row that moved the most.
    pub(crate) row: &'r WorkloadRecord,
}

/// The [`RoundSpread`] of `rows` in `of`; `None` when no row has two rounds.
pub(crate) fn round_spread<'r>(
    rows: impl IntoIterator<Item = &'r WorkloadRecord>,
    of: fn(&Percentiles) -> f64,
) -> Option<RoundSpread<'r>> {
    let spreads: Vec<(f64, &WorkloadRecord)> = rows
        .into_iter()
        .filter(|r| r.kind != Family::Floor)
        .filter_map(|r| Some((r.round_spread(of)?, r)))
        .filter(|(spread, _)| spread.is_finite())
        .collect();
    let &(largest, row) = spreads.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let median = median(spreads.iter().map(|&(spread, _)| spread).collect())?;
    Some(RoundSpread { median, largest, row })
}

/// How far each row moved between its own rounds: the noise a difference
/// between rows must clear.
fn round_note(stores: &[&WorkloadRecord]) -> Option<String> {
    let tail = round_spread(stores.iter().copied(), |p| p.p999_ns)?;
    let rounded: Vec<&&WorkloadRecord> = stores.iter().filter(|r| r.rounds.len() >= 2).collect();
    let rounds = span(rounded.iter().map(|r| r.rounds.len() as f64), |v| v.to_string());
    let p50 = round_spread(stores.iter().copied(), |p| p.p50_ns).map_or_else(String::new, |p50| {
        format!(" (p50: {} at the median row)", format::ratio(Some(p50.median)))
    });
    Some(format!(
        "Round to round: {} of {} rows ran {rounds} rounds each, interleaved with the other rows. \
         Between its own rounds the median row's p99.9 moved by {}{p50}; the most, {}, was under {}. \
         Two rows closer than the median row's spread may differ by noise alone.",
        rounded.len(),
        stores.len(),
        format::ratio(Some(tail.median)),
        format::ratio(Some(tail.largest)),
        tail.row.strategy,
    ))
}

/// `values` as one figure when they agree, else as `min–max`.
fn span(values: impl Iterator<Item = f64>, show: impl Fn(f64) -> String) -> String {
    let (min, max) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), v| (min.min(v), max.max(v)));
    if min > max {
        format::GAP.to_owned()
    } else if min == max {
        show(min)
    } else {
        format!("{}–{}", show(min), show(max))
    }
}

/// The query mix by count over `stores`: `80% status by name, ...`.
fn mix(stores: &[&WorkloadRecord]) -> Option<String> {
    // Summed as f64: counts from a file may add up past u64.
    let counts = QUERIES.map(|query| {
        let count: f64 = stores
            .iter()
            .flat_map(|r| &r.by_query)
            .filter(|q| q.query == query)
            .map(|q| q.latency.count as f64)
            .sum();
        (query, count)
    });
    let total: f64 = counts.iter().map(|(_, count)| count).sum();
    let shares: Vec<String> = counts
        .iter()
        .filter(|(_, count)| *count > 0.0)
        .map(|(query, count)| format!("{} {}", format::percent(count / total), query.label()))
        .collect();
    (!shares.is_empty()).then(|| shares.join(", "))
}

fn by_query_table(setting: &str, records: &[&WorkloadRecord]) -> Table {
    let mut header = vec!["Strategy".to_owned()];
    header.extend(QUERIES.map(|q| q.label().to_owned()));
    let mut table = Table::new(format!("p99 by query ({setting})"), header);
    table.note("99th percentile latency of each kind of query, one clock read included.");
    for r in records {
        let mut cells = vec![row_label(r)];
        cells.extend(QUERIES.map(|query| {
            format::duration(r.by_query.iter().find(|q| q.query == query).map(|q| q.latency.p99_ns))
        }));
        table.row(cells);
    }
    table
}

fn chart(setting: &str, records: &[&WorkloadRecord]) -> BarChart {
    BarChart {
        title: format!("Supervisor workload ({setting}): query latency"),
        unit: "ns per query, all queries".to_owned(),
        series: ["p50", "p99", "p99.9"].map(str::to_owned).to_vec(),
        log: true,
        bars: records
            .iter()
            .map(|r| Bar {
                label: row_label(r),
                kind: r.kind,
                values: [r.latency.p50_ns, r.latency.p99_ns, r.latency.p999_ns]
                    .map(|ns| (Some(ns), format::duration(Some(ns))))
                    .to_vec(),
            })
            .collect(),
    }
}

/// The row's label, `floor: ` before a floor and ` (default)` after the
/// facade's default.
pub(crate) fn row_label(record: &WorkloadRecord) -> String {
    let label = label(&record.strategy, record.kind);
    if record.default { format!("{label} (default)") } else { label }
}

/// `text` with its first letter upper-case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// One line naming the workload's fastest strategy by p50 in its first
/// setting (real processes when measured), for the cross-architecture summary.
pub(crate) fn fastest_line(results: &Results) -> Option<String> {
    let setting = *settings(&results.workload).first()?;
    let best = results
        .workload
        .iter()
        .filter(|r| r.setting() == setting && r.kind != Family::Floor)
        .min_by(|a, b| a.latency.p50_ns.total_cmp(&b.latency.p50_ns))?;
    Some(format!(
        "{TITLE} ({}): fastest by p50 is {} ({} p50, {} p99.9).",
        setting.label(),
        best.strategy,
        format::duration(Some(best.latency.p50_ns)),
        format::duration(Some(best.latency.p999_ns))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record whose rounds' p99.9 are `p999s` (p50 100 ns throughout).
    fn with_rounds(kind: Family, p999s: &[f64]) -> WorkloadRecord {
        let round =
            |p999_ns: f64| Percentiles { count: 1, p50_ns: 100.0, p99_ns: 100.0, p999_ns, max_ns: p999_ns };
        WorkloadRecord {
            mode: WorkloadMode::Simulated,
            id: "row".to_owned(),
            strategy: "row".to_owned(),
            kind,
            default: false,
            children: 1,
            readers: 1,
            load: ReaderLoad::ClosedLoop,
            seconds: 1.0,
            queries: p999s.len() as u64,
            events: 1,
            target_events_per_sec: None,
            latency: round(p999s.iter().copied().fold(0.0, f64::max)),
            by_query: Vec::new(),
            event_lag: None,
            rounds: p999s.iter().copied().map(round).collect(),
        }
    }

    #[test]
    fn the_round_spread_is_the_median_rows_and_the_largest() {
        let spread = |rows: &[WorkloadRecord]| {
            let s = round_spread(rows, |p| p.p999_ns).expect("rounds");
            (s.median, s.largest)
        };
        let rows = [[100.0, 110.0], [100.0, 120.0], [200.0, 100.0], [100.0, 300.0]]
            .map(|p999s| with_rounds(Family::Lock, &p999s));
        // Spreads 1.1, 1.2, 2.0, 3.0: an even count takes the middle two's mean.
        let (median, largest) = spread(&rows);
        assert!((median - 1.6).abs() < 1e-9 && largest == 3.0, "{median} {largest}");
        // Odd: the middle one. A floor, a single round and a zero round are left out.
        let (median, largest) = spread(&[
            rows[0].clone(),
            rows[1].clone(),
            rows[3].clone(),
            with_rounds(Family::Floor, &[1.0, 50.0]),
            with_rounds(Family::Lock, &[100.0]),
            with_rounds(Family::Lock, &[0.0, 100.0]),
        ]);
        assert!((median - 1.2).abs() < 1e-9 && largest == 3.0, "{median} {largest}");
        assert!(round_spread(&[with_rounds(Family::Lock, &[100.0])], |p| p.p999_ns).is_none());
    }
}
