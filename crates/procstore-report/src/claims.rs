//! The Go record's claims, checked against a run's numbers.

use std::fmt;

use crate::figures::Figures;
use crate::format;
use crate::go_record::{
    ATOMIC_FASTER, CHANNELS_SLOWER, CONCURRENT_IMPROVEMENT, CONCURRENT_MAP_FASTER, GoClaim,
};
use crate::rows::{BASELINE_ID, Column, LOCKED_MAP_ID, MainRow, fastest, main_rows, ratio};
use crate::schema::{Results, groups};
use procstore_catalog::Family;

/// Whether a claim holds on the measured numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every measured factor reaches the claimed one.
    Holds,
    /// Some measured factors reach the claimed one, some do not.
    Partly,
    /// No measured factor reaches the claimed one.
    DoesNotHold,
    /// The figures the claim needs were not measured.
    NotMeasured,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Partly => "partly",
            Verdict::DoesNotHold => "does not hold",
            Verdict::NotMeasured => "not measured",
        })
    }
}

/// One of the Go record's claims, checked against a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// The claim, as the Go record makes it.
    pub statement: String,
    /// The factor the Go record gives, e.g. `15-67x slower`.
    pub expected: String,
    /// What was measured, with the numbers.
    pub measured: String,
    /// Whether it holds, computed from the numbers.
    pub verdict: Verdict,
    /// Why that verdict.
    pub reason: String,
}

/// Checks each of the Go record's claims against `results`.
pub fn check_claims(results: &Results) -> Vec<Claim> {
    let figures = Figures::new(results);
    claims(&figures, &main_rows(&figures))
}

/// Checks each claim against the run behind `figures` and its main rows.
pub(crate) fn claims(figures: &Figures<'_>, rows: &[MainRow<'_>]) -> Vec<Claim> {
    let n = figures.n();
    let mutex = rows.iter().find(|row| row.id == BASELINE_ID);
    let baseline = figures.label_of(BASELINE_ID);
    vec![
        channels_slower(rows, mutex, baseline, n),
        atomic_faster(rows, mutex, baseline, n),
        concurrent_map_faster(figures),
        concurrent_improvement(rows, mutex, baseline, n),
    ]
}

/// Factors measured for a claim: labelled groups of ratios, and the labels
/// of what could not be measured.
#[derive(Debug, Default)]
struct Evidence {
    parts: Vec<String>,
    ratios: Vec<f64>,
    missing: Vec<String>,
}

impl Evidence {
    /// Records `ratios` under `label`, described by `detail`, or `label` as
    /// missing when there are none.
    fn add(&mut self, label: String, ratios: &[f64], detail: &str) {
        if ratios.is_empty() {
            self.missing.push(label);
            return;
        }
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = if ratios.len() == 1 {
            format::ratio(Some(min))
        } else {
            format!("{}..{}", format::ratio(Some(min)), format::ratio(Some(max)))
        };
        let detail = if detail.is_empty() { String::new() } else { format!(" ({detail})") };
        self.parts.push(format!("{label}: {range}{detail}"));
        self.ratios.extend_from_slice(ratios);
    }

    fn judge(self, claim: GoClaim, expected: &str) -> Claim {
        let low = format!("{}x", claim.low);
        let total = self.ratios.len();
        let reaching = self.ratios.iter().filter(|&&r| r >= claim.low).count();
        let measured =
            if total == 1 { "the measured factor".to_owned() } else { format!("{total} measured factors") };
        let (verdict, mut reason) = if total == 0 {
            let reason = format!("no figures for {}", self.missing.join(", "));
            (Verdict::NotMeasured, reason)
        } else if reaching == total {
            let (all, verb) = if total == 1 { ("", "reaches") } else { ("all ", "reach") };
            let mut reason = format!("{all}{measured} {verb} {low}");
            if let Some(high) = claim.high
                && self.ratios.iter().all(|&r| r > high)
            {
                reason += &format!(", above {high}x: stronger than claimed");
            }
            (Verdict::Holds, reason)
        } else if reaching == 0 {
            let best = self.ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let none = if total == 1 { "" } else { "none of " };
            let reason = format!("{none}{measured} reaches {low} (best {})", format::ratio(Some(best)));
            (Verdict::DoesNotHold, reason)
        } else {
            (Verdict::Partly, format!("{reaching} of {total} measured factors reach {low}"))
        };
        if total > 0 && !self.missing.is_empty() {
            reason += &format!("; not measured: {}", self.missing.join(", "));
        }
        let measured = if self.parts.is_empty() { "not measured".to_owned() } else { self.parts.join("; ") };
        Claim {
            statement: claim.statement.to_owned(),
            expected: format!("{} {expected}", claim.range()),
            measured,
            verdict,
            reason,
        }
    }
}

fn channels_slower(rows: &[MainRow<'_>], mutex: Option<&MainRow<'_>>, baseline: &str, n: u32) -> Claim {
    let mut evidence = Evidence::default();
    for column in Column::ALL {
        let base = mutex.and_then(|m| column.of(m));
        let ratios: Vec<f64> = rows
            .iter()
            .filter(|row| row.kind == Family::Channel)
            .filter_map(|row| ratio(column.of(row), base))
            .collect();
        evidence.add(column.label(n), &ratios, "");
    }
    let mut claim = evidence.judge(CHANNELS_SLOWER, "slower");
    claim.measured = format!("channel rows / {baseline}: {}", claim.measured);
    claim
}

fn atomic_faster(rows: &[MainRow<'_>], mutex: Option<&MainRow<'_>>, baseline: &str, n: u32) -> Claim {
    let mut evidence = Evidence::default();
    for column in Column::ALL {
        best_atomic_speedup(&mut evidence, rows, mutex, column, n);
    }
    let mut claim = evidence.judge(ATOMIC_FASTER, "faster");
    claim.measured = format!("{baseline} / best atomic row: {}", claim.measured);
    claim
}

fn concurrent_improvement(
    rows: &[MainRow<'_>],
    mutex: Option<&MainRow<'_>>,
    baseline: &str,
    n: u32,
) -> Claim {
    let mut evidence = Evidence::default();
    best_atomic_speedup(&mut evidence, rows, mutex, Column::Concurrent, n);
    let mut claim = evidence.judge(CONCURRENT_IMPROVEMENT, "faster");
    claim.measured = format!("{baseline} / best atomic row: {}", claim.measured);
    claim
}

fn best_atomic_speedup(
    evidence: &mut Evidence,
    rows: &[MainRow<'_>],
    mutex: Option<&MainRow<'_>>,
    column: Column,
    n: u32,
) {
    let best = fastest(rows, Family::Atomic, column);
    let speedup = ratio(mutex.and_then(|m| column.of(m)), best.map(|(_, ns)| ns));
    match (speedup, best) {
        (Some(speedup), Some((row, _))) => evidence.add(column.label(n), &[speedup], row.name),
        _ => evidence.add(column.label(n), &[], ""),
    }
}

fn concurrent_map_faster(figures: &Figures<'_>) -> Claim {
    let n = figures.n();
    let maps: Vec<_> =
        figures.registries().into_iter().filter(|map| map.kind == Family::ConcurrentMap).collect();
    let mut evidence = Evidence::default();
    for (group, label) in [(groups::REGISTRY_GET_HIT, "get hit"), (groups::REGISTRY_MIX, "mix")] {
        let locked = figures.ns(group, LOCKED_MAP_ID, n);
        let measured: Vec<(f64, &str)> = maps
            .iter()
            .filter_map(|map| Some((ratio(locked, figures.ns(group, map.id, n))?, map.label)))
            .collect();
        let ratios: Vec<f64> = measured.iter().map(|(r, _)| *r).collect();
        let names: Vec<&str> = measured.iter().map(|(_, name)| *name).collect();
        evidence.add(format!("{label} ({n})"), &ratios, &names.join(", "));
    }
    let mut claim = evidence.judge(CONCURRENT_MAP_FASTER, "faster");
    claim.measured = format!("{} / concurrent map: {}", figures.label_of(LOCKED_MAP_ID), claim.measured);
    claim
}
