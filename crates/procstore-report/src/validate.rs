//! What the renderer relies on beyond the types, checked in one pass as a
//! `results.json` loads: a report must not print an impossible figure (a
//! negative time, NaN, an infinite rate) as if it had been measured.
//!
//! Counts (threads, samples, queries, events, cores) are unsigned integers
//! in the schema, so serde already rejects a fraction, a sign or a count past
//! the type; what is left to check here are the `f64` figures and the
//! invariants the renderer divides or names directories by.

use std::cmp::Ordering;

use crate::instructions::{CALLGRIND_KINDS, CallgrindCounts, FunctionCounts, Instructions, PathCounts};
use crate::schema::{
    Garbage, Machine, Percentiles, ReclamationRecord, Record, Results, RunConfig, WorkloadRecord,
    is_directory_name,
};

/// Checks `results`; the error names the record and the field.
pub(crate) fn validate(results: &Results) -> Result<(), String> {
    machine(&results.machine).map_err(|problem| format!("machine: {problem}"))?;
    config(&results.config).map_err(|problem| format!("config: {problem}"))?;
    for record in &results.records {
        micro(record).map_err(|problem| format!("{}: {problem}", micro_name(record)))?;
    }
    for record in &results.workload {
        workload(record).map_err(|problem| format!("{}: {problem}", workload_name(record)))?;
    }
    for record in &results.head_to_head {
        workload(record).map_err(|problem| format!("head-to-head {}: {problem}", workload_name(record)))?;
    }
    for record in &results.reclamation {
        reclamation(record).map_err(|problem| {
            format!("reclamation record {}: {problem}", named(&record.id, &record.strategy))
        })?;
    }
    Ok(())
}

/// What a figure measures, for the message that rejects it.
const TIME: &str = "a time";
const RATE: &str = "a rate";
const AMOUNT: &str = "an amount per operation";

/// A measured figure: a finite number, not negative.
fn figure(field: &str, value: f64, what: &str) -> Result<(), String> {
    let rule = if value.is_nan() {
        "must be a number"
    } else if value.is_infinite() {
        "must be finite"
    } else if value < 0.0 {
        "cannot be negative"
    } else {
        return Ok(());
    };
    Err(format!("field {field} is {}, {what} {rule}", shown(value)))
}

/// `value` as the message shows it: in full, or in exponent notation where
/// the full form would run to hundreds of digits.
fn shown(value: f64) -> String {
    if value == 0.0 || (1e-6..1e15).contains(&value.abs()) { value.to_string() } else { format!("{value:e}") }
}

fn machine(machine: &Machine) -> Result<(), String> {
    let fields = [("arch", Some(&machine.arch)), ("os", Some(&machine.os)), ("name", machine.name.as_ref())];
    for (field, value) in fields {
        if let Some(value) = value
            && !is_directory_name(value)
        {
            return Err(format!(
                "field {field} is {value:?}: it names a directory under reports/, so it must be \
                 non-empty ASCII letters, digits, `_`, `-` or `.`, not starting with `.`"
            ));
        }
    }
    Ok(())
}

fn config(config: &RunConfig) -> Result<(), String> {
    if config.concurrent_threads == 0 {
        return Err("field concurrent_threads is 0, the tables need at least one reader".to_owned());
    }
    figure("paced_rate", config.paced_rate, RATE)?;
    figure("measurement_secs", config.measurement_secs, TIME)
}

fn micro(record: &Record) -> Result<(), String> {
    if record.id.is_empty() {
        return Err("field id is empty".to_owned());
    }
    let figures = [
        ("ns_per_op", record.ns_per_op, TIME),
        ("writer_updates_per_sec", record.writer_updates_per_sec, RATE),
        ("bytes_per_op", record.bytes_per_op, AMOUNT),
        ("allocs_per_op", record.allocs_per_op, AMOUNT),
    ];
    for (field, value, what) in figures {
        if let Some(value) = value {
            figure(field, value, what)?;
        }
    }
    if let Some(tails) = &record.tails {
        percentiles("tails.latency", &tails.latency)?;
        figure("tails.clock_floor_ns", tails.clock_floor_ns, TIME)?;
        figure("tails.seconds", tails.seconds, TIME)?;
        if tails.fewest_reads > tails.most_reads {
            return Err(format!(
                "field tails.fewest_reads is {}, above tails.most_reads {}",
                tails.fewest_reads, tails.most_reads
            ));
        }
    }
    Ok(())
}

fn reclamation(record: &ReclamationRecord) -> Result<(), String> {
    if record.id.is_empty() {
        return Err("field id is empty".to_owned());
    }
    let runs = [("back_to_back", record.back_to_back.as_ref()), ("paced", Some(&record.paced))];
    for (name, run) in runs {
        if let Some(Garbage { seconds, mean, .. }) = run {
            figure(&format!("{name}.seconds"), *seconds, TIME)?;
            figure(&format!("{name}.mean"), *mean, AMOUNT)?;
        }
    }
    let stall = &record.stall;
    figure("stall.seconds", stall.seconds, TIME)?;
    figure("stall.target_updates_per_sec", stall.target_updates_per_sec, RATE)?;
    percentiles("stall.others", &stall.others)
}

fn workload(record: &WorkloadRecord) -> Result<(), String> {
    if record.id.is_empty() {
        return Err("field id is empty".to_owned());
    }
    figure("seconds", record.seconds, TIME)?;
    // Rates divide by it.
    if record.seconds == 0.0 {
        return Err("field seconds is 0, the rates divide by it so it must be positive".to_owned());
    }
    if let Some(rate) = record.target_events_per_sec {
        figure("target_events_per_sec", rate, RATE)?;
    }
    percentiles("latency", &record.latency)?;
    if let Some(lag) = &record.event_lag {
        percentiles("event_lag", lag)?;
    }
    for (i, query) in record.by_query.iter().enumerate() {
        percentiles(&format!("by_query[{i}].latency"), &query.latency)?;
    }
    for (i, round) in record.rounds.iter().enumerate() {
        percentiles(&format!("rounds[{i}]"), round)?;
    }
    // Summed as f64: counts from a file may add up past u64.
    let counted: f64 = record.rounds.iter().map(|round| round.count as f64).sum();
    if !record.rounds.is_empty() && counted != record.latency.count as f64 {
        return Err(format!(
            "field rounds counts {counted} queries in all, but latency.count is {}: the rounds are the \
             measurement's parts",
            record.latency.count
        ));
    }
    Ok(())
}

/// Each percentile is a time, and p50 <= p99 <= p99.9 <= max.
fn percentiles(field: &str, p: &Percentiles) -> Result<(), String> {
    let steps = [("p50_ns", p.p50_ns), ("p99_ns", p.p99_ns), ("p999_ns", p.p999_ns), ("max_ns", p.max_ns)];
    for (name, value) in steps {
        figure(&format!("{field}.{name}"), value, TIME)?;
    }
    for pair in steps.windows(2) {
        let ((lower, low), (upper, high)) = (pair[0], pair[1]);
        if low.partial_cmp(&high) == Some(Ordering::Greater) {
            return Err(format!(
                "field {field} has {lower} {} above {upper} {}: percentiles must not decrease \
                 from p50 to p99 to p99.9 to max",
                shown(low),
                shown(high)
            ));
        }
    }
    Ok(())
}

/// Checks an `instructions.json`; the error names the strategy, the path and
/// the field.
pub(crate) fn validate_instructions(doc: &Instructions) -> Result<(), String> {
    if doc.configurations.is_empty() {
        return Err("field configurations is empty, the tables need at least one".to_owned());
    }
    let mut labels: Vec<&str> = Vec::new();
    for (i, configuration) in doc.configurations.iter().enumerate() {
        let label = configuration.label.as_str();
        if label.is_empty() {
            return Err(format!("configurations[{i}]: field label is empty"));
        }
        if labels.contains(&label) {
            return Err(format!("configurations[{i}]: label {label:?} is listed twice"));
        }
        labels.push(label);
    }
    let mut ids: Vec<&str> = Vec::new();
    for (i, strategy) in doc.strategies.iter().enumerate() {
        if strategy.id.is_empty() {
            return Err(format!("strategies[{i}]: field id is empty"));
        }
        if ids.contains(&strategy.id.as_str()) {
            return Err(format!("strategy {:?} is listed twice", strategy.id));
        }
        ids.push(&strategy.id);
        for (path, functions) in [("read", &strategy.read), ("update", &strategy.update)] {
            for (label, counts) in functions {
                let at = format!("strategy {:?}, {path} in {label:?}", strategy.id);
                if !labels.contains(&label.as_str()) {
                    return Err(format!("{at}: no such configuration (the configurations are {labels:?})"));
                }
                function_counts(counts).map_err(|problem| format!("{at}: {problem}"))?;
            }
        }
    }
    Ok(())
}

/// Checks an `instruction-counts.json` found in directory `dir` (e.g.
/// `x86_64-linux`): its architecture is the directory's, and every path is
/// a known kind of a named strategy, listed once, with finite,
/// non-negative counts.
pub(crate) fn validate_callgrind_counts(doc: &CallgrindCounts, dir: Option<&str>) -> Result<(), String> {
    if doc.arch.is_empty() {
        return Err("field arch is empty".to_owned());
    }
    if let Some(dir) = dir
        && dir.split_once('-').map(|(arch, _)| arch) != Some(doc.arch.as_str())
    {
        return Err(format!("field arch is {:?}, but the file is in directory {dir:?}", doc.arch));
    }
    if doc.iterations == 0 {
        return Err("field iterations is 0".to_owned());
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, path) in doc.paths.iter().enumerate() {
        let at = format!("paths[{i}] ({:?})", path.path);
        match path.path.split_once('/') {
            Some((kind, id)) if CALLGRIND_KINDS.contains(&kind) && !id.is_empty() && !id.contains('/') => {}
            _ => {
                return Err(format!(
                    "{at}: field path is not kind/id with kind one of {}",
                    CALLGRIND_KINDS.join(", ")
                ));
            }
        }
        if seen.contains(&path.path.as_str()) {
            return Err(format!("{at}: listed twice"));
        }
        seen.push(&path.path);
        figure("instructions", path.instructions, AMOUNT).map_err(|problem| format!("{at}: {problem}"))?;
        figure("allocations", path.allocations, AMOUNT).map_err(|problem| format!("{at}: {problem}"))?;
    }
    Ok(())
}

/// A function's paths: each consistent, and its own fast path no longer
/// than its body.
fn function_counts(counts: &FunctionCounts) -> Result<(), String> {
    let paths = [("fast", counts.fast.as_ref()), ("fast_with_callees", counts.fast_with_callees.as_ref())];
    for (name, path) in paths.into_iter().chain([("all", Some(&counts.all))]) {
        if let Some(path) = path {
            path_counts(path).map_err(|problem| format!("{name}: {problem}"))?;
        }
    }
    if let Some(fast) = &counts.fast
        && fast.instructions > counts.all.instructions
    {
        return Err(format!(
            "fast: {} instructions, more than the {} of the whole function (all)",
            fast.instructions, counts.all.instructions
        ));
    }
    Ok(())
}

/// Every part no larger than its whole.
fn path_counts(path: &PathCounts) -> Result<(), String> {
    let parts = [
        ("loads", path.loads, "instructions", path.instructions),
        ("stores", path.stores, "instructions", path.instructions),
        ("rmw", path.rmw, "instructions", path.instructions),
        ("fences", path.fences, "instructions", path.instructions),
        ("calls", path.calls, "instructions", path.instructions),
        ("stack_loads", path.stack_loads, "loads", path.loads),
        ("acquire_loads", path.acquire_loads, "loads", path.loads),
        ("stack_stores", path.stack_stores, "stores", path.stores),
        ("release_stores", path.release_stores, "stores", path.stores),
        ("outline_rmw", path.outline_rmw, "rmw", path.rmw),
        ("outline_rmw", path.outline_rmw, "calls", path.calls),
    ];
    for (part, value, whole, total) in parts {
        if value > total {
            return Err(format!("field {part} is {value}, more than its {whole} ({total})"));
        }
    }
    if !path.mnemonics.is_empty() && path.mnemonics.len() as u64 != path.instructions {
        return Err(format!(
            "field mnemonics lists {} instructions, field instructions says {}",
            path.mnemonics.len(),
            path.instructions
        ));
    }
    Ok(())
}

/// A micro-benchmark record as a reader finds it in the file.
fn micro_name(record: &Record) -> String {
    format!(
        "record {} (group {}, {})",
        named(&record.id, &record.strategy),
        record.group.escape_debug(),
        threads(record.threads)
    )
}

/// A workload record as a reader finds it in the file: its setting is the
/// mode, the readers and their load.
fn workload_name(record: &WorkloadRecord) -> String {
    format!("workload record {} ({})", named(&record.id, &record.strategy), record.setting().label())
}

/// A record's id, quoted (and escaped, so the message stays on one line);
/// its label where the id is missing.
fn named(id: &str, label: &str) -> String {
    if id.is_empty() { format!("with strategy {label:?}") } else { format!("{id:?}") }
}

/// `1 thread`, `10 threads`.
fn threads(n: u32) -> String {
    format!("{n} thread{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid run: one micro-benchmark record, one workload record.
    fn results() -> Results {
        let percentiles = r#"{"count": 10, "p50_ns": 1.0, "p99_ns": 2.0, "p999_ns": 3.0, "max_ns": 4.0}"#;
        let text = format!(
            r#"{{
              "schema_version": 3,
              "machine": {{"arch": "x86_64", "os": "linux", "cpu_model": "cpu", "cores": 2,
                           "rustc": "rustc", "emulated": false, "finished_unix": 0}},
              "config": {{"profile": "quick", "concurrent_threads": 10, "sweep": [1, 10],
                          "paced_rate": 100000.0, "registry_size": 1000, "sample_size": 10,
                          "measurement_secs": 0.25}},
              "records": [{{"group": "concurrent", "id": "arc-swap-cache", "strategy": "arc-swap Cache",
                            "kind": "atomic", "threads": 10, "ns_per_op": 0.5, "samples": 10}}],
              "workload": [{{"mode": "simulated", "id": "handles-papaya", "strategy": "papaya",
                             "kind": "concurrent_map", "children": 16, "readers": 2,
                             "load": {{"paced": {{"queries_per_sec": 100000}}}}, "seconds": 1.5,
                             "queries": 1000, "events": 100, "target_events_per_sec": 100000.0,
                             "latency": {percentiles},
                             "by_query": [{{"query": "list", "latency": {percentiles}}}],
                             "event_lag": {percentiles}}}]
            }}"#
        );
        let results: Results = serde_json::from_str(&text).expect("the test's results parse");
        validate(&results).expect("the test's results are valid");
        results
    }

    /// The error `change` makes.
    fn rejected(change: impl FnOnce(&mut Results)) -> String {
        let mut results = results();
        change(&mut results);
        validate(&results).expect_err("the change is invalid")
    }

    #[test]
    fn nan_infinite_and_negative_figures_are_rejected_by_field() {
        assert_eq!(
            rejected(|r| r.records[0].ns_per_op = Some(-5.0)),
            r#"record "arc-swap-cache" (group concurrent, 10 threads): field ns_per_op is -5, a time cannot be negative"#
        );
        assert_eq!(
            rejected(|r| r.records[0].writer_updates_per_sec = Some(f64::NAN)),
            r#"record "arc-swap-cache" (group concurrent, 10 threads): field writer_updates_per_sec is NaN, a rate must be a number"#
        );
        assert_eq!(
            rejected(|r| r.records[0].bytes_per_op = Some(f64::INFINITY)),
            r#"record "arc-swap-cache" (group concurrent, 10 threads): field bytes_per_op is inf, an amount per operation must be finite"#
        );
        assert_eq!(
            rejected(|r| r.workload[0].by_query[0].latency.p50_ns = -1.0),
            r#"workload record "handles-papaya" (simulated event stream, 2 readers polling at 100k/s each): field by_query[0].latency.p50_ns is -1, a time cannot be negative"#
        );
        assert!(
            rejected(|r| r.workload[0].event_lag.as_mut().unwrap().max_ns = f64::NAN)
                .ends_with("field event_lag.max_ns is NaN, a time must be a number")
        );
        assert!(
            rejected(|r| r.workload[0].target_events_per_sec = Some(f64::NEG_INFINITY))
                .ends_with("field target_events_per_sec is -inf, a rate must be finite")
        );
        assert!(
            rejected(|r| r.workload[0].rounds = vec![r.workload[0].latency; 2])
                .ends_with("field rounds counts 20 queries in all, but latency.count is 10: the rounds are the measurement's parts")
        );
        assert!(
            rejected(|r| {
                let mut round = r.workload[0].latency;
                round.p999_ns = -3.0;
                r.workload[0].rounds = vec![round];
            })
            .ends_with("field rounds[0].p999_ns is -3, a time cannot be negative")
        );
        assert_eq!(
            rejected(|r| r.config.paced_rate = -1.0),
            "config: field paced_rate is -1, a rate cannot be negative"
        );
        assert!(
            rejected(|r| r.config.measurement_secs = f64::NAN).starts_with("config: field measurement_secs")
        );
        assert!(
            rejected(|r| r.config.paced_rate = -1e-300).ends_with("is -1e-300, a rate cannot be negative")
        );
    }

    #[test]
    fn records_without_an_id_are_named_by_their_label() {
        assert_eq!(
            rejected(|r| {
                r.records[0].id.clear();
                r.records[0].threads = 1;
            }),
            r#"record with strategy "arc-swap Cache" (group concurrent, 1 thread): field id is empty"#
        );
    }

    #[test]
    fn huge_and_zero_figures_are_measurable() {
        let mut results = results();
        results.records[0].ns_per_op = Some(1.5e308);
        results.records[0].bytes_per_op = Some(0.0);
        results.workload[0].latency.max_ns = f64::MAX;
        assert_eq!(validate(&results), Ok(()));
    }

    #[test]
    fn a_zero_duration_and_decreasing_percentiles_are_rejected() {
        assert!(
            rejected(|r| r.workload[0].seconds = 0.0)
                .ends_with("field seconds is 0, the rates divide by it so it must be positive")
        );
        assert!(rejected(|r| r.workload[0].latency.p99_ns = 1e9).ends_with(
            "field latency has p99_ns 1000000000 above p999_ns 3: percentiles must not decrease from p50 to \
             p99 to p99.9 to max"
        ));
    }
}
