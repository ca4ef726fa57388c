//! The Recommendation section: which registry (and so which store and map)
//! a process manager should use, computed from the supervisor workload,
//! with where it loses and by how much, and whether the `procstore`
//! facade's default is that registry.
//!
//! A row meets the bar in a workload setting when it records at least
//! [`EVENTS_SHARE`] of the best row's events/s, and its query p50 and
//! p99.9 are within [`P50_FACTOR`] and [`P999_FACTOR`] of the best non-floor
//! row's. Rows are ranked by their distance to the bar across the
//! settings: per setting, its worst criterion as a factor of the bar (1 or
//! less meets it), geometric mean over settings. Counting the settings met
//! instead would let one noisy pass decide between rows that all miss.
//!
//! Where every judged row kept at least [`MEDIAN_ROUNDS`] rounds apart (the
//! full profile runs five), the bar reads each row's median round (per
//! percentile, the median of its rounds' own) and events/s over all of
//! them. A shared machine has slow stretches, seconds long, in which every
//! query's tail doubles; a merged p99.9 is decided by whether a row drew
//! one, a median round is not. The report also gives where the default
//! stands on the merged figures, which the tables show.
//!
//! The facade's default stays the recommendation unless the run resolves
//! a row ahead of it: where the run kept two or more rounds apart, a row
//! nearer the bar must also be nearer in each round's own figures (latency
//! per round; events/s merged; a round in which the two are level does not
//! resolve them). The recommendation is the nearest row so resolved, else
//! the default; the report names each nearer row passed over, and for the
//! nearest of them the round in which it did not stay ahead, with every
//! round's figures. It is a consistency screen, not a significance test:
//! of two equal rows, the one ahead overall stays ahead in every one of n
//! rounds about once in 2^(n-1) runs (half the time with two rounds, one in
//! sixteen with five). A run with one round (the quick profile) is ranked
//! on its merged figures alone.
//!
//! The best row in a setting is the best of every row, each measured with
//! noise, so its figure is biased low: the winner is partly whichever row
//! drew the quietest rounds (the winner's curse). Where the run measured
//! it, the default is also judged head to head: after each paced setting's
//! main pass, it ran again against the rows best there on each criterion
//! other than itself ([`head_to_head_rows`]), on fresh rounds interleaved
//! among those few rows only, which that selection cannot have favoured.
//! The ranking and the recommendation stay on the main pass, every row on
//! the same footing.
//!
//! The bar is taken where the readers are paced, so that every row is
//! offered the same queries: in a closed loop each row's readers make as
//! much work as they can, and a row whose readers block hands their cores
//! to the writer, which would rank the readers' waiting, not the registry.
//! The closed-loop settings get the same table beside it, outside the bar,
//! with the floor's events/s: what readers that never block leave the
//! writer. A run without paced readers (schema 2) is judged on what it has.

use std::collections::HashMap;

use crate::doc::{Document, Style};
use crate::format;
use crate::schema::{Percentiles, ReaderLoad, Setting, WorkloadRecord};
use crate::table::Table;
use crate::thresholds::{EVENTS_SHARE, P50_FACTOR, P999_FACTOR};
use crate::workload::{round_spread, row_label, settings};
use procstore_catalog::Family;

/// One row's standing in one setting, against that setting's best rows.
#[derive(Clone, Debug, PartialEq)]
struct Standing {
    setting: Setting,
    /// Its events/s over the best row's.
    events_share: f64,
    /// Its p50 over the best row's.
    p50_ratio: f64,
    /// Its p99.9 over the best row's.
    p999_ratio: f64,
}

impl Standing {
    fn meets_the_bar(&self) -> bool {
        self.distance() <= 1.0
    }

    /// Its worst criterion as a factor of the bar: 1 or less meets it.
    fn distance(&self) -> f64 {
        let events = EVENTS_SHARE / self.events_share.max(f64::MIN_POSITIVE);
        events.max(self.p50_ratio / P50_FACTOR).max(self.p999_ratio / P999_FACTOR)
    }

    /// What falls short, e.g. `events/s 45% of the best, p50 1.40x`.
    fn shortfalls(&self) -> Vec<String> {
        let mut short = Vec::new();
        if self.events_share < EVENTS_SHARE {
            short.push(format!("events/s {} of the best", format::percent(self.events_share)));
        }
        if self.p50_ratio > P50_FACTOR {
            short.push(format!("p50 {} the best", format::ratio(Some(self.p50_ratio))));
        }
        if self.p999_ratio > P999_FACTOR {
            short.push(format!("p99.9 {} the best", format::ratio(Some(self.p999_ratio))));
        }
        short
    }
}

/// One row across every setting.
#[derive(Clone, Debug)]
struct Candidate<'r> {
    /// Its record in the first setting it appears in (for the label).
    record: &'r WorkloadRecord,
    standings: Vec<Standing>,
}

impl Candidate<'_> {
    fn met(&self) -> usize {
        self.standings.iter().filter(|s| s.meets_the_bar()).count()
    }

    /// How far from the bar across settings (geometric mean of [`Standing::distance`]).
    fn distance(&self) -> f64 {
        geometric_mean(self.standings.iter().map(Standing::distance))
    }

    /// Each setting it misses the bar in, with what falls short there.
    fn misses(&self) -> Vec<String> {
        let missed = self.standings.iter().filter(|s| !s.meets_the_bar());
        missed.map(|s| format!("{}: {}", s.setting.label(), s.shortfalls().join(", "))).collect()
    }

    fn worst(&self, of: impl Fn(&Standing) -> f64, lowest: bool) -> f64 {
        let values = self.standings.iter().map(of);
        if lowest { values.fold(f64::INFINITY, f64::min) } else { values.fold(0.0, f64::max) }
    }
}

fn geometric_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0u32), |(sum, count), v| (sum + v.ln(), count + 1));
    if count == 0 { f64::INFINITY } else { (sum / f64::from(count)).exp() }
}

/// Which latency a ranking reads: the merged rounds, each row's median
/// round, or one round's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Figures {
    Merged,
    Median,
    Round(usize),
}

/// Rounds every judged row must have kept for the bar to read its median
/// round: the fewest with a middle that one round cannot decide.
const MEDIAN_ROUNDS: usize = 3;

impl Figures {
    /// What the bar reads in `settings`: each row's median round where
    /// every judged row kept [`MEDIAN_ROUNDS`], else the merged rounds.
    fn for_bar(workload: &[WorkloadRecord], settings: &[Setting]) -> Figures {
        if fewest_rounds(workload, settings) >= MEDIAN_ROUNDS { Figures::Median } else { Figures::Merged }
    }

    fn latency(self, record: &WorkloadRecord) -> Percentiles {
        match self {
            Figures::Merged => record.latency,
            Figures::Median => record.median_round().unwrap_or(record.latency),
            Figures::Round(round) => record.rounds.get(round).copied().unwrap_or(record.latency),
        }
    }

    /// `in the merged figures`, for the ranking's figures in a sentence.
    fn phrase(self) -> &'static str {
        match self {
            Figures::Median => "judged on each row's median round",
            Figures::Merged => "in the merged figures",
            Figures::Round(_) => "in one round's figures",
        }
    }
}

/// The fewest rounds any non-floor row in `settings` kept apart.
fn fewest_rounds(workload: &[WorkloadRecord], settings: &[Setting]) -> usize {
    workload
        .iter()
        .filter(|r| r.kind != Family::Floor && settings.contains(&r.setting()))
        .map(|r| r.rounds.len())
        .min()
        .unwrap_or(0)
}

/// The bar's criteria, by name, each as a figure to minimise (latency read
/// as `Figures` says), or `None` where it does not count: events/s only
/// where the writer is not paced to a target, since one that is reaches it
/// under every row, and the most is whichever drew a lucky round.
type Criterion = (&'static str, fn(&WorkloadRecord, Figures) -> Option<f64>);
const CRITERIA: [Criterion; 3] = [
    ("events/s", |r, _| r.target_events_per_sec.is_none().then(|| -r.events_per_sec())),
    ("p50", |r, figures| Some(figures.latency(r).p50_ns)),
    ("p99.9", |r, figures| Some(figures.latency(r).p999_ns)),
];

/// For each of the bar's [`CRITERIA`] that counts in `rows` (every row's
/// record in one setting), its name and the best row other than the
/// default and the floors, latency read as the bar reads it when every row
/// kept the same rounds.
fn best_others(rows: &[WorkloadRecord]) -> Vec<(&'static str, &WorkloadRecord)> {
    let figures = Figures::for_bar(rows, &settings(rows));
    let others: Vec<&WorkloadRecord> =
        rows.iter().filter(|r| !r.default && r.kind != Family::Floor).collect();
    CRITERIA
        .iter()
        .filter_map(|&(name, figure)| {
            let counted = others.iter().filter_map(|&r| Some((r, figure(r, figures)?)));
            Some((name, counted.min_by(|(_, a), (_, b)| a.total_cmp(b))?.0))
        })
        .collect()
}

/// The rows a head-to-head pits the facade's default against, from `rows`
/// (every row's record in one setting): the best row other than the
/// default and the floors on each of the bar's criteria (most events/s,
/// where the writer is not paced to a target; lowest p50; lowest p99.9,
/// read as the bar reads them). Ids, each once, in that order.
pub fn head_to_head_rows(rows: &[WorkloadRecord]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (_, best) in best_others(rows) {
        if !ids.contains(&best.id) {
            ids.push(best.id.clone());
        }
    }
    ids
}

/// Every non-floor row's standings in `settings`, nearest the bar first,
/// judged on `figures`' latency and the merged events/s.
fn candidates<'r>(
    workload: &'r [WorkloadRecord],
    settings: &[Setting],
    figures: Figures,
) -> Vec<Candidate<'r>> {
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for &setting in settings {
        let rows: Vec<&WorkloadRecord> =
            workload.iter().filter(|r| r.setting() == setting && r.kind != Family::Floor).collect();
        let events = rows.iter().map(|r| r.events_per_sec()).fold(0.0, f64::max);
        let latencies: Vec<Percentiles> = rows.iter().map(|r| figures.latency(r)).collect();
        let p50 = latencies.iter().map(|p| p.p50_ns).fold(f64::INFINITY, f64::min);
        let p999 = latencies.iter().map(|p| p.p999_ns).fold(f64::INFINITY, f64::min);
        for (record, latency) in rows.into_iter().zip(latencies) {
            let standing = Standing {
                setting,
                events_share: if events > 0.0 { record.events_per_sec() / events } else { 1.0 },
                p50_ratio: latency.p50_ns / p50.max(f64::MIN_POSITIVE),
                p999_ratio: latency.p999_ns / p999.max(f64::MIN_POSITIVE),
            };
            match candidates.iter_mut().find(|c| c.record.id == record.id) {
                Some(candidate) => candidate.standings.push(standing),
                None => candidates.push(Candidate { record, standings: vec![standing] }),
            }
        }
    }
    candidates.sort_by(|a, b| a.distance().total_cmp(&b.distance()).then(b.met().cmp(&a.met())));
    candidates
}

/// A round in which a row nearer the bar overall was not nearer than
/// another: the run does not resolve the two.
#[derive(Clone, Copy, Debug)]
struct Split {
    /// Which round (from 0).
    round: usize,
}

/// Each row's distance to the bar in each round, by id: one map per round,
/// none unless every judged row kept at least two rounds.
struct Rounds(Vec<HashMap<String, f64>>);

impl Rounds {
    fn of(workload: &[WorkloadRecord], settings: &[Setting]) -> Self {
        let rounds = Some(fewest_rounds(workload, settings)).filter(|&rounds| rounds >= 2).unwrap_or(0);
        Rounds(
            (0..rounds)
                .map(|round| {
                    candidates(workload, settings, Figures::Round(round))
                        .iter()
                        .map(|c| (c.record.id.clone(), c.distance()))
                        .collect()
                })
                .collect(),
        )
    }

    /// The first round in which `ahead` (nearer the bar overall) was not
    /// nearer than `behind`, or lacks a figure; `None` if it stayed ahead in
    /// every round (and so with no rounds).
    fn split(&self, ahead: &Candidate<'_>, behind: &Candidate<'_>) -> Option<Split> {
        self.0.iter().enumerate().find_map(|(round, distances)| {
            match (distances.get(&ahead.record.id), distances.get(&behind.record.id)) {
                (Some(a), Some(b)) if a < b => None,
                _ => Some(Split { round }),
            }
        })
    }

    /// `1.04x, 0.938x`: `row`'s distance in each round.
    fn of_row(&self, row: &Candidate<'_>) -> String {
        let each = self.0.iter().map(|distances| format::ratio(distances.get(&row.record.id).copied()));
        each.collect::<Vec<_>>().join(", ")
    }

    /// `in round 2 of the 2 this run kept apart, B came as near or nearer
    /// (round by round: 1.04x, 0.938x, against 0.991x, 1.01x for A)`, for
    /// the rows `ahead` (A) and `behind` (B) of the overall ranking.
    fn describe(&self, split: Split, ahead: &Candidate<'_>, behind: &Candidate<'_>) -> String {
        format!(
            "in round {} of the {} this run kept apart, {} came as near or nearer (round by round: {}, \
             against {} for {})",
            split.round + 1,
            self.0.len(),
            behind.record.strategy,
            self.of_row(behind),
            self.of_row(ahead),
            ahead.record.strategy,
        )
    }
}

/// `A`, `A and B`, `A, B and C`.
fn names<'c>(rows: impl IntoIterator<Item = &'c Candidate<'c>>) -> String {
    let names: Vec<&str> = rows.into_iter().map(|c| c.record.strategy.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// What a run's recommendation rests on: the settings it judges, its rows
/// ranked on them, and which row it recommends.
struct Choice<'r> {
    /// The settings of the bar: the paced ones, or every one in a run
    /// without paced readers.
    judged: Vec<Setting>,
    /// The closed-loop settings, outside the bar.
    outside: Vec<Setting>,
    figures: Figures,
    /// Nearest the bar first; never empty.
    candidates: Vec<Candidate<'r>>,
    rounds: Rounds,
    /// The facade's default's place in `candidates`.
    default: Option<usize>,
    /// For each row nearer than the default, the round it did not stay
    /// ahead of the default in, if any.
    splits: Vec<Option<Split>>,
    /// The nearest row the run resolves ahead of the default, else the
    /// default.
    recommended: usize,
}

impl<'r> Choice<'r> {
    /// `None` without a workload.
    fn of(workload: &'r [WorkloadRecord]) -> Option<Self> {
        let (paced, closed): (Vec<Setting>, Vec<Setting>) =
            settings(workload).into_iter().partition(|s| matches!(s.load, ReaderLoad::Paced { .. }));
        let (judged, outside) = if paced.is_empty() { (closed, Vec::new()) } else { (paced, closed) };
        let figures = Figures::for_bar(workload, &judged);
        let candidates = candidates(workload, &judged, figures);
        if candidates.is_empty() {
            return None;
        }
        let rounds = Rounds::of(workload, &judged);
        let default = candidates.iter().position(|c| c.record.default);
        let splits: Vec<Option<Split>> = default.map_or_else(Vec::new, |default| {
            candidates[..default].iter().map(|c| rounds.split(c, &candidates[default])).collect()
        });
        let recommended = splits.iter().position(Option::is_none).or(default).unwrap_or(0);
        Some(Choice { judged, outside, figures, candidates, rounds, default, splits, recommended })
    }
}

/// A run's recommendation in brief, for the page that sets machines side
/// by side.
pub(crate) struct Summary {
    /// The recommended row's label.
    pub recommended: String,
    /// The settings it meets the bar in.
    pub recommended_met: usize,
    /// The settings of the bar.
    pub settings: usize,
    /// The row the run marked as the facade's default, and the settings it
    /// meets the bar in.
    pub default: Option<(String, usize)>,
    /// The default's writer against the clock-only floor with readers in a
    /// closed loop, lowest over those settings; `—` where not measured.
    pub default_writer: String,
    /// Every row's id and label, nearest the bar first.
    pub ranked: Vec<(String, String)>,
    /// The ids of the rows whose writer kept [`EVENTS_SHARE`] of the
    /// clock-only floor in every closed-loop setting; `None` where the run
    /// had no closed-loop setting with a floor.
    pub writer_kept: Option<Vec<String>>,
}

/// The recommendation of the run whose workload is `workload`; `None`
/// without one.
pub(crate) fn summary(workload: &[WorkloadRecord]) -> Option<Summary> {
    let choice = Choice::of(workload)?;
    let best = &choice.candidates[choice.recommended];
    let default = choice.default.map(|d| &choice.candidates[d]);
    let shares = WriterShares::of(workload, &choice.outside);
    let ids = choice.candidates.iter().map(|c| &c.record.id);
    Some(Summary {
        recommended: best.record.strategy.clone(),
        recommended_met: best.met(),
        settings: choice.judged.len(),
        default: default.map(|d| (d.record.strategy.clone(), d.met())),
        default_writer: default.map_or_else(|| "—".to_owned(), |d| shares.cell(&d.record.id)),
        ranked: choice.candidates.iter().map(|c| (c.record.id.clone(), c.record.strategy.clone())).collect(),
        writer_kept: (shares.settings > 0).then(|| ids.filter(|id| shares.kept(id)).cloned().collect()),
    })
}

/// The facade's default the machines' runs point to together, in words:
/// of the rows whose writer no machine's closed loop held under
/// [`EVENTS_SHARE`] of the clock-only floor, the one nearest the bar on the
/// machine with the most cores, where readers contend least for them.
/// `runs` are (machine, cores, summary); `default` is the facade's default
/// row's id. `None` without a run that measured a closed loop.
pub(crate) fn across_machines(runs: &[(String, u32, Summary)], default: &str) -> Option<String> {
    let judged: Vec<&Vec<String>> = runs.iter().filter_map(|(_, _, s)| s.writer_kept.as_ref()).collect();
    if judged.is_empty() {
        return None;
    }
    let (machine, _, deciding) = runs.iter().max_by_key(|(_, cores, _)| *cores)?;
    let kept: Vec<&(String, String)> =
        deciding.ranked.iter().filter(|(id, _)| judged.iter().all(|ids| ids.contains(id))).collect();
    let mut text = format!(
        "The facade's default across machines: the row to use is, of those whose writer kept {} of the \
         clock-only floor in every closed-loop setting on every machine, the one nearest the bar on the \
         machine with the most cores ({machine}).",
        format::percent(EVENTS_SHARE)
    );
    let Some((chosen, label)) = kept.first() else {
        return Some(text + " No row kept its writer so on every machine.");
    };
    let labels: Vec<&str> = kept.iter().map(|(_, label)| label.as_str()).collect();
    text += &format!(
        " {} of {} rows did ({}): that is {label}.",
        kept.len(),
        deciding.ranked.len(),
        labels.join(", ")
    );
    text += &if chosen == default {
        " The facade's default is that row.".to_owned()
    } else {
        let default =
            deciding.ranked.iter().find(|(id, _)| id == default).map_or(default, |(_, l)| l.as_str());
        format!(" ⚠ The facade's default, {default}, is not that row.")
    };
    Some(text)
}

/// Adds the Recommendation section to `doc`, from the `workload` and the
/// default's `head_to_head` runs; nothing without a workload.
pub(crate) fn section(workload: &[WorkloadRecord], head_to_head: &[WorkloadRecord], doc: &mut Document) {
    let Some(Choice { judged, outside, figures, candidates, rounds, default, splits, recommended }) =
        Choice::of(workload)
    else {
        return;
    };
    // Each row nearer than the default, with the round it did not stay ahead in, if any.
    let ahead: Vec<(&Candidate<'_>, Option<Split>)> = candidates.iter().zip(splits).collect();
    let best = &candidates[recommended];
    // The rows nearer than the recommendation, each with the round it did not stay ahead of the default in.
    let passed_over: Vec<(&Candidate<'_>, Split)> =
        ahead[..recommended.min(ahead.len())].iter().filter_map(|&(c, split)| Some((c, split?))).collect();
    let settings = judged.len();
    let which = if outside.is_empty() { "settings" } else { "settings with paced readers" };
    doc.heading(2, "Recommendation");
    let bar = format!(
        "at least {} of the best row's lifecycle events/s, query p50 within {} and p99.9 within {} \
         of the best row's",
        format::percent(EVENTS_SHARE),
        format::ratio(Some(P50_FACTOR)),
        format::ratio(Some(P999_FACTOR)),
    );
    let distance = |c: &Candidate<'_>| format::ratio(Some(c.distance()));
    let mut text = "Computed from the supervisor workload above. ".to_owned();
    match (recommended, default) {
        (0, _) => {
            text += &format!(
                "Use {}: of every row it comes nearest the bar ({bar}) across the {settings} {which}{} \
                 ({} from it), and meets it in {} of them.",
                best.record.strategy,
                if figures == Figures::Median { format!(", {}", figures.phrase()) } else { String::new() },
                distance(best),
                best.met(),
            );
            if let Some(default) = default.filter(|&d| d > 0).map(|d| &candidates[d]) {
                text += &if rounds.0.is_empty() {
                    " This run did not keep two rounds of every row apart, so that rests on its merged figures \
                     alone."
                        .to_owned()
                } else {
                    format!(
                        " It was nearer than the facade's default in each of the {} rounds this run kept \
                         apart too (round by round: {}, against {} for {}).",
                        rounds.0.len(),
                        rounds.of_row(best),
                        rounds.of_row(default),
                        default.record.strategy
                    )
                };
            }
            // The default nearest, but a round put another row level with or ahead of it.
            let level: Vec<(&Candidate<'_>, Split)> = match default {
                Some(0) => candidates[1..].iter().filter_map(|c| Some((c, rounds.split(best, c)?))).collect(),
                _ => Vec::new(),
            };
            if let Some(&(row, split)) = level.first() {
                text += &format!(
                    " This run does not resolve it from {} ({} from the bar): {}.",
                    row.record.strategy,
                    distance(row),
                    rounds.describe(split, best, row)
                );
                if level.len() > 1 {
                    text += &format!(
                        " Nor from {}, {}level with or ahead of it in a round.",
                        names(level[1..].iter().map(|&(c, _)| c)),
                        if level.len() > 2 { "each " } else { "" }
                    );
                }
            }
        }
        (_, Some(default)) => {
            let default = &candidates[default];
            let (first, split) = passed_over[0];
            let others = if passed_over.len() > 1 {
                format!(
                    " {}, also nearer than the default {}, did not stay ahead of the default in every \
                     round either.",
                    names(passed_over[1..].iter().map(|&(c, _)| c)),
                    figures.phrase(),
                )
            } else {
                String::new()
            };
            if best.record.default {
                text += &format!(
                    "Use {}, the facade's default: {} nearer the bar ({bar}) across the {settings} \
                     {which}, {}, but {} in every round this run kept apart. The \
                     nearest, {}, is {} from it (meeting it in {} of them) against the default's {}, \
                     but {}.{others} The default meets the bar in {} of the {settings}.",
                    best.record.strategy,
                    match passed_over.len() {
                        1 => "one row came".to_owned(),
                        rows => format!("{rows} rows came"),
                    },
                    figures.phrase(),
                    if passed_over.len() == 1 { "not" } else { "none" },
                    first.record.strategy,
                    distance(first),
                    first.met(),
                    distance(best),
                    rounds.describe(split, first, default),
                    best.met(),
                );
            } else {
                text += &format!(
                    "Use {}: it comes nearer the bar ({bar}) across the {settings} {which} than the \
                     facade's default, {} ({} against {}) and in every round this run kept apart \
                     (round by round: {}, against {}), and meets it in {} of them. {} comes nearer \
                     still ({}), but not in every round against the default: {}.{others}",
                    best.record.strategy,
                    figures.phrase(),
                    distance(best),
                    distance(default),
                    rounds.of_row(best),
                    rounds.of_row(default),
                    best.met(),
                    first.record.strategy,
                    distance(first),
                    rounds.describe(split, first, default),
                );
            }
        }
        (_, None) => unreachable!("only a default is passed over"),
    }
    let most = candidates.iter().map(Candidate::met).max().unwrap_or(0);
    if most * 2 <= settings {
        text += &format!(" No row meets the bar in more than {most} of the {settings} settings.");
    }
    let misses = best.misses();
    if misses.is_empty() {
        text += " It loses in no setting.";
    } else {
        text += &format!(" Where it falls short: {}.", misses.join("; "));
    }
    if let Some(noise) = noise_sentence(workload, &judged, figures) {
        text += &noise;
    }
    doc.text(Style::Finding, text);
    let mut verdict = default_verdict(&candidates, recommended);
    if figures == Figures::Median {
        verdict += &merged_standing(workload, &judged);
    }
    doc.text(Style::Finding, verdict);
    doc.table(3, standings_table("Every registry against the bar", &candidates, figures));
    head_to_head_part(workload, head_to_head, &judged, &candidates, doc);
    if !outside.is_empty() {
        closed_loop_part(workload, &outside, doc);
    }
}

/// How much of the bar this run can resolve: the largest, over `settings`,
/// of the median row's spread between its own rounds, in p99.9 and in p50,
/// beside the bar's factors; `None` without rounds. The bar reads
/// `figures`: a spread that reaches a factor can decide a merged figure, but
/// only a single round where the bar reads the median one.
fn noise_sentence(workload: &[WorkloadRecord], settings: &[Setting], figures: Figures) -> Option<String> {
    let noisiest = |of: fn(&Percentiles) -> f64| {
        settings
            .iter()
            .filter_map(|&setting| {
                let spread = round_spread(workload.iter().filter(|r| r.setting() == setting), of)?;
                Some((spread.median, setting))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let (tail, tail_setting) = noisiest(|p| p.p999_ns)?;
    let (p50, p50_setting) = noisiest(|p| p.p50_ns)?;
    let mut text = format!(
        " How finely this run can judge: between its own rounds (its highest over its lowest), the \
         median row's p99.9 moved by up to {} (in {}) and its p50 by up to {} (in {}), against the \
         bar's {} and {} between rows.",
        format::ratio(Some(tail)),
        tail_setting.label(),
        format::ratio(Some(p50)),
        p50_setting.label(),
        format::ratio(Some(P999_FACTOR)),
        format::ratio(Some(P50_FACTOR)),
    );
    // Compared as shown, to two decimals: "1.50x against the bar's 1.50x" reaches it.
    let reaches = |spread: f64, factor: f64| (spread * 100.0).round() >= (factor * 100.0).round();
    let (what_moves, median) = match figures {
        Figures::Median => (
            "a single round",
            " The distances read each row's median round, which one slow round cannot decide; a \
             row still replaces the default only if it is nearer in every round.",
        ),
        Figures::Merged | Figures::Round(_) => ("a row", ""),
    };
    let mut reached = false;
    for (spread, factor, setting, what) in
        [(tail, P999_FACTOR, tail_setting, "p99.9"), (p50, P50_FACTOR, p50_setting, "p50")]
    {
        if reaches(spread, factor) {
            reached = true;
            text += &format!(
                " The {what} spread reaches the bar's factor: in {}, {what_moves} can meet or miss the bar \
                 on {what} by noise alone.",
                setting.label()
            );
        }
    }
    if reached {
        text += median;
    }
    Some(text)
}

/// The default against each setting's best rows, head to head, in the
/// `judged` settings the run did that in, beside its standing in the main
/// pass (`ranked`, every row there); nothing where it did not. A setting
/// whose head-to-head lacks a default row is left out.
fn head_to_head_part(
    workload: &[WorkloadRecord],
    head_to_head: &[WorkloadRecord],
    judged: &[Setting],
    ranked: &[Candidate<'_>],
    doc: &mut Document,
) {
    let settings: Vec<Setting> =
        judged.iter().copied().filter(|&s| head_to_head.iter().any(|r| r.setting() == s)).collect();
    let figures = Figures::for_bar(head_to_head, &settings);
    let candidates = candidates(head_to_head, &settings, figures);
    let Some(default) = candidates.iter().find(|c| c.record.default) else {
        return;
    };
    let rounds = match fewest_rounds(head_to_head, &settings) {
        0 => "in rounds not recorded apart".to_owned(),
        1 => "one round".to_owned(),
        rounds => format!("{rounds} interleaved rounds"),
    };
    let mut text = format!(
        "Head to head: in each setting above, the best row is the best of {} noisy rows, so its figures \
         are biased low, the winner partly whichever row drew the quietest rounds (the winner's curse). \
         After each setting's main pass, the default ran again against the rows best there on each \
         criterion other than itself, {rounds} among those rows alone, {}. Head to head, the default \
         meets the bar in {} of {} settings.",
        ranked.len(),
        figures.phrase(),
        default.met(),
        default.standings.len(),
    );
    let misses = default.misses();
    if !misses.is_empty() {
        text += &format!(" Where it falls short: {}.", misses.join("; "));
    }
    text += " The ranking and the recommendation above stay on the main pass, where every row is measured \
             alike.";
    doc.text(Style::Finding, text);
    let header = [
        "Setting",
        "Against",
        "Default's events/s",
        "Default's p50",
        "Default's p99.9",
        "Head to head",
        "Main pass",
    ];
    let mut table = Table::new(
        "The default head to head with each setting's best rows",
        header.map(str::to_owned).to_vec(),
    );
    table.left = 2;
    table.note(format!(
        "Per setting: the rows the main pass found best on events/s (where the writer is not paced to a \
         target), p50 or p99.9, other than the default, each with what it was best on; the default's \
         events/s as a share of the most among the rows head to head, and its p50 and p99.9 over the \
         lowest among them, itself included{}; whether it meets the bar head to head, and in the main \
         pass.",
        match figures {
            Figures::Median => ", each row's median round",
            Figures::Merged | Figures::Round(_) => "",
        }
    ));
    let verdict = |standing: &Standing| {
        if standing.meets_the_bar() { "met".to_owned() } else { standing.shortfalls().join(", ") }
    };
    let default_in_main_pass = ranked.iter().find(|c| c.record.default);
    for standing in &default.standings {
        // Each row with the criteria the main pass found it best on.
        let main_pass: Vec<WorkloadRecord> =
            workload.iter().filter(|r| r.setting() == standing.setting).cloned().collect();
        let chosen = best_others(&main_pass);
        let against: Vec<String> = head_to_head
            .iter()
            .filter(|r| r.setting() == standing.setting && !r.default && r.kind != Family::Floor)
            .map(|r| {
                let won: Vec<&str> =
                    chosen.iter().filter(|(_, best)| best.id == r.id).map(|&(name, _)| name).collect();
                if won.is_empty() {
                    r.strategy.clone()
                } else {
                    format!("{} ({})", r.strategy, won.join(", "))
                }
            })
            .collect();
        let main =
            default_in_main_pass.and_then(|c| c.standings.iter().find(|s| s.setting == standing.setting));
        table.row(vec![
            standing.setting.label(),
            against.join(", "),
            format::percent(standing.events_share),
            format::ratio(Some(standing.p50_ratio)),
            format::ratio(Some(standing.p999_ratio)),
            verdict(standing),
            main.map_or_else(|| "—".to_owned(), verdict),
        ]);
    }
    doc.table(3, table);
}

/// The closed-loop settings, outside the bar: the same standings, where the
/// default stands, and what readers that never block leave the writer,
/// beside what the default's readers leave it where the writer is not
/// paced (well below the floor, the registry itself holds its writer back).
fn closed_loop_part(workload: &[WorkloadRecord], settings: &[Setting], doc: &mut Document) {
    let figures = Figures::for_bar(workload, settings);
    let candidates = candidates(workload, settings, figures);
    let mut text = "Outside the bar: with the readers in a closed loop, each row offers as much load as \
                    its readers can make, so a row whose readers block leaves its writer the cores \
                    they wait on."
        .to_owned();
    if let Some(default) = candidates.iter().find(|c| c.record.default) {
        text += &format!(
            " There the facade's default meets the bar in {} of {} settings, at {} of the best \
             row's events/s at worst.",
            default.met(),
            default.standings.len(),
            format::percent(default.worst(|s| s.events_share, true)),
        );
    }
    let floors: Vec<String> = settings
        .iter()
        .filter_map(|&setting| {
            let floor = workload.iter().find(|r| r.setting() == setting && r.kind == Family::Floor)?;
            let best = workload
                .iter()
                .filter(|r| r.setting() == setting && r.kind != Family::Floor)
                .max_by(|a, b| a.events_per_sec().total_cmp(&b.events_per_sec()))?;
            (floor.events > 0).then(|| {
                // Only where the writer runs flat out: one paced at a target
                // reaches it under every row, so a share there is noise.
                let default = workload
                    .iter()
                    .find(|r| r.setting() == setting && r.default && r.target_events_per_sec.is_none())
                    .map(|r| {
                        format!(
                            "the default: {}, {} of it; ",
                            format::per_sec(Some(r.events_per_sec())),
                            format::percent(r.events_per_sec() / floor.events_per_sec())
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{} in {} ({default}best row: {} under {})",
                    format::per_sec(Some(floor.events_per_sec())),
                    setting.label(),
                    format::per_sec(Some(best.events_per_sec())),
                    best.strategy
                )
            })
        })
        .collect();
    if !floors.is_empty() {
        text += &format!(
            " Readers that only read the clock, never blocking, left the writer {}.",
            floors.join("; ")
        );
    }
    let writers = WriterShares::of(workload, settings);
    if writers.settings > 0 {
        let kept: Vec<&Candidate<'_>> = candidates.iter().filter(|c| writers.kept(&c.record.id)).collect();
        let where_ = if writers.settings == settings.len() {
            "in every closed-loop setting".to_owned()
        } else {
            format!("in each of the {} closed-loop settings with a floor", writers.settings)
        };
        text += &format!(
            " {} of {} rows kept their writer at {} or more of the clock-only floor's events/s {where_} \
             (the last column: each row's lowest)",
            kept.len(),
            candidates.len(),
            format::percent(EVENTS_SHARE)
        );
        text += &match candidates.iter().find(|c| c.record.default) {
            Some(default) if kept.iter().any(|c| c.record.default) => {
                format!("; the default, {}, is one of them.", default.record.strategy)
            }
            Some(default) => match writers.rows.get(&default.record.id) {
                Some(&(lowest, _)) => format!(
                    "; the default, {}, is not: {} at worst.",
                    default.record.strategy,
                    format::percent(lowest)
                ),
                None => format!("; the default, {}, ran beside no floor.", default.record.strategy),
            },
            None => ".".to_owned(),
        };
    }
    doc.text(Style::Finding, text);
    let mut table = standings_table(
        "Every registry with readers in a closed loop (outside the bar)",
        &candidates,
        figures,
    );
    if writers.settings > 0 {
        table.header.push("Writer vs the floor".to_owned());
        table.note(
            "Writer vs the floor: its writer's events/s as a share of the clock-only floor's in the same \
             setting, lowest over the settings (where the writer is paced to a target, one that keeps up \
             is level with the floor); with how many settings it covers, where not all.",
        );
        for (row, candidate) in table.rows.iter_mut().zip(&candidates) {
            row.push(writers.cell(&candidate.record.id));
        }
    }
    doc.table(3, table);
}

/// Each row's writer against the floor's: its events/s over the clock-only
/// floor's in the same setting, lowest over the settings where the floor
/// recorded events. Where the writer is paced to a target, the floor
/// reaches it, so a share below it is a writer that fell behind.
struct WriterShares {
    /// Settings with a floor that recorded events.
    settings: usize,
    /// By id: the lowest share, and over how many of those settings.
    rows: HashMap<String, (f64, usize)>,
}

impl WriterShares {
    fn of(workload: &[WorkloadRecord], settings: &[Setting]) -> Self {
        let mut shares = WriterShares { settings: 0, rows: HashMap::new() };
        for &setting in settings {
            let rows = workload.iter().filter(|r| r.setting() == setting);
            let Some(floor) = rows.clone().find(|r| r.kind == Family::Floor && r.events > 0) else {
                continue;
            };
            shares.settings += 1;
            for row in rows.filter(|r| r.kind != Family::Floor) {
                let share = row.events_per_sec() / floor.events_per_sec();
                let (lowest, covered) = shares.rows.entry(row.id.clone()).or_insert((share, 0));
                *lowest = lowest.min(share);
                *covered += 1;
            }
        }
        shares
    }

    /// Whether `id`'s writer kept [`EVENTS_SHARE`] of the floor in every setting with one.
    fn kept(&self, id: &str) -> bool {
        self.rows.get(id).is_some_and(|&(lowest, covered)| lowest >= EVENTS_SHARE && covered == self.settings)
    }

    /// `62%`, or `62% (4 of 6 settings)` where `id` ran beside fewer floors.
    fn cell(&self, id: &str) -> String {
        match self.rows.get(id) {
            Some(&(lowest, covered)) if covered == self.settings => format::percent(lowest),
            Some(&(lowest, covered)) => {
                format!("{} ({covered} of {} settings)", format::percent(lowest), self.settings)
            }
            None => "—".to_owned(),
        }
    }
}

/// Where the facade's default stands on the merged figures (every query of
/// every round), beside a bar that reads median rounds; empty without a
/// default.
fn merged_standing(workload: &[WorkloadRecord], settings: &[Setting]) -> String {
    let merged = candidates(workload, settings, Figures::Merged);
    merged.iter().position(|c| c.record.default).map_or_else(String::new, |rank| {
        let default = &merged[rank];
        format!(
            " Judged on the merged figures instead of median rounds (every query of every round, as \
             the tables of each setting show), it meets the bar in {} of {} settings, {} from the bar \
             (rank {} of {}).",
            default.met(),
            default.standings.len(),
            format::ratio(Some(default.distance())),
            rank + 1,
            merged.len()
        )
    })
}

/// Whether the facade's default is the recommended row, in words.
fn default_verdict(candidates: &[Candidate<'_>], recommended: usize) -> String {
    match candidates.iter().position(|c| c.record.default) {
        Some(rank) if rank == recommended => {
            let kept = if rank > 0 {
                format!(" (rank {} of {} by distance to the bar, kept as above)", rank + 1, candidates.len())
            } else {
                String::new()
            };
            format!(
                "The procstore facade's default ({}) is the recommended registry{kept}.",
                candidates[rank].record.strategy
            )
        }
        Some(rank) => {
            let default = &candidates[rank];
            format!(
                "⚠ The procstore facade's default ({}) is not the recommended registry: it meets the bar \
                 in {} of {} settings (rank {} of {}).",
                default.record.strategy,
                default.met(),
                default.standings.len(),
                rank + 1,
                candidates.len()
            )
        }
        None => "No row of this run is marked as the procstore facade's default.".to_owned(),
    }
}

fn standings_table(title: &str, candidates: &[Candidate<'_>], figures: Figures) -> Table {
    let header =
        ["Registry", "Settings met", "Distance to the bar", "Fewest events/s", "Worst p50", "Worst p99.9"];
    let mut table = Table::new(title, header.map(str::to_owned).to_vec());
    table.note(
        "Per row, across the workload settings: how many settings it meets the bar in; its \
         distance to the bar (per setting, its worst criterion as a factor of the bar, 1.00x or \
         less meeting it; geometric mean over settings); its lowest share of the best row's \
         events/s; and its highest p50 and p99.9 over the best row's."
            .to_owned()
            + match figures {
                Figures::Median => {
                    " Latency here is each row's median round (per percentile, the median of its \
                     rounds'), not the merged figures of the tables above."
                }
                Figures::Merged | Figures::Round(_) => "",
            },
    );
    for candidate in candidates {
        table.row(vec![
            row_label(candidate.record),
            format!("{} of {}", candidate.met(), candidate.standings.len()),
            format::ratio(Some(candidate.distance())),
            format::percent(candidate.worst(|s| s.events_share, true)),
            format::ratio(Some(candidate.worst(|s| s.p50_ratio, false))),
            format::ratio(Some(candidate.worst(|s| s.p999_ratio, false))),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Percentiles, WorkloadMode};

    /// A summary ranking `ranked` (ids, labelled in capitals), whose
    /// writers `kept` the floor.
    fn summary_of(ranked: &[&str], kept: Option<&[&str]>) -> Summary {
        Summary {
            recommended: ranked[0].to_uppercase(),
            recommended_met: 1,
            settings: 1,
            default: None,
            default_writer: "—".to_owned(),
            ranked: ranked.iter().map(|id| ((*id).to_owned(), id.to_uppercase())).collect(),
            writer_kept: kept.map(|ids| ids.iter().map(|id| (*id).to_owned()).collect()),
        }
    }

    #[test]
    fn across_machines_keeps_writers_everywhere_then_ranks_on_the_most_cores() {
        let runs = vec![
            ("small".to_owned(), 2, summary_of(&["x", "y", "z"], Some(&["y", "z"]))),
            ("big".to_owned(), 16, summary_of(&["x", "z", "y"], Some(&["x", "y", "z"]))),
            ("no-closed-loop".to_owned(), 4, summary_of(&["y", "x", "z"], None)),
        ];
        // x starved its writer on the small machine; of y and z, the big one ranks z first.
        let text = across_machines(&runs, "y").expect("a closed loop was measured");
        assert!(text.contains("on the machine with the most cores (big)"), "{text}");
        assert!(text.contains("2 of 3 rows did (Z, Y): that is Z."), "{text}");
        assert!(text.ends_with("⚠ The facade's default, Y, is not that row."), "{text}");
        assert!(across_machines(&runs, "z").unwrap().ends_with("The facade's default is that row."));

        let starved = vec![("small".to_owned(), 2, summary_of(&["x"], Some(&[])))];
        assert!(
            across_machines(&starved, "x").unwrap().ends_with("No row kept its writer so on every machine.")
        );
        let open = vec![("small".to_owned(), 2, summary_of(&["x"], None))];
        assert_eq!(across_machines(&open, "x"), None, "no closed loop, no judgment");
    }

    fn record(
        id: &str,
        mode: WorkloadMode,
        events: u64,
        p50: f64,
        p999: f64,
        default: bool,
    ) -> WorkloadRecord {
        let latency = Percentiles { count: 10, p50_ns: p50, p99_ns: p999, p999_ns: p999, max_ns: p999 };
        WorkloadRecord {
            mode,
            id: id.to_owned(),
            strategy: id.to_owned(),
            kind: Family::Atomic,
            default,
            children: 16,
            readers: 2,
            load: ReaderLoad::ClosedLoop,
            seconds: 1.0,
            queries: 10,
            events,
            target_events_per_sec: None,
            latency,
            by_query: Vec::new(),
            event_lag: None,
            rounds: Vec::new(),
        }
    }

    #[test]
    fn the_row_nearest_the_bar_is_recommended_with_its_losses() {
        use WorkloadMode::{Processes, Simulated};
        let workload = [
            record("fast", Processes, 1000, 100.0, 1000.0, true),
            record("starved", Processes, 50, 90.0, 1000.0, false),
            record("fast", Simulated, 90_000, 140.0, 1000.0, true),
            record("starved", Simulated, 100_000, 100.0, 1000.0, false),
        ];
        let ranked = candidates(&workload, &settings(&workload), Figures::Merged);
        assert_eq!(
            ranked.iter().map(|c| (c.record.id.as_str(), c.met())).collect::<Vec<_>>(),
            [("fast", 1), ("starved", 1)]
        );
        let mut doc = Document::new("t", None);
        section(&workload, &[], &mut doc);
        let text = crate::markdown::encode(&doc);
        assert!(text.contains("Use fast: of every row it comes nearest the bar"), "{text}");
        assert!(text.contains("across the 2 settings (1.00x from it), and meets it in 1 of them."), "{text}");
        assert!(text.contains("No row meets the bar in more than 1 of the 2 settings."), "{text}");
        assert!(
            text.contains(
                "Where it falls short: simulated event stream, 2 readers in a closed loop: p50 1.40x the best."
            ),
            "{text}"
        );
        assert!(text.contains("default (fast) is the recommended registry"), "{text}");
        assert!(text.contains("| starved | 1 of 2 | 4.02x | 5% |"), "{text}");
    }

    #[test]
    fn a_default_that_loses_is_flagged() {
        let workload = [
            record("good", WorkloadMode::Simulated, 1000, 100.0, 1000.0, false),
            record("default", WorkloadMode::Simulated, 10, 500.0, 9000.0, true),
        ];
        let mut doc = Document::new("t", None);
        section(&workload, &[], &mut doc);
        let text = crate::markdown::encode(&doc);
        assert!(text.contains("⚠ The procstore facade's default (default) is not the recommended"), "{text}");
        assert!(text.contains("meets the bar in 0 of 1 settings (rank 2 of 2)"), "{text}");
    }

    #[test]
    fn the_bar_is_taken_with_paced_readers_and_the_closed_loop_is_shown_beside_it() {
        let paced = ReaderLoad::Paced { queries_per_sec: 1000 };
        let at = |load, r: WorkloadRecord| WorkloadRecord { load, ..r };
        let mut floor = record("timer", WorkloadMode::Processes, 300, 30.0, 70.0, false);
        floor.kind = Family::Floor;
        let workload = [
            at(paced, record("atomic", WorkloadMode::Processes, 900, 100.0, 1000.0, true)),
            at(paced, record("lock", WorkloadMode::Processes, 880, 150.0, 1000.0, false)),
            record("atomic", WorkloadMode::Processes, 100, 100.0, 1000.0, true),
            record("lock", WorkloadMode::Processes, 800, 150.0, 1000.0, false),
            floor,
        ];
        let mut doc = Document::new("t", None);
        section(&workload, &[], &mut doc);
        let text = crate::markdown::encode(&doc);
        assert!(text.contains("Use atomic: of every row it comes nearest the bar"), "{text}");
        assert!(text.contains("across the 1 settings with paced readers (0.900x from it)"), "{text}");
        assert!(text.contains("It loses in no setting."), "{text}");
        assert!(text.contains("default (atomic) is the recommended registry"), "{text}");
        assert!(
            text.contains("There the facade's default meets the bar in 0 of 1 settings, at 12% of the best"),
            "{text}"
        );
        assert!(
            text.contains(
                "never blocking, left the writer 300/s in real child processes, 2 readers in a closed \
                 loop (the default: 100/s, 33% of it; best row: 800/s under lock)."
            ),
            "{text}"
        );
        assert!(
            text.contains("### Every registry with readers in a closed loop (outside the bar)"),
            "{text}"
        );
    }

    /// A row with events/s and p50 equal to every other's, and the given
    /// p99.9: merged, then per round.
    fn tail(id: &str, default: bool, merged: f64, rounds: &[f64]) -> WorkloadRecord {
        let at = |p999_ns| Percentiles { count: 5, p50_ns: 100.0, p99_ns: p999_ns, p999_ns, max_ns: p999_ns };
        let mut row = record(id, WorkloadMode::Simulated, 1000, 100.0, merged, default);
        row.rounds = rounds.iter().map(|&p999| at(p999)).collect();
        row
    }

    fn recommendation(workload: &[WorkloadRecord]) -> String {
        let mut doc = Document::new("t", None);
        section(workload, &[], &mut doc);
        crate::markdown::encode(&doc)
    }

    const BAR: &str = "(at least 90% of the best row's lifecycle events/s, query p50 within 1.25x and p99.9 \
                       within 1.50x of the best row's)";

    /// Against each criterion's best row other than the default and the
    /// floors, each once, judged on median rounds where every row kept
    /// three.
    #[test]
    fn the_head_to_head_takes_the_best_other_row_on_each_criterion() {
        let mut floor = record("timer", WorkloadMode::Simulated, 2000, 10.0, 10.0, false);
        floor.kind = Family::Floor;
        let rows = [
            record("default", WorkloadMode::Simulated, 1000, 50.0, 900.0, true),
            record("events", WorkloadMode::Simulated, 1100, 90.0, 900.0, false),
            record("p50", WorkloadMode::Simulated, 1000, 60.0, 800.0, false),
            record("tail", WorkloadMode::Simulated, 1000, 70.0, 700.0, false),
            floor,
        ];
        assert_eq!(head_to_head_rows(&rows), ["events", "p50", "tail"]);

        // A writer paced to a target: the most events/s is luck, and chooses nothing.
        let mut paced = rows.clone();
        for row in &mut paced {
            row.target_events_per_sec = Some(1000.0);
        }
        assert_eq!(head_to_head_rows(&paced), ["p50", "tail"]);

        // One row best on two criteria is run once.
        let mut both = rows.clone();
        both[2].latency.p999_ns = 600.0;
        assert_eq!(head_to_head_rows(&both), ["events", "p50"]);

        // With three rounds of every row, a merged tail from one slow round does not choose.
        let rounds = |row: &mut WorkloadRecord, tails: [f64; 3]| {
            row.rounds =
                tails.map(|p999_ns| Percentiles { p999_ns, p99_ns: p999_ns, ..row.latency }).to_vec();
        };
        let mut median = rows.clone();
        for row in &mut median[..4] {
            let tail = row.latency.p999_ns;
            rounds(row, [tail; 3]);
        }
        rounds(&mut median[1], [500.0, 500.0, 5000.0]);
        median[1].latency.p999_ns = 2000.0;
        assert_eq!(
            head_to_head_rows(&median),
            ["events", "p50"],
            "the events row's median tail (500 ns) is the best; its merged one would have chosen tail"
        );
    }

    /// The default's head-to-head is judged on its own rounds (the median
    /// of three), setting by setting beside its main-pass standing there,
    /// which it does not change; each row is named with what the main pass
    /// found it best on; a closed-loop head-to-head is left out where the
    /// bar is paced; without one, nothing is said.
    #[test]
    fn the_default_is_judged_again_head_to_head() {
        let paced = ReaderLoad::Paced { queries_per_sec: 1000 };
        // A row in `readers`' paced setting, with three rounds: two at its figures, one slow.
        let row = |id: &str, readers: u32, events: u64, p50: f64, p999: f64| {
            let mut row = record(id, WorkloadMode::Processes, events, p50, p999, id == "default");
            (row.readers, row.load) = (readers, paced);
            let slow = Percentiles { p999_ns: p999 * 10.0, max_ns: p999 * 10.0, ..row.latency };
            row.rounds = vec![row.latency, slow, row.latency];
            if id == "tail" {
                // Its merged tail took the slow round's: only its median round is the best.
                row.latency = Percentiles { p999_ns: 5000.0, max_ns: 5000.0, ..row.latency };
            }
            row
        };
        // In each setting one row best on each criterion; the default misses
        // on p99.9 with 2 readers (3.00x), and meets the bar with 10.
        let main: Vec<WorkloadRecord> = [(2, 3000.0), (10, 1200.0)]
            .into_iter()
            .flat_map(|(readers, default_tail)| {
                [
                    row("default", readers, 1000, 100.0, default_tail),
                    row("events", readers, 1050, 120.0, 1400.0),
                    row("p50", readers, 1000, 90.0, 1400.0),
                    row("tail", readers, 1000, 120.0, 1000.0),
                ]
            })
            .collect();
        let report = |head_to_head: &[WorkloadRecord]| {
            let mut doc = Document::new("t", None);
            section(&main, head_to_head, &mut doc);
            crate::markdown::encode(&doc)
        };
        assert!(!report(&[]).contains("Head to head"));

        // Head to head, the other way round: met with 2 readers, 2.00x with 10.
        let mut again: Vec<WorkloadRecord> = main.clone();
        again.iter_mut().filter(|r| r.default).for_each(|r| {
            let tail = if r.readers == 2 { 1100.0 } else { 2000.0 };
            *r = row("default", r.readers, 1000, 100.0, tail);
        });
        let mut closed = row("default", 2, 1000, 100.0, 99_000.0);
        closed.load = ReaderLoad::ClosedLoop;
        again.push(closed.clone());
        let text = report(&again);
        let [two, ten] = [2, 10].map(|readers| Setting { readers, ..main[0].setting() }.label());
        assert!(
            text.contains(&format!(
                "After each setting's main pass, the default ran again against the rows best there on \
                 each criterion other than itself, 3 interleaved rounds among those rows alone, judged on \
                 each row's median round. Head to head, the default meets the bar in 1 of 2 settings. \
                 Where it falls short: {ten}: p99.9 2.00x the best. The ranking and the recommendation \
                 above stay on the main pass, where every row is measured alike."
            )),
            "{text}"
        );
        let against = "events (events/s), p50 (p50), tail (p99.9)";
        for expected in [
            format!("| {two} | {against} | 95% | 1.11x | 1.10x | met | p99.9 3.00x the best |"),
            format!("| {ten} | {against} | 95% | 1.11x | 2.00x | p99.9 2.00x the best | met |"),
        ] {
            assert!(text.contains(&expected), "{expected} in {text}");
        }
        assert!(!text.contains(&closed.setting().label()), "{text}");
    }

    /// The default stays the recommendation where one of the run's rounds
    /// puts the nearer row level with or behind it, and is flagged where
    /// every round puts it behind, or where the run kept fewer than two
    /// rounds of some row to judge by. The table stays in merged order.
    #[test]
    fn the_default_stays_unless_every_round_puts_another_row_nearer() {
        let rows = |default_second_round| {
            [
                tail("lock", false, 1000.0, &[1000.0, 2000.0]),
                tail("atomic", true, 1600.0, &[1800.0, default_second_round]),
            ]
        };
        let tied = recommendation(&rows(1000.0));
        let expected = format!(
            "Use atomic, the facade's default: one row came nearer the bar {BAR} across the 1 settings, \
             in the merged figures, but not in every round this run kept apart. The nearest, lock, is \
             0.900x from it (meeting it in 1 of them) against the default's 1.07x, but in round 2 of the \
             2 this run kept apart, atomic came as near or nearer (round by round: 1.20x, 0.900x, against \
             0.900x, 1.33x for lock). The default meets the bar in 0 of the 1."
        );
        assert!(tied.contains(&expected), "{tied}");
        assert!(
            tied.contains(
                "The procstore facade's default (atomic) is the recommended registry (rank 2 of 2 by \
                 distance to the bar, kept as above)."
            ),
            "{tied}"
        );
        let row = |label: &str| tied.find(&format!("| {label} |")).expect(label);
        assert!(row("lock") < row("atomic (default)"), "the table is in merged order: {tied}");

        // Level in the second round (both 0.900x): not resolved either.
        let mut level = rows(1000.0);
        level[0].rounds[1].p999_ns = 1000.0;
        assert!(recommendation(&level).contains("Use atomic, the facade's default"));

        // The lock is nearer in both rounds (2000 ns against 3000 ns in the second).
        let resolved = recommendation(&rows(3000.0));
        assert!(
            resolved.contains(
                "Use lock: of every row it comes nearest the bar {BAR} across the 1 settings (0.900x from \
                 it), and meets it in 1 of them. It was nearer than the facade's default in each of the 2 \
                 rounds this run kept apart too (round by round: 0.900x, 0.900x, against 1.20x, 1.00x for \
                 atomic)."
                    .replace("{BAR}", BAR)
                    .as_str()
            ),
            "{resolved}"
        );
        assert!(
            resolved.contains("⚠ The procstore facade's default (atomic) is not the recommended"),
            "{resolved}"
        );

        // A row with one round: nothing to resolve with, the nearest row is recommended.
        let mut short = rows(1000.0);
        short[0].rounds.truncate(1);
        let short = recommendation(&short);
        assert!(
            short.contains(
                "This run did not keep two rounds of every row apart, so that rests on its merged figures \
                 alone."
            ),
            "{short}"
        );
        assert!(
            short.contains("⚠ The procstore facade's default (atomic) is not the recommended"),
            "{short}"
        );
    }

    /// Of the rows ahead of the default, the nearest one that stays ahead
    /// of it in every round is recommended, not the nearest overall and not
    /// a farther one; a floor row without rounds does not stop the rounds
    /// being used.
    #[test]
    fn the_nearest_row_resolved_ahead_of_the_default_is_recommended() {
        let mut floor = record("timer", WorkloadMode::Simulated, 1000, 20.0, 40.0, false);
        floor.kind = Family::Floor;
        let workload = [
            tail("a", false, 1000.0, &[1000.0, 3000.0]),
            tail("a2", false, 1100.0, &[1100.0, 3000.0]),
            tail("b", false, 1560.0, &[1560.0, 1560.0]),
            tail("c", false, 1700.0, &[1700.0, 1700.0]),
            tail("d", true, 1800.0, &[1800.0, 2400.0]),
            floor,
        ];
        let text = recommendation(&workload);
        let expected = format!(
            "Use b: it comes nearer the bar {BAR} across the 1 settings than the facade's default, in the \
             merged figures (1.04x against 1.20x) and in every round this run kept apart (round by round: \
             1.04x, 0.900x, against 1.20x, 1.03x), and meets it in 0 of them. a comes nearer still \
             (0.900x), but not in every round against the default: in round 2 of the 2 this run kept \
             apart, d came as near or nearer (round by round: 1.20x, 1.03x, against 0.900x, 1.28x for a). \
             a2, also nearer than the default in the merged figures, did not stay ahead of the default \
             in every round either."
        );
        assert!(text.contains(&expected), "{text}");
        assert!(
            text.contains("⚠ The procstore facade's default (d) is not the recommended registry"),
            "{text}"
        );
        assert!(text.contains("(rank 5 of 5)"), "{text}");

        // The default kept over two rows nearer in the merged figures.
        let kept = recommendation(&[
            tail("a", false, 1000.0, &[1000.0, 3000.0]),
            tail("a2", false, 1100.0, &[1100.0, 3000.0]),
            tail("d", true, 1600.0, &[1800.0, 1000.0]),
        ]);
        let expected = format!(
            "Use d, the facade's default: 2 rows came nearer the bar {BAR} across the 1 settings, in the \
             merged figures, but none in every round this run kept apart. The nearest, a, is 0.900x from \
             it (meeting it in 1 of them) against the default's 1.07x, but in round 2 of the 2 this run \
             kept apart, d came as near or nearer (round by round: 1.20x, 0.900x, against 0.900x, 2.00x \
             for a). a2, also nearer than the default in the merged figures, did not stay ahead of the \
             default in every round either. The default meets the bar in 0 of the 1."
        );
        assert!(kept.contains(&expected), "{kept}");
    }

    /// With three or more rounds of every row, the bar reads each row's
    /// median round: one slow round of the default's decides its merged
    /// p99.9 but not its standing, and the report gives both. With two, it
    /// reads the merged figures.
    #[test]
    fn a_slow_round_does_not_decide_the_bar_where_every_row_kept_three() {
        let three = recommendation(&[
            tail("d", true, 2500.0, &[1000.0, 4000.0, 1000.0]),
            tail("x", false, 1800.0, &[1800.0, 1800.0, 1800.0]),
        ]);
        assert!(
            three.contains(&format!(
                "Use d: of every row it comes nearest the bar {BAR} across the 1 settings, judged on each \
                 row's median round (0.900x from it)"
            )),
            "{three}"
        );
        assert!(
            three.contains(
                "The procstore facade's default (d) is the recommended registry. Judged on the merged \
                 figures instead of median rounds (every query of every round, as the tables of each \
                 setting show), it meets the bar in 1 of 1 settings, 0.926x from the bar (rank 2 of 2)."
            ),
            "{three}"
        );
        assert!(
            three.contains(
                "a single round can meet or miss the bar on p99.9 by noise alone. The distances read \
                 each row's median round, which one slow round cannot decide; a row still replaces the \
                 default only if it is nearer in every round."
            ),
            "{three}"
        );
        assert!(three.contains("| d (default) | 1 of 1 | 0.900x | 100% | 1.00x | 1.00x |"), "{three}");
        assert!(three.contains("Latency here is each row's median round"), "{three}");

        let two = recommendation(&[
            tail("d", true, 2500.0, &[1000.0, 4000.0]),
            tail("x", false, 1800.0, &[1800.0, 1800.0]),
        ]);
        assert!(two.contains("1 settings, in the merged figures, but not in every round"), "{two}");
        assert!(two.contains("a row can meet or miss the bar on p99.9 by noise alone."), "{two}");
        assert!(!two.contains("instead of median rounds"), "{two}");
        assert!(!two.contains("Latency here is each row's median round"), "{two}");
    }

    /// A default nearest the bar is recommended, and the report says which
    /// rows this run does not resolve it from, in whichever round; nothing
    /// where every round keeps it ahead.
    #[test]
    fn a_nearest_default_names_the_rows_a_round_put_level_with_it() {
        let workload = [
            tail("d", true, 1000.0, &[2000.0, 1000.0, 1000.0]),
            tail("x", false, 1600.0, &[1000.0, 1800.0, 1800.0]),
            tail("y", false, 1700.0, &[1900.0, 1000.0, 1900.0]),
        ];
        let text = recommendation(&workload);
        assert!(text.contains("Use d: of every row it comes nearest the bar"), "{text}");
        assert!(
            text.contains(
                "This run does not resolve it from x (1.20x from the bar): in round 1 of the 3 this run \
                 kept apart, x came as near or nearer (round by round: 0.900x, 1.20x, 1.20x, against \
                 1.33x, 0.900x, 0.900x for d). Nor from y, level with or ahead of it in a round."
            ),
            "{text}"
        );
        assert!(text.contains("The procstore facade's default (d) is the recommended registry."), "{text}");

        let ahead = [tail("d", true, 1000.0, &[1000.0, 1000.0]), tail("x", false, 1600.0, &[1600.0, 1800.0])];
        let ahead = recommendation(&ahead);
        assert!(ahead.contains("Use d: of every row it comes nearest the bar"), "{ahead}");
        assert!(!ahead.contains("does not resolve"), "{ahead}");
    }

    /// Each row's lowest writer share over the closed-loop settings, paced
    /// writers included; a row that missed a setting is not counted as
    /// kept, and says how many it covers.
    #[test]
    fn a_writer_held_below_the_floor_is_shown_in_every_closed_loop_setting() {
        let closed = |id: &str, mode, events, default| record(id, mode, events, 100.0, 1000.0, default);
        let mut workload = Vec::new();
        for (mode, floor, default, lock) in
            [(WorkloadMode::Processes, 1000, 600, 960), (WorkloadMode::Churn, 1000, 990, 950)]
        {
            let mut timer = closed("timer", mode, floor, false);
            timer.kind = Family::Floor;
            let mut rows = [timer, closed("atomic", mode, default, true), closed("lock", mode, lock, false)];
            if mode == WorkloadMode::Churn {
                // Paced to a target there: a writer below the floor fell behind it.
                rows.iter_mut().for_each(|r| r.target_events_per_sec = Some(1000.0));
            }
            workload.extend(rows);
        }
        // Measured on real children only, level with the floor there.
        workload.push(closed("actor", WorkloadMode::Processes, 990, false));
        // The bar's paced setting, so that the closed loop is shown outside it.
        let paced = |r| WorkloadRecord { load: ReaderLoad::Paced { queries_per_sec: 1000 }, ..r };
        workload.push(paced(closed("atomic", WorkloadMode::Simulated, 1000, true)));
        workload.push(paced(closed("lock", WorkloadMode::Simulated, 1000, false)));
        let mut doc = Document::new("t", None);
        section(&workload, &[], &mut doc);
        let text = crate::markdown::encode(&doc);
        assert!(
            text.contains(
                "1 of 3 rows kept their writer at 90% or more of the clock-only floor's events/s in every \
                 closed-loop setting (the last column: each row's lowest); the default, atomic, is not: 60% \
                 at worst."
            ),
            "{text}"
        );
        // The last table is the closed loop's; each row's lowest share, on either source.
        let row = |label: &str| text[text.rfind(&format!("| {label} |")).expect(label)..].lines().next();
        assert!(row("atomic (default)").is_some_and(|row| row.ends_with("| 60% |")), "{text}");
        assert!(row("lock").is_some_and(|row| row.ends_with("| 95% |")), "{text}");
        assert!(row("actor").is_some_and(|row| row.ends_with("| 99% (1 of 2 settings) |")), "{text}");
    }

    /// The default's share of the floor's events/s is given only where the
    /// writer runs flat out: a writer paced at a target reaches it under
    /// every row. Without a default row, the floor is given alone.
    #[test]
    fn the_defaults_share_of_the_floor_only_where_the_writer_is_not_paced() {
        let mut floor = record("timer", WorkloadMode::Simulated, 1000, 30.0, 70.0, false);
        floor.kind = Family::Floor;
        floor.target_events_per_sec = Some(1000.0);
        let mut default = record("atomic", WorkloadMode::Simulated, 990, 100.0, 1000.0, true);
        default.target_events_per_sec = Some(1000.0);
        let other = record("lock", WorkloadMode::Simulated, 1000, 150.0, 1000.0, false);
        // The bar's paced setting, so that the closed loop is shown outside it.
        let paced = |r| WorkloadRecord { load: ReaderLoad::Paced { queries_per_sec: 1000 }, ..r };
        let judged = [
            paced(record("atomic", WorkloadMode::Processes, 900, 100.0, 1000.0, true)),
            paced(record("lock", WorkloadMode::Processes, 880, 150.0, 1000.0, false)),
        ];
        for closed in [vec![floor.clone(), default, other.clone()], vec![floor, other]] {
            let workload = [judged.to_vec(), closed].concat();
            let mut doc = Document::new("t", None);
            section(&workload, &[], &mut doc);
            let text = crate::markdown::encode(&doc);
            assert!(
                text.contains(
                    "left the writer 1.00k/s in simulated event stream, 2 readers in a closed loop (best \
                     row: 1.00k/s under lock)."
                ),
                "{text}"
            );
        }
    }
}
