//! Whether the micro-benchmark ranking held in the supervisor workload: the
//! workload's rows ranked by latency against their stores' ranking in the
//! micro-benchmark, put in words computed from the figures alone.

use std::collections::{BTreeMap, BTreeSet};

use crate::format;
use crate::rows::ratio;
use procstore_catalog::Family;

/// One workload row (never a floor), as ranked.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ranked<'r> {
    /// The row label.
    pub(crate) label: &'r str,
    /// The row's family.
    pub(crate) kind: Family,
    /// Workload p50 latency, all queries, ns.
    pub(crate) p50: f64,
    /// Workload p99.9 latency, all queries, ns.
    pub(crate) p999: f64,
    /// The row's micro-benchmark ns/op, when measured.
    pub(crate) micro: Option<f64>,
}

/// The paragraph comparing the rankings of `rows`; `micro` names the
/// micro-benchmark column, e.g. `Concurrent (10)`.
pub(crate) fn paragraph(rows: &[Ranked<'_>], micro: &str) -> String {
    let (paired, left_out): (Vec<&Ranked<'_>>, Vec<&Ranked<'_>>) =
        rows.iter().partition(|r| r.micro.is_some());
    let mut sentences = match paired.as_slice() {
        [] if rows.is_empty() => vec!["Nothing was measured in this mode: nothing to rank.".to_owned()],
        [] => {
            return format!("No row has a {micro} micro-benchmark figure: nothing to compare.");
        }
        [only] => {
            vec![format!("Only {} has a {micro} micro-benchmark figure: nothing to rank.", only.label)]
        }
        _ => compare(&paired, micro),
    };
    if !left_out.is_empty() {
        let names: Vec<&str> = left_out.iter().map(|r| r.label).collect();
        sentences.push(format!("Not ranked, having no {micro} figure: {}.", names.join(", ")));
    }
    sentences.join(" ")
}

/// The sentences for two or more rows that all have a micro figure.
fn compare(rows: &[&Ranked<'_>], micro: &str) -> Vec<String> {
    let count = rows.len();
    let column = |f: fn(&Ranked<'_>) -> f64| -> Vec<f64> { rows.iter().map(|r| f(r)).collect() };
    let p50 = column(|r| r.p50);
    let p999 = column(|r| r.p999);
    let micro_ns = column(|r| r.micro.unwrap_or(f64::NAN));
    let mut sentences = vec![format!(
        "Ranked by workload p50 (all queries) and by their {micro} ns/op in the \
         micro-benchmark, {} of {count} rows keep their rank; Spearman's rank correlation is {} \
         (1: the same order, -1: reversed).",
        kept(&p50, &micro_ns),
        correlation(spearman(&p50, &micro_ns))
    )];

    let (fast, fast_micro) = (fastest(&p50), fastest(&micro_ns));
    let micro_figure = |r: &Ranked<'_>| format::ns(r.micro);
    let same = fast == fast_micro;
    let (fast, fast_micro) = (rows[fast], rows[fast_micro]);
    sentences.push(if same {
        format!(
            "{} is the fastest in both ({} p50; {} in the micro-benchmark).",
            fast.label,
            format::duration(Some(fast.p50)),
            micro_figure(fast)
        )
    } else {
        format!(
            "The fastest row is {} in the workload ({} p50) but {} in the micro-benchmark ({}).",
            fast.label,
            format::duration(Some(fast.p50)),
            fast_micro.label,
            micro_figure(fast_micro)
        )
    });

    let kinds: BTreeSet<Family> = rows.iter().map(|r| r.kind).collect();
    sentences.push(if let [kind] = kinds.iter().collect::<Vec<_>>().as_slice() {
        format!("Every ranked row is {}: no family order to compare.", kind.label())
    } else {
        let (workload, micro_order) = (family_order(rows, &p50), family_order(rows, &micro_ns));
        if workload == micro_order {
            format!("The family order (each family by its best row, fastest first) is the same in both: {workload}.")
        } else {
            format!(
                "The family order (each family by its best row, fastest first) differs: {workload} in the \
                 workload, {micro_order} in the micro-benchmark."
            )
        }
    });

    sentences.push(format!(
        "The slowest row takes {} the fastest's time at p50 and {} at p99.9, against {} in the \
         micro-benchmark.",
        format::ratio(spread(&p50)),
        format::ratio(spread(&p999)),
        format::ratio(spread(&micro_ns))
    ));
    sentences.push(format!(
        "Ranked by p99.9 instead, {} of {count} rows keep their micro-benchmark rank (Spearman's {}), \
         and the fastest at p99.9 is {}.",
        kept(&p999, &micro_ns),
        correlation(spearman(&p999, &micro_ns)),
        rows[fastest(&p999)].label
    ));
    sentences
}

/// 1-based ranks of `values`, smallest first; tied values share the
/// average of the ranks they span.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let end = start + order[start..].iter().take_while(|&&i| values[i] == values[order[start]]).count();
        // Positions start..end hold ranks start + 1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// How many of the rows have the same (average) rank in `a` as in `b`.
pub(crate) fn kept(a: &[f64], b: &[f64]) -> usize {
    average_ranks(a).iter().zip(average_ranks(b)).filter(|(x, y)| **x == *y).count()
}

/// Spearman's rank correlation of `a` and `b`: Pearson's correlation of
/// their average ranks. `None` for fewer than 2 rows, or when either side
/// is all ties (no order to correlate).
pub(crate) fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    let (x, y) = (average_ranks(a), average_ranks(b));
    if x.len() < 2 || x.len() != y.len() {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let (mut cov, mut vx, mut vy) = (0.0, 0.0, 0.0);
    for (xi, yi) in x.iter().zip(&y) {
        cov += (xi - mx) * (yi - my);
        vx += (xi - mx).powi(2);
        vy += (yi - my).powi(2);
    }
    (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
}

/// A correlation with 2 decimals, or why there is none.
fn correlation(rho: Option<f64>) -> String {
    // -0.001 would print as "-0.00".
    rho.map_or_else(
        || "undefined (one side is all ties)".to_owned(),
        |r| format!("{:.2}", if r.abs() < 0.005 { 0.0 } else { r }),
    )
}

/// The index of the smallest of `values` (the first, on a tie).
fn fastest(values: &[f64]) -> usize {
    (0..values.len()).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap_or(0)
}

/// The largest of `values` over the smallest.
fn spread(values: &[f64]) -> Option<f64> {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    ratio(Some(max), Some(min))
}

/// The families of `rows`, each placed by its best (smallest) value in
/// `values`, smallest first, ties joined by `=`: `atomic, lock = channel`.
pub(crate) fn family_order(rows: &[&Ranked<'_>], values: &[f64]) -> String {
    let mut best = BTreeMap::<Family, f64>::new();
    for (row, &value) in rows.iter().zip(values) {
        best.entry(row.kind).and_modify(|b| *b = b.min(value)).or_insert(value);
    }
    let mut order: Vec<(Family, f64)> = best.into_iter().collect();
    // Ties in family order, so equal orders print equal.
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut text = String::new();
    for (i, (kind, value)) in order.iter().enumerate() {
        if i > 0 {
            text.push_str(if *value == order[i - 1].1 { " = " } else { ", " });
        }
        text.push_str(kind.label());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &'static str, kind: Family, p50: f64, p999: f64, micro: Option<f64>) -> Ranked<'static> {
        Ranked { label, kind, p50, p999, micro }
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(average_ranks(&[30.0, 10.0, 20.0]), [3.0, 1.0, 2.0]);
        assert_eq!(average_ranks(&[5.0, 1.0, 5.0, 7.0]), [2.5, 1.0, 2.5, 4.0]);
        assert_eq!(average_ranks(&[2.0, 2.0, 2.0]), [2.0, 2.0, 2.0]);
        assert!(average_ranks(&[]).is_empty());
    }

    #[test]
    fn spearman_of_known_orders() {
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]), 1.0));
        assert!(close(spearman(&[1.0, 2.0, 3.0, 4.0], &[40.0, 30.0, 20.0, 10.0]), -1.0));
        // No ties: 1 - 6 sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / 60.
        assert!(close(spearman(&[1.0, 3.0, 2.0, 4.0], &[1.0, 2.0, 3.0, 4.0]), 0.8));
        // Ties: Pearson on ranks [1, 2.5, 2.5, 4] and [1, 2, 3, 4] = 4.5 / sqrt(4.5 * 5).
        assert!(close(spearman(&[1.0, 5.0, 5.0, 9.0], &[1.0, 2.0, 3.0, 4.0]), 4.5 / 22.5f64.sqrt()));
        assert_eq!(spearman(&[1.0], &[1.0]), None);
        assert_eq!(spearman(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn kept_counts_equal_ranks() {
        assert_eq!(kept(&[1.0, 3.0, 2.0, 4.0], &[1.0, 2.0, 3.0, 4.0]), 2);
        assert_eq!(kept(&[1.0, 5.0, 5.0, 9.0], &[1.0, 2.0, 3.0, 4.0]), 2);
        assert_eq!(kept(&[1.0, 5.0, 5.0, 9.0], &[0.1, 7.0, 7.0, 8.0]), 4);
    }

    #[test]
    fn family_order_by_best_row() {
        let rows = [
            row("a", Family::Lock, 300.0, 0.0, None),
            row("b", Family::Atomic, 100.0, 0.0, None),
            row("c", Family::Lock, 200.0, 0.0, None),
            row("d", Family::Channel, 200.0, 0.0, None),
        ];
        let refs: Vec<&Ranked<'_>> = rows.iter().collect();
        assert_eq!(family_order(&refs, &[300.0, 100.0, 200.0, 200.0]), "atomic, lock = channel");
        assert_eq!(family_order(&refs, &[1.0, 9.0, 8.0, 7.0]), "lock, channel, atomic");
    }

    #[test]
    fn paragraph_from_the_figures() {
        let rows = [
            row("mutex", Family::Lock, 300.0, 20_000.0, Some(70.0)),
            row("rwlock", Family::Lock, 250.0, 30_000.0, Some(150.0)),
            row("actor", Family::Channel, 2_000.0, 90_000.0, Some(350.0)),
            row("cache", Family::Atomic, 150.0, 40_000.0, Some(0.2)),
            row("hazard", Family::Atomic, 100.0, 10_000.0, None),
        ];
        let text = paragraph(&rows, "Concurrent (10)");
        assert!(text.starts_with(
            "Ranked by workload p50 (all queries) and by their Concurrent (10) ns/op in the \
             micro-benchmark, 2 of 4 rows keep their rank; Spearman's rank correlation is 0.80"
        ));
        assert!(text.contains("cache is the fastest in both (150 ns p50; 0.200 ns in the micro-benchmark)."));
        assert!(text.contains("is the same in both: atomic, lock, channel."));
        assert!(text.contains("takes 13.3x the fastest's time at p50 and 4.50x at p99.9, against 1,750x"));
        assert!(text.contains("1 of 4 rows keep their micro-benchmark rank (Spearman's 0.40)"));
        assert!(text.contains("the fastest at p99.9 is mutex."));
        assert!(text.ends_with("Not ranked, having no Concurrent (10) figure: hazard."));

        assert!(paragraph(&rows[4..], "C").starts_with("No row has a C micro-benchmark figure"));
        assert!(paragraph(&rows[3..], "C").starts_with("Only cache has a C"));
        assert!(paragraph(&[], "C").starts_with("Nothing was measured"));
        let text = paragraph(&rows[..2], "C");
        assert!(text.contains("The fastest row is rwlock in the workload (250 ns p50) but mutex"));
        assert!(text.contains("Every ranked row is lock: no family order to compare."));
        assert!(text.contains("rank correlation is -1.00"));
    }
}
