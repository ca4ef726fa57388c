//! The tails of the multi-threaded rows, and the garbage each store holds
//! with what one stalled reader costs it: tables and charts computed from
//! the run's sampled tails and reclamation records.

use crate::doc::{Chart, Document};
use crate::figures::{Figures, Strategy, floors_last};
use crate::format::{self, GAP};
use crate::schema::{ReclamationRecord, groups};
use crate::svg::{Bar, BarChart};
use crate::table::Table;
use crate::thresholds::{HELD_BACK_MIN, HELD_BACK_SHARE, STALLED_WRITER_SHARE};

/// The groups whose rows carry a sampled tail, with their names.
const TAIL_GROUPS: [(&str, &str); 3] = [
    (groups::CONCURRENT, "Concurrent"),
    (groups::CONTENTION, "Contention, back-to-back writer"),
    (groups::CONTENTION_PACED, "Contention, paced writer"),
];

/// The tails table and chart, then the garbage and stall tables and chart.
pub(crate) fn section(figures: &Figures<'_>, doc: &mut Document) {
    if let Some(table) = tails_table(figures) {
        doc.table(2, table);
        doc.charts([Chart::Bar(tails_chart(figures))]);
    }
    let records = &figures.results().reclamation;
    if !records.is_empty() {
        doc.table(2, garbage_table(figures, records));
        doc.table(2, stall_table(records));
        doc.charts([Chart::Bar(garbage_chart(records))]);
    }
}

fn strategy(record: &ReclamationRecord) -> Strategy<'_> {
    Strategy { id: &record.id, label: &record.strategy, kind: record.kind }
}

fn tails_table(figures: &Figures<'_>) -> Option<Table> {
    let n = figures.n();
    let header =
        ["Strategy", "Group", "p50", "p99", "p99.9", "max", "Timed", "Reads per thread (fewest–most)"];
    let mut table = Table::new("Read tails", header.iter().map(|h| (*h).to_owned()).collect());
    let mut floor = None;
    for (group, name) in TAIL_GROUPS {
        for strategy in floors_last(figures.strategies(&[group])) {
            let Some(tails) = figures.record(group, strategy.id, n).and_then(|r| r.tails) else { continue };
            floor = Some(tails.clock_floor_ns);
            let p = tails.latency;
            table.row(vec![
                strategy.row_label(),
                name.to_owned(),
                format::duration(Some(p.p50_ns)),
                format::duration(Some(p.p99_ns)),
                format::duration(Some(p.p999_ns)),
                format::duration(Some(p.max_ns)),
                format!("1 in {}", tails.sample_every),
                format!(
                    "{}–{}",
                    format::count(tails.fewest_reads as f64),
                    format::count(tails.most_reads as f64)
                ),
            ]);
        }
    }
    let floor = floor?;
    table.note(format!(
        "{n} reader threads (and the group's writer) for a fixed time in a pass of their own after each \
         row's criterion rounds; one read in N is timed into an HDR histogram, N chosen so the clock adds \
         under 5% to the row's mean read. Every sample includes the clock's own floor, {} on this machine: \
         nothing below it is resolved. On an oversubscribed machine the tail is mostly the scheduler's: a \
         reader preempted mid-read waits out another thread's time slice. The last column is fairness: \
         the fewest and the most reads one reader thread completed in the same time.",
        format::duration(Some(floor))
    ));
    Some(table)
}

fn tails_chart(figures: &Figures<'_>) -> BarChart {
    let n = figures.n();
    let bars = floors_last(figures.strategies(&[groups::CONCURRENT]))
        .into_iter()
        .filter_map(|strategy| {
            let tails = figures.record(groups::CONCURRENT, strategy.id, n)?.tails?;
            let p99 = tails.latency.p99_ns;
            Some(Bar::one(strategy.row_label(), strategy.kind, Some(p99), format::duration(Some(p99))))
        })
        .collect();
    BarChart {
        title: format!("Read p99, Concurrent ({n} threads)"),
        unit: "ns".to_owned(),
        log: true,
        bars,
        ..BarChart::default()
    }
}

fn garbage_table(figures: &Figures<'_>, records: &[ReclamationRecord]) -> Table {
    let header = [
        "Strategy",
        "Declared",
        "Back-to-back: peak",
        "mean",
        "updates/s",
        "Paced: peak",
        "mean",
        "updates/s",
    ];
    let mut table = Table::new("Garbage", header.iter().map(|h| (*h).to_owned()).collect());
    let readers = records.first().map_or(0, |r| r.readers);
    table.note(format!(
        "States alive (published, held by a reader, or retired and not yet freed), sampled after every \
         update while {readers} reader(s) read back to back and one writer publishes, back to back or \
         paced at {}. Declared: what the store says of itself (its GARBAGE_IS_BOUNDED).",
        format::per_sec(Some(figures.results().config.paced_rate))
    ));
    for record in records {
        let garbage = |g: Option<&crate::schema::Garbage>| {
            g.map_or_else(
                || [GAP.to_owned(), GAP.to_owned(), "not run: it frees nothing".to_owned()],
                |g| {
                    [
                        format::count(g.peak as f64),
                        format::sig3(g.mean),
                        format::per_sec((g.seconds > 0.0).then(|| g.updates as f64 / g.seconds)),
                    ]
                },
            )
        };
        let mut cells = vec![
            strategy(record).row_label(),
            if record.declared_bounded { "bounded" } else { "unbounded" }.to_owned(),
        ];
        cells.extend(garbage(record.back_to_back.as_ref()));
        cells.extend(garbage(Some(&record.paced)));
        table.row(cells);
    }
    table
}

/// What a stall did to a store, computed from what was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StallVerdict {
    /// Neither of the others: reclamation went on around the stalled reader.
    Bounded,
    /// The garbage grew by [`HELD_BACK_SHARE`] or more of the updates made,
    /// and past [`HELD_BACK_MIN`].
    GrowsWithEveryUpdate,
    /// The writer managed under [`STALLED_WRITER_SHARE`] of the rate it
    /// reached with no stall (its target, or less where the store or the
    /// machine is slower).
    BlocksTheWriter,
    /// Too few updates during the stall to tell a held-back batch from a
    /// leak: [`HELD_BACK_MIN`] or fewer.
    Inconclusive,
}

impl StallVerdict {
    const ALL: [StallVerdict; 4] = [
        StallVerdict::Bounded,
        StallVerdict::GrowsWithEveryUpdate,
        StallVerdict::BlocksTheWriter,
        StallVerdict::Inconclusive,
    ];

    pub(crate) fn of(record: &ReclamationRecord) -> StallVerdict {
        let (stall, paced) = (&record.stall, &record.paced);
        let unstalled = if paced.seconds > 0.0 { paced.updates as f64 / paced.seconds } else { 0.0 };
        let reference = unstalled.min(stall.target_updates_per_sec);
        let growth = stall.growth();
        if stall.updates_per_sec() < STALLED_WRITER_SHARE * reference {
            StallVerdict::BlocksTheWriter
        } else if stall.updates <= HELD_BACK_MIN {
            StallVerdict::Inconclusive
        } else if growth as f64 >= HELD_BACK_SHARE * stall.updates as f64 && growth > HELD_BACK_MIN {
            StallVerdict::GrowsWithEveryUpdate
        } else {
            StallVerdict::Bounded
        }
    }

    fn text(self) -> &'static str {
        match self {
            StallVerdict::Bounded => "bounded",
            StallVerdict::GrowsWithEveryUpdate => "unbounded: keeps every state",
            StallVerdict::BlocksTheWriter => "blocks the writer",
            StallVerdict::Inconclusive => "inconclusive: too few updates",
        }
    }
}

fn stall_table(records: &[ReclamationRecord]) -> Table {
    let header =
        ["Strategy", "Verdict", "Garbage growth", "Updates in the stall", "Writer", "Others: p99", "max"];
    let mut table = Table::new("A stalled reader", header.iter().map(|h| (*h).to_owned()).collect());
    let Some(first) = records.first() else { return table };
    table.note(format!(
        "One reader enters a read and stays inside it for {} while the writer aims at {} and {} other \
         reader(s) read; every read of theirs that overlaps the stall is timed, one that waits it out included. \
         Verdict, computed: the writer achieved under {} of the rate it reached with no stall (blocks \
         the writer), or the garbage grew by {} or more of the updates made meanwhile and past {} \
         states (unbounded), or neither (bounded); with {} updates or fewer in the stall, no verdict.",
        format::duration(Some(first.stall.seconds * 1e9)),
        format::per_sec(Some(first.stall.target_updates_per_sec)),
        first.readers,
        format::percent(STALLED_WRITER_SHARE),
        format::percent(HELD_BACK_SHARE),
        format::count(HELD_BACK_MIN as f64),
        format::count(HELD_BACK_MIN as f64),
    ));
    let mut by_verdict: [Vec<String>; 4] = Default::default();
    for record in records {
        let stall = &record.stall;
        let verdict = StallVerdict::of(record);
        by_verdict[verdict as usize].push(strategy(record).row_label());
        table.row(vec![
            strategy(record).row_label(),
            verdict.text().to_owned(),
            format::count(stall.growth() as f64),
            format::count(stall.updates as f64),
            format::per_sec(Some(stall.updates_per_sec())),
            format::duration(Some(stall.others.p99_ns)),
            format::duration(Some(stall.others.max_ns)),
        ]);
    }
    for (verdict, names) in StallVerdict::ALL.into_iter().map(|v| (v, &by_verdict[v as usize])) {
        if !names.is_empty() {
            table.note(format!("{}: {}.", capitalised(verdict.text()), names.join(", ")));
        }
    }
    table
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn garbage_chart(records: &[ReclamationRecord]) -> BarChart {
    let bars = records
        .iter()
        .map(|record| {
            let peak = record.back_to_back.map(|g| g.peak as f64);
            let growth = record.stall.growth() as f64;
            Bar {
                label: strategy(record).row_label(),
                kind: record.kind,
                values: vec![
                    (peak, peak.map_or_else(|| GAP.to_owned(), format::count)),
                    (Some(growth), format::count(growth)),
                ],
            }
        })
        .collect();
    BarChart {
        title: "Garbage: states alive".to_owned(),
        unit: "states".to_owned(),
        series: vec!["peak, back-to-back writer".to_owned(), "growth while one reader stalls".to_owned()],
        log: true,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Garbage, Percentiles, Stall};
    use procstore_catalog::Family;

    /// A store whose paced writer reached `unstalled`/s and whose stall (1 s,
    /// target 100k/s) saw `updates` updates and `growth` more states.
    fn record(unstalled: u64, updates: u64, growth: u64) -> ReclamationRecord {
        let latency = Percentiles { count: 1, p50_ns: 1.0, p99_ns: 1.0, p999_ns: 1.0, max_ns: 1.0 };
        ReclamationRecord {
            id: "s".to_owned(),
            strategy: "s".to_owned(),
            kind: Family::Atomic,
            declared_bounded: true,
            readers: 1,
            back_to_back: None,
            paced: Garbage { seconds: 1.0, updates: unstalled, peak: 2, mean: 2.0 },
            stall: Stall {
                seconds: 1.0,
                target_updates_per_sec: 100_000.0,
                updates,
                alive_before: 2,
                alive_peak: 2 + growth,
                others: latency,
            },
        }
    }

    #[test]
    fn a_verdict_is_judged_against_what_the_store_reached_unstalled() {
        use StallVerdict::*;
        assert_eq!(StallVerdict::of(&record(100_000, 0, 0)), BlocksTheWriter);
        // A slow store (an actor at 20k/s) that keeps its pace is not blocked.
        assert_eq!(StallVerdict::of(&record(20_000, 17_000, 2)), Bounded);
        assert_eq!(StallVerdict::of(&record(100_000, 99_000, 99_000)), GrowsWithEveryUpdate);
        // haphazard's batch of 1,000 held back in a slow stall is no leak.
        assert_eq!(StallVerdict::of(&record(2_000, 1_900, 1_000)), Bounded);
        assert_eq!(StallVerdict::of(&record(200, 200, 200)), Inconclusive);
    }
}
