//! One architecture's report as a [`Document`]: every section computed once
//! from its results, in reading order.

use crate::claims::{Claim, claims};
use crate::doc::{Block, Chart, Document, Inline, Style};
use crate::figures::{Figures, REGISTRY_GROUPS, floors_last};
use crate::format::{self, GAP};
use crate::go_record::{GO_TABLE, GO_THREADS};
use crate::instructions::{CallgrindCounts, Instructions};
use crate::rows::{BASELINE_ID, Column, MainRow, main_rows, ratio};
use crate::schema::{Results, groups};
use crate::svg::{Bar, BarChart, LineChart, Series};
use crate::table::Table;
use crate::thresholds::{self, EMULATED, FLOOR_TARGET, PACED_SHARE, REGISTRY_FLOOR_TARGET, STARVED_SHARE};
use crate::{disassembly, reclamation, recommend, workload};
use procstore_catalog::Family;

/// Criterion's own report, relative to `reports/<slug>/`.
const CRITERION_REPORT: &str = "../../target/criterion/report/index.html";

/// One architecture's report, every section in reading order; with
/// `instructions`, what each read compiles to as well, and what `counts`
/// (every architecture's callgrind counts) say each path executes.
pub(crate) fn document(
    results: &Results,
    instructions: Option<&Instructions>,
    counts: &[CallgrindCounts],
) -> Document {
    let figures = Figures::new(results);
    let rows = main_rows(&figures);
    let machine = &results.machine;
    let emulated = thresholds::emulation(machine);
    let mut doc = Document::new(
        format!("procstore benchmark report: {}", machine.slug()),
        emulated.is_some().then_some(EMULATED),
    );
    if let Some(detail) = emulated {
        doc.push(Block::Banner { title: EMULATED, detail });
    }
    doc.push(Block::Facts(machine_info(results)));
    let link = |text: &str, href: &str| Inline::Link { text: text.to_owned(), href: href.to_owned() };
    doc.push(Block::Paragraph(
        Style::Plain,
        vec![
            Inline::Text("Also as ".to_owned()),
            link("REPORT.md", "REPORT.md"),
            Inline::Text(" (tables) and ".to_owned()),
            link("index.html", "index.html"),
            Inline::Text(
                " (tables and charts). Criterion's own report (per-benchmark distributions): ".to_owned(),
            ),
            link("target/criterion/report/index.html", CRITERION_REPORT),
            Inline::Text(".".to_owned()),
        ],
    ));

    doc.table(2, main_table(&figures, &rows));
    doc.charts(main_charts(&figures, &rows).into_iter().map(Chart::Bar));
    doc.table(2, go_table());
    doc.table(2, speedup_table(&figures, &rows));
    doc.table(2, contention_table(&figures));
    doc.table(2, writes_table(&figures));
    reclamation::section(&figures, &mut doc);
    doc.table(2, sweep_table(&figures));
    doc.charts([Chart::Line(sweep_chart(&figures))]);
    doc.table(2, registry_table(&figures));
    doc.charts(registry_charts(&figures).into_iter().map(Chart::Bar));
    doc.table(2, registry_floor_table(&figures));
    doc.table(2, starvation_table(&figures));
    workload::section(&figures, &mut doc);
    recommend::section(&results.workload, &results.head_to_head, &mut doc);
    doc.table(2, floor_table(&figures, &rows));
    doc.table(2, floor_gap_table(&figures, &rows));
    if let Some(instructions) = instructions {
        disassembly::section(instructions, counts, &mut doc);
    }
    let claims = claims(&figures, &rows);
    doc.table(2, claims_table(&claims));
    doc.push(Block::Verdicts(claims));
    doc
}

fn machine_info(results: &Results) -> Vec<(&'static str, String)> {
    let (m, c) = (&results.machine, &results.config);
    let mut info = vec![
        ("CPU", m.cpu_model.clone()),
        ("Cores", m.cores.to_string()),
        ("Architecture", format!("{} ({})", m.arch, m.os)),
        ("Compiler", m.rustc.clone()),
        (
            "Profile",
            format!(
                "{} ({} samples x {} s per benchmark)",
                c.profile,
                c.sample_size,
                format::sig3(c.measurement_secs)
            ),
        ),
        ("Finished", format::utc(m.finished_unix)),
    ];
    if !m.heavy_barrier.is_empty() {
        info.push(("Heavy barrier (seize)", m.heavy_barrier.clone()));
    }
    if let Some(commit) = &results.commit {
        info.push(("Commit", commit.clone()));
    }
    if !results.versions.is_empty() {
        let crates: Vec<String> =
            results.versions.iter().map(|(name, version)| format!("{name} {version}")).collect();
        info.push(("Crates", crates.join(", ")));
    }
    info
}

fn main_header(n: u32) -> Vec<String> {
    let mut header = vec!["Approach".to_owned()];
    header.extend(Column::ALL.map(|c| c.label(n)));
    header.push("Memory/Op".to_owned());
    header
}

fn main_table(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Table {
    let n = figures.n();
    let mut table = Table::new("Main table", main_header(n));
    table.note(format!(
        "ns per read, median over samples (Go RunParallel semantics: wall time / total reads). \
         Concurrent ({n}): {n} reader threads. Under Contention: {n} readers and one writer \
         updating back to back. Memory/Op: heap bytes and allocations per read."
    ));
    if rows.iter().any(|r| r.kind == Family::Floor) {
        table.note("Rows labelled 'floor:' are lower bounds measured beside the stores, not stores.");
    }
    for row in rows {
        let mut cells = vec![row.label()];
        cells.extend(Column::ALL.map(|c| format::ns(c.of(row))));
        cells.push(format::memory(row.bytes, row.allocs));
        table.row(cells);
    }
    if rows.is_empty() {
        table.note("No store was measured.");
    }
    table
}

fn go_table() -> Table {
    let mut table = Table::new("The Go record, for reference", main_header(GO_THREADS));
    table.note("The figures of the Go decision record this project reproduces (ns/op).");
    for row in GO_TABLE {
        table.row(row.map(str::to_owned).to_vec());
    }
    table
}

fn speedup_table(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Table {
    let n = figures.n();
    let mut header = vec!["Approach".to_owned()];
    header.extend(Column::ALL.map(|c| c.label(n)));
    let baseline = figures.label_of(BASELINE_ID);
    let mut table = Table::new(format!("Speedup vs {baseline}"), header);
    let mutex = rows.iter().find(|r| r.id == BASELINE_ID);
    match mutex {
        Some(_) => table.note(format!(
            "{baseline}'s ns/op divided by the row's: above 1x is faster than {baseline}, below 1x slower."
        )),
        None => table.note(format!("No '{baseline}' row was measured: nothing to compare against.")),
    }
    for row in rows {
        let mut cells = vec![row.label()];
        cells.extend(Column::ALL.map(|c| format::ratio(ratio(mutex.and_then(|m| c.of(m)), c.of(row)))));
        table.row(cells);
    }
    table
}

fn contention_table(figures: &Figures<'_>) -> Table {
    let n = figures.n();
    let target = figures.results().config.paced_rate;
    let header = ["Strategy", "Back-to-back: read", "Back-to-back: writer", "Paced: read", "Paced: writer"];
    let mut table = Table::new("Contention", header.iter().map(|h| (*h).to_owned()).collect());
    table.note(format!(
        "{n} readers (ns per read) with one writer, either updating back to back or paced at {}; \
         writer columns are the updates/s it achieved. ⚠ marks a paced writer under {} of its target.",
        format::per_sec(Some(target)),
        format::percent(PACED_SHARE)
    ));
    let mut flagged = 0;
    let strategies = figures.strategies(&[groups::CONTENTION, groups::CONTENTION_PACED]);
    for strategy in floors_last(strategies) {
        let fast = figures.record(groups::CONTENTION, strategy.id, n);
        let paced = figures.record(groups::CONTENTION_PACED, strategy.id, n);
        let (paced_cell, short) =
            thresholds::rate_against_target(paced.and_then(|r| r.writer_updates_per_sec), Some(target));
        flagged += usize::from(short);
        table.row(vec![
            strategy.row_label(),
            format::ns(fast.and_then(|r| r.ns_per_op)),
            format::per_sec(fast.and_then(|r| r.writer_updates_per_sec)),
            format::ns(paced.and_then(|r| r.ns_per_op)),
            paced_cell,
        ]);
    }
    if flagged > 0 {
        table.note(format!(
            "{flagged} paced writer(s) fell short of the target: their read figures are under \
             less write pressure than the others'."
        ));
    }
    table
}

fn writes_table(figures: &Figures<'_>) -> Table {
    let n = figures.n();
    let header = vec![
        "Strategy".to_owned(),
        "Write (alone)".to_owned(),
        format!("Write under {n} readers"),
        "Memory/Update".to_owned(),
    ];
    let mut table = Table::new("Writes", header);
    table.note("ns per update by one writer, alone or while readers read; memory per update.");
    for strategy in
        floors_last(figures.strategies(&[groups::WRITE, groups::WRITE_UNDER_READERS, groups::MEMORY_WRITE]))
    {
        let id = strategy.id;
        let memory = figures.any(groups::MEMORY_WRITE, id);
        table.row(vec![
            strategy.row_label(),
            format::ns(figures.any(groups::WRITE, id).and_then(|r| r.ns_per_op)),
            format::ns(figures.any(groups::WRITE_UNDER_READERS, id).and_then(|r| r.ns_per_op)),
            format::memory(memory.and_then(|r| r.bytes_per_op), memory.and_then(|r| r.allocs_per_op)),
        ]);
    }
    table
}

/// The sweep's thread counts: the configured ones, else those recorded.
fn sweep_threads(figures: &Figures<'_>) -> Vec<u32> {
    let results = figures.results();
    let mut threads = results.config.sweep.clone();
    if threads.is_empty() {
        threads =
            results.records.iter().filter(|r| r.group == groups::CONCURRENT).map(|r| r.threads).collect();
    }
    threads.sort_unstable();
    threads.dedup();
    threads
}

fn threads_label(threads: u32) -> String {
    if threads == 1 { "1 thread".to_owned() } else { format!("{threads} threads") }
}

fn sweep_table(figures: &Figures<'_>) -> Table {
    let threads = sweep_threads(figures);
    let mut header = vec!["Strategy".to_owned()];
    header.extend(threads.iter().map(|&t| threads_label(t)));
    let mut table = Table::new("Thread sweep (concurrent readers)", header);
    table.note("ns per read (wall time / total reads) with that many reader threads.");
    for strategy in floors_last(figures.strategies(&[groups::CONCURRENT])) {
        let mut cells = vec![strategy.row_label()];
        cells.extend(threads.iter().map(|&t| format::ns(figures.ns(groups::CONCURRENT, strategy.id, t))));
        table.row(cells);
    }
    table
}

/// 1 and N, once each.
fn registry_threads(n: u32) -> Vec<u32> {
    if n == 1 { vec![1] } else { vec![1, n] }
}

fn registry_table(figures: &Figures<'_>) -> Table {
    let n = figures.n();
    let mut header = vec!["Registry".to_owned()];
    for (_, op) in REGISTRY_GROUPS {
        header.extend(registry_threads(n).into_iter().map(|t| format!("{op} ({t})")));
    }
    header.push("Memory/get".to_owned());
    let mut table = Table::new("Registry", header);
    table.note(format!(
        "ns per operation; (t) = threads. {} processes registered. get hit / get miss: one \
         lookup; churn: insert then remove; mix: 90% get, 9% update, 1% insert + remove; list: \
         every process. Memory/get: heap use of one get hit.",
        figures.results().config.registry_size
    ));
    for registry in figures.registries() {
        let mut cells = vec![registry.row_label()];
        for (group, _) in REGISTRY_GROUPS {
            cells.extend(
                registry_threads(n).into_iter().map(|t| format::ns(figures.ns(group, registry.id, t))),
            );
        }
        let memory = figures.any(groups::MEMORY_READ, registry.id);
        cells.push(format::memory(memory.and_then(|r| r.bytes_per_op), memory.and_then(|r| r.allocs_per_op)));
        table.row(cells);
    }
    table
}

/// The best registry's get hit against the immutable-map floor, at 1 and N threads.
fn registry_floor_table(figures: &Figures<'_>) -> Table {
    let target = format::ratio(Some(REGISTRY_FLOOR_TARGET));
    let header = ["Column", "Best registry", "Floor", "Registry / floor", "Within target?"];
    let mut table = Table::new("Registries against their floor", header.map(str::to_owned).to_vec());
    table.left = 2;
    let registries = figures.registries();
    let floor = registries.iter().find(|r| r.kind == Family::Floor);
    table.note(format!(
        "The fastest registry's get hit over the floor ({}): an immutable map read through a plain \
         shared reference, no synchronization. The target is {target} or less.",
        floor.map_or("not measured", |f| f.label)
    ));
    for threads in registry_threads(figures.n()) {
        let best = registries
            .iter()
            .filter(|r| r.kind != Family::Floor)
            .filter_map(|r| Some((r.label, figures.ns(groups::REGISTRY_GET_HIT, r.id, threads)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let floor_ns = floor.and_then(|f| figures.ns(groups::REGISTRY_GET_HIT, f.id, threads));
        let gap = ratio(best.map(|b| b.1), floor_ns);
        let verdict = match gap {
            Some(g) if g <= REGISTRY_FLOOR_TARGET => "yes",
            Some(_) => "no",
            None => "not measured",
        };
        table.row(vec![
            format!("get hit ({threads})"),
            best.map_or_else(|| GAP.to_owned(), |(name, ns)| format!("{name}: {}", format::ns(Some(ns)))),
            format::ns(floor_ns),
            format::ratio(gap),
            verdict.to_owned(),
        ]);
    }
    table
}

/// Readers polling a small table while one writer updates it: the writer's
/// rate beside the readers' cost, for every registry.
fn starvation_table(figures: &Figures<'_>) -> Table {
    let n = figures.n();
    let header = ["Registry", "Readers: ns per query", "Writer: updates/s", "Writer vs the best"];
    let mut table = Table::new("Registry writers under readers", header.map(str::to_owned).to_vec());
    table.note(format!(
        "{n} reader threads query a table of {} processes in a closed loop (19 gets, then one \
         list) while one writer updates its processes back to back. Readers: wall time over their \
         queries. A writer's rate here is its update's cost as well as what its readers leave it \
         (an update of a store of handles allocates; a locked map updates in place), so read a \
         low rate beside the workload's events/s against its target, which pace the writer.",
        figures.results().config.table_size
    ));
    let rows: Vec<_> = figures
        .strategies(&[groups::REGISTRY_STARVATION])
        .into_iter()
        .filter_map(|s| Some((s, figures.record(groups::REGISTRY_STARVATION, s.id, n)?)))
        .collect();
    let best = rows.iter().filter_map(|(_, r)| r.writer_updates_per_sec).fold(0.0, f64::max);
    let mut starved = Vec::new();
    for (strategy, record) in &rows {
        let share = record.writer_updates_per_sec.filter(|_| best > 0.0).map(|rate| rate / best);
        if share.is_some_and(|share| share < STARVED_SHARE) {
            starved.push(strategy.label);
        }
        table.row(vec![
            strategy.row_label(),
            format::ns(record.ns_per_op),
            format::per_sec(record.writer_updates_per_sec),
            share.map_or_else(|| GAP.to_owned(), format::percent),
        ]);
    }
    if rows.is_empty() {
        table.note("Not measured in this run.");
    } else if !starved.is_empty() {
        table.note(format!(
            "Under {} of the best writer's rate: {}.",
            format::percent(STARVED_SHARE),
            starved.join(", ")
        ));
    }
    table
}

/// The columns of the floor section: (heading, group, threads).
fn floor_columns(n: u32) -> [(String, &'static str, u32); 3] {
    [
        ("Single Reader".to_owned(), groups::SINGLE_READER, 1),
        (format!("Concurrent ({n})"), groups::CONCURRENT, n),
        (format!("Paced contention ({n})"), groups::CONTENTION_PACED, n),
    ]
}

fn floor_table(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Table {
    let n = figures.n();
    let mut header = vec!["Floor".to_owned()];
    header.extend(floor_columns(n).map(|(heading, _, _)| heading));
    header.push("Memory/Op".to_owned());
    let mut table = Table::new("Floors", header);
    table.note(
        "Lower bounds measured beside the stores, never stores: a leaky atomic pointer load \
         (its replaced states are never freed) and bare channel round trips.",
    );
    for row in rows.iter().filter(|r| r.kind == Family::Floor) {
        let mut cells = vec![row.label()];
        cells.extend(
            floor_columns(n).map(|(_, group, threads)| format::ns(figures.ns(group, row.id, threads))),
        );
        cells.push(format::memory(row.bytes, row.allocs));
        table.row(cells);
    }
    if table.rows.is_empty() {
        table.note("No floor was measured.");
    }
    table
}

/// The floor the atomic readers are held to: the fastest floor in the
/// first floor column that has one (the leaky pointer load).
fn leaky_floor<'a, 'r>(figures: &Figures<'r>, rows: &'a [MainRow<'r>]) -> Option<&'a MainRow<'r>> {
    floor_columns(figures.n()).iter().find_map(|(_, group, threads)| {
        rows.iter()
            .filter(|r| r.kind == Family::Floor)
            .filter_map(|r| Some((r, figures.ns(group, r.id, *threads)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(row, _)| row)
    })
}

fn floor_gap_table(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Table {
    let n = figures.n();
    let target = format::ratio(Some(FLOOR_TARGET));
    let header = vec![
        "Column".to_owned(),
        "Best atomic reader".to_owned(),
        "Floor".to_owned(),
        "Atomic / floor".to_owned(),
        format!("Within {target}?"),
    ];
    let mut table = Table::new("Distance from the floor", header);
    table.left = 2;
    let floor = leaky_floor(figures, rows);
    table.note(format!(
        "The fastest safe atomic store over the leaky floor ({}): the target is {target} or less.",
        floor.map_or("not measured", |f| f.name)
    ));
    for (heading, group, threads) in floor_columns(n) {
        let best = rows
            .iter()
            .filter(|r| r.kind == Family::Atomic)
            .filter_map(|r| Some((r.name, figures.ns(group, r.id, threads)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let floor_ns = floor.and_then(|f| figures.ns(group, f.id, threads));
        let gap = ratio(best.map(|b| b.1), floor_ns);
        let verdict = match gap {
            Some(g) if thresholds::within_floor_target(g) => "yes",
            Some(_) => "no",
            None => "not measured",
        };
        table.row(vec![
            heading,
            best.map_or_else(|| GAP.to_owned(), |(name, ns)| format!("{name}: {}", format::ns(Some(ns)))),
            format::ns(floor_ns),
            format::ratio(gap),
            verdict.to_owned(),
        ]);
    }
    table
}

fn claims_table(claims: &[Claim]) -> Table {
    let header = ["Claim (Go record)", "Go figure", "Measured", "Verdict"];
    let mut table = Table::new("Claims", header.map(str::to_owned).to_vec());
    table.left = header.len();
    table.note(
        "Each claim of the Go record checked against this run; a verdict is computed from the \
         figures above, never written by hand.",
    );
    for claim in claims {
        table.row(vec![
            claim.statement.clone(),
            claim.expected.clone(),
            claim.measured.clone(),
            format!("{}: {}", claim.verdict, claim.reason),
        ]);
    }
    table
}

fn sweep_chart(figures: &Figures<'_>) -> LineChart {
    let threads = sweep_threads(figures);
    LineChart {
        title: "Thread scaling: concurrent readers".to_owned(),
        x_label: "reader threads".to_owned(),
        y_label: "ns/op".to_owned(),
        series: floors_last(figures.strategies(&[groups::CONCURRENT]))
            .into_iter()
            .map(|strategy| Series {
                name: strategy.row_label(),
                kind: strategy.kind,
                points: threads
                    .iter()
                    .filter_map(|&t| Some((f64::from(t), figures.ns(groups::CONCURRENT, strategy.id, t)?)))
                    .collect(),
            })
            .collect(),
    }
}

fn ns_bar(name: String, kind: Family, ns: Option<f64>) -> Bar {
    Bar::one(name, kind, ns, format::ns(ns))
}

fn main_charts(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Vec<BarChart> {
    let n = figures.n();
    let mut charts: Vec<BarChart> = Column::ALL
        .iter()
        .map(|&column| BarChart {
            title: column.label(n),
            unit: "ns/op".to_owned(),
            bars: rows.iter().map(|r| ns_bar(r.label(), r.kind, column.of(r))).collect(),
            ..BarChart::default()
        })
        .collect();
    charts.push(BarChart {
        title: "Memory/Op".to_owned(),
        unit: "bytes per read".to_owned(),
        bars: rows
            .iter()
            .map(|r| Bar::one(r.label(), r.kind, r.bytes, format::memory(r.bytes, r.allocs)))
            .collect(),
        ..BarChart::default()
    });
    charts
}

fn registry_charts(figures: &Figures<'_>) -> Vec<BarChart> {
    let n = figures.n();
    [(groups::REGISTRY_GET_HIT, "get hit"), (groups::REGISTRY_MIX, "mix")]
        .into_iter()
        .map(|(group, op)| BarChart {
            title: format!("Registry {op} ({n} threads)"),
            unit: "ns/op".to_owned(),
            bars: figures
                .registries()
                .into_iter()
                .map(|registry| {
                    ns_bar(registry.row_label(), registry.kind, figures.ns(group, registry.id, n))
                })
                .collect(),
            ..BarChart::default()
        })
        .collect()
}

/// One store's main columns, for the cross-architecture comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MainFigures {
    /// The catalogue id: what rows of different runs match on.
    pub(crate) id: String,
    /// The row label.
    pub(crate) label: String,
    /// ns/op in each of [`Column::ALL`].
    pub(crate) ns: [Option<f64>; 3],
}

/// The main row of each store of `results`.
pub(crate) fn main_figures(results: &Results) -> Vec<MainFigures> {
    let figures = Figures::new(results);
    main_rows(&figures)
        .iter()
        .map(|row| MainFigures {
            id: row.id.to_owned(),
            label: row.label(),
            ns: Column::ALL.map(|c| c.of(row)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::escape::markdown as esc;
    use crate::load::load;
    use crate::markdown::encode;
    use crate::rows::label;

    /// Whether some table row of `md` labelled `label` shows `value`.
    fn shown(md: &str, label: &str, value: &str) -> bool {
        let start = format!("| {} |", esc(label));
        md.lines().any(|line| line.starts_with(&start) && line.contains(&format!("| {} ", esc(value))))
    }

    #[test]
    fn the_committed_run_loses_no_figure() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/x86_64-linux/results.json");
        let results = load(&path).unwrap();
        let md = encode(&document(&results, None, &[]));
        let mut missing = Vec::new();
        let mut check = |label: &str, value: String, what: &str| {
            if !shown(&md, label, &value) {
                missing.push(format!("{label}: {what} {value}"));
            }
        };
        for r in &results.records {
            let row = label(&r.strategy, r.kind);
            let what = format!("{} at {} threads", r.group, r.threads);
            if r.ns_per_op.is_some() {
                check(&row, format::ns(r.ns_per_op), &what);
            }
            // write_under_readers records a rate too that no table has ever
            // shown (its meaning is not in the schema): only the contention
            // writers' rates are report figures.
            if r.writer_updates_per_sec.is_some() && r.group != groups::WRITE_UNDER_READERS {
                // A paced writer's cell may carry its ⚠ after the rate.
                check(&row, format::per_sec(r.writer_updates_per_sec), &what);
            }
            if r.bytes_per_op.is_some() || r.allocs_per_op.is_some() {
                check(&row, format::memory(r.bytes_per_op, r.allocs_per_op), &what);
            }
        }
        for w in &results.workload {
            let row = workload::row_label(w);
            let lag = w.event_lag.as_ref();
            let figures = [
                ("queries/s", format::per_sec(Some(w.queries_per_sec()))),
                ("events/s", format::per_sec(Some(w.events_per_sec()))),
                ("p50", format::duration(Some(w.latency.p50_ns))),
                ("p99", format::duration(Some(w.latency.p99_ns))),
                ("p99.9", format::duration(Some(w.latency.p999_ns))),
                ("max", format::duration(Some(w.latency.max_ns))),
                ("lag p50", format::duration(lag.map(|l| l.p50_ns))),
                ("lag p99", format::duration(lag.map(|l| l.p99_ns))),
                ("lag max", format::duration(lag.map(|l| l.max_ns))),
            ];
            let by_query =
                w.by_query.iter().map(|q| (q.query.label(), format::duration(Some(q.latency.p99_ns))));
            for (what, value) in figures.into_iter().chain(by_query) {
                check(&row, value, what);
            }
        }
        assert!(missing.is_empty(), "{} figures missing:\n{}", missing.len(), missing.join("\n"));
    }
}
