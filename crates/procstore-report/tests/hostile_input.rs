//! Whatever a `results.json` holds, the loader and the renderer answer with
//! an error or a report: never a panic, a hang, or an output past a bound.

// Each test crate uses part of the fixture.
#[allow(dead_code)]
mod fixture;

use std::path::Path;

use fixture::{Scratch, results};
use procstore_catalog::{Entry, Family};
use procstore_report::{
    LoadError, Machine, Percentiles, Query, QueryLatency, ReaderLoad, Record, Results, RunConfig,
    SCHEMA_VERSION, WorkloadMode, WorkloadRecord, groups, load, render_html, render_markdown,
};
use proptest::prelude::*;
use proptest::sample::select;

/// The most bytes one rendering (markdown or HTML) of a generated document
/// may take. The documents hold fewer than [`RECORDS`] records and
/// [`WORKLOAD`] workload records; their largest renderings measured under
/// 100 KB, so no figure (1e308, a huge count) can have made one grow with it.
const MAX_RENDERED_BYTES: usize = 1 << 20;
const RECORDS: usize = 24;
const WORKLOAD: usize = 8;

/// Loads `path`; renders what loads, in both encodings, and checks the size
/// bound; checks that an error names the file.
fn load_and_render(path: &Path) {
    match load(path) {
        Ok(results) => {
            for (encoding, text) in [("markdown", render_markdown(&results)), ("HTML", render_html(&results))]
            {
                assert!(text.len() < MAX_RENDERED_BYTES, "{encoding} of {} bytes", text.len());
            }
        }
        Err(error) => {
            let text = error.to_string();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
        }
    }
}

/// A figure of any kind: NaN, infinities, negatives, subnormals, and the
/// largest finite ones.
fn any_figure() -> BoxedStrategy<f64> {
    prop_oneof![any::<f64>(), Just(-5.0), Just(1.5e308), Just(f64::MAX)].boxed()
}

/// A figure that passes validation: finite and not negative, from 0 and
/// subnormals to f64::MAX.
fn measurable_figure() -> BoxedStrategy<f64> {
    use proptest::num::f64::{NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        4 => 0.0..1e7,
        1 => POSITIVE | NORMAL | SUBNORMAL | ZERO,
        1 => select(vec![1e308, 1.5e308, f64::MAX, f64::MIN_POSITIVE]),
    ]
    .boxed()
}

/// Text a label might hold: empty, or a [`name`].
fn text() -> BoxedStrategy<String> {
    prop_oneof![1 => Just(String::new()), 8 => name()].boxed()
}

/// Non-empty text (an id must be): any characters (controls, bidi marks,
/// astral planes), or plain ones and markup.
fn name() -> BoxedStrategy<String> {
    prop_oneof!["(?s).{1,16}", "[a-z<>&|`*_\\\\\u{202e}\u{0} -]{1,12}"].boxed()
}

/// A catalogue entry, so that records line up into tables, or made-up names.
fn strategy() -> BoxedStrategy<(String, String, Family)> {
    let entries: Vec<&Entry> = procstore_catalog::STORES
        .iter()
        .chain(procstore_catalog::REGISTRIES)
        .chain(procstore_catalog::floors::ALL)
        .collect();
    let families =
        select(vec![Family::Lock, Family::Channel, Family::Atomic, Family::ConcurrentMap, Family::Floor]);
    prop_oneof![
        3 => select(entries).prop_map(|e| (e.id.to_owned(), e.label.to_owned(), e.family)),
        1 => (name(), text(), families),
    ]
    .boxed()
}

fn group() -> BoxedStrategy<String> {
    let known = [
        groups::SINGLE_READER,
        groups::CONCURRENT,
        groups::CONTENTION,
        groups::CONTENTION_PACED,
        groups::MEMORY_READ,
        groups::MEMORY_WRITE,
        groups::WRITE,
        groups::WRITE_UNDER_READERS,
        groups::REGISTRY_GET_HIT,
        groups::REGISTRY_GET_MISS,
        groups::REGISTRY_CHURN,
        groups::REGISTRY_MIX,
        groups::REGISTRY_LIST,
        groups::REGISTRY_STARVATION,
    ];
    prop_oneof![4 => select(known.to_vec()).prop_map(str::to_owned), 1 => text()].boxed()
}

/// Thread counts: the usual ones, and any u32.
fn threads() -> BoxedStrategy<u32> {
    prop_oneof![3 => select(vec![1u32, 2, 4, 10]), 1 => any::<u32>()].boxed()
}

fn record(figure: BoxedStrategy<f64>) -> impl Strategy<Value = Record> {
    let maybe = move || proptest::option::of(figure.clone());
    (strategy(), group(), threads(), maybe(), any::<u32>(), maybe(), maybe(), maybe()).prop_map(
        |((id, strategy, kind), group, threads, ns_per_op, samples, writer, bytes, allocs)| Record {
            group,
            id,
            strategy,
            kind,
            threads,
            ns_per_op,
            samples,
            writer_updates_per_sec: writer,
            bytes_per_op: bytes,
            allocs_per_op: allocs,
            tails: None,
        },
    )
}

/// Histogram counts, huge ones included: a setting's counts may add up past u64.
fn count() -> BoxedStrategy<u64> {
    prop_oneof![0..1_000_000u64, any::<u64>(), Just(u64::MAX)].boxed()
}

/// Percentiles in order (as validation demands), of any figures.
fn percentiles(figure: BoxedStrategy<f64>) -> impl Strategy<Value = Percentiles> {
    (count(), [figure.clone(), figure.clone(), figure.clone(), figure]).prop_map(|(count, mut p)| {
        p.sort_by(f64::total_cmp);
        Percentiles { count, p50_ns: p[0], p99_ns: p[1], p999_ns: p[2], max_ns: p[3] }
    })
}

fn workload_record(figure: BoxedStrategy<f64>) -> impl Strategy<Value = WorkloadRecord> {
    let modes = select(vec![
        WorkloadMode::Processes,
        WorkloadMode::Simulated,
        WorkloadMode::Churn,
        WorkloadMode::Remote,
    ]);
    let queries = select(vec![Query::ByName, Query::ByPid, Query::List, Query::Counts]);
    let load = prop_oneof![
        any::<u64>().prop_map(|queries_per_sec| ReaderLoad::Paced { queries_per_sec }),
        Just(ReaderLoad::ClosedLoop),
    ];
    let by_query =
        (queries, percentiles(figure.clone())).prop_map(|(query, latency)| QueryLatency { query, latency });
    (
        (modes, strategy(), any::<bool>(), any::<u32>(), threads(), load),
        (figure.clone(), any::<u64>(), any::<u64>(), proptest::option::of(figure.clone())),
        (percentiles(figure.clone()), proptest::collection::vec(by_query, 0..5)),
        (
            proptest::option::of(percentiles(figure.clone())),
            proptest::collection::vec(percentiles(figure), 0..3),
        ),
    )
        .prop_map(
            |(
                (mode, (id, strategy, kind), default, children, readers, load),
                (seconds, queries, events, target_events_per_sec),
                (latency, by_query),
                (event_lag, rounds),
            )| WorkloadRecord {
                mode,
                id,
                strategy,
                kind,
                default,
                children,
                readers,
                load,
                seconds,
                queries,
                events,
                target_events_per_sec,
                latency,
                by_query,
                event_lag,
                rounds,
            },
        )
}

/// A document of the right shape whose figures come from `figure`.
fn document(figure: BoxedStrategy<f64>) -> impl Strategy<Value = Results> {
    let base = results("x86_64", false);
    let machine = prop_oneof![9 => Just(base.machine.clone()), 1 => (text(), text(), text(), any::<u32>(), any::<u64>())
    .prop_map(move |(arch, os, cpu_model, cores, finished_unix)| Machine {
        arch,
        os,
        cpu_model,
        cores,
        finished_unix,
        ..base.machine.clone()
    })];
    let config = (
        threads(),
        proptest::collection::vec(threads(), 0..6),
        figure.clone(),
        any::<u32>(),
        any::<u32>(),
        figure.clone(),
    )
        .prop_map(
            |(concurrent_threads, sweep, paced_rate, registry_size, table_size, measurement_secs)| {
                RunConfig {
                    profile: "full".to_owned(),
                    concurrent_threads,
                    sweep,
                    paced_rate,
                    registry_size,
                    table_size,
                    sample_size: 30,
                    measurement_secs,
                }
            },
        );
    (
        // Schema 1 derives ids from labels: most made-up labels give none.
        prop_oneof![1 => Just(1), 1 => Just(2), 4 => Just(SCHEMA_VERSION)],
        machine,
        config,
        proptest::collection::vec(record(figure.clone()), 0..RECORDS),
        proptest::collection::vec(workload_record(figure.clone()), 0..WORKLOAD),
        proptest::collection::vec(workload_record(figure), 0..WORKLOAD),
        proptest::option::of(text()),
    )
        .prop_map(|(schema_version, machine, config, records, workload, mut head_to_head, commit)| {
            // In the workload's own settings, so that the report reads them.
            for (again, main) in head_to_head.iter_mut().zip(workload.iter().cycle()) {
                (again.mode, again.readers, again.load) = (main.mode, main.readers, main.load);
            }
            Results {
                schema_version,
                machine,
                config,
                records,
                workload,
                head_to_head,
                reclamation: Vec::new(),
                commit,
                versions: Default::default(),
            }
        })
}

/// How a written document gets damaged: cut short, or a run of bytes
/// overwritten.
#[derive(Clone, Debug)]
enum Damage {
    Truncate(prop::sample::Index),
    Overwrite(prop::sample::Index, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        (any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Damage::Overwrite(at, bytes)),
    ]
}

proptest! {
    // Each case renders up to two reports in a debug build: a few hundred
    // cases keep the file's run within seconds (under qemu too).
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn documents_of_any_figures_load_and_render_or_fail_by_name(
        results in prop_oneof![2 => document(measurable_figure()), 1 => document(any_figure())],
    ) {
        // The renderer takes any Results, validated or not: NaN and the
        // infinities too.
        for text in [render_markdown(&results), render_html(&results)] {
            prop_assert!(text.len() < MAX_RENDERED_BYTES, "{} bytes", text.len());
        }
        let scratch = Scratch::new("hostile-document");
        // serde_json writes NaN and the infinities as null: the loader sees
        // what a file can hold.
        load_and_render(&scratch.write_results("results.json", &results));
    }

    #[test]
    fn damaged_documents_load_and_render_or_fail_by_name(
        results in document(measurable_figure()),
        damage in damage(),
    ) {
        let scratch = Scratch::new("hostile-damage");
        let mut bytes = serde_json::to_vec(&results).expect("results serialize");
        match damage {
            Damage::Truncate(at) => bytes.truncate(at.index(bytes.len())),
            Damage::Overwrite(at, with) => {
                let start = at.index(bytes.len());
                let end = (start + with.len()).min(bytes.len());
                bytes.splice(start..end, with);
            }
        }
        let path = scratch.path().join("results.json");
        std::fs::write(&path, bytes).expect("write");
        load_and_render(&path);
    }

    #[test]
    fn any_bytes_load_and_render_or_fail_by_name(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let scratch = Scratch::new("hostile-bytes");
        let path = scratch.path().join("results.json");
        std::fs::write(&path, bytes).expect("write");
        load_and_render(&path);
    }
}

/// The fixture, written to a file after `change`, then loaded.
fn load_changed(change: impl FnOnce(&mut Results)) -> (Scratch, Result<Results, LoadError>) {
    let scratch = Scratch::new("hostile-figure");
    let mut results = results("x86_64", false);
    change(&mut results);
    let path = scratch.write_results("reports/x86_64-linux/results.json", &results);
    let loaded = load(&path);
    (scratch, loaded)
}

#[test]
fn a_negative_figure_is_rejected_naming_file_record_and_field() {
    let (scratch, loaded) = load_changed(|r| {
        let record = r.records.iter_mut().find(|r| r.group == groups::CONCURRENT && r.threads == 10).unwrap();
        record.id = "arc-swap-cache".to_owned();
        record.ns_per_op = Some(-5.0);
    });
    let error = loaded.unwrap_err();
    assert!(matches!(error, LoadError::Invalid { .. }), "{error:?}");
    let file = scratch.path().join("reports/x86_64-linux/results.json");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: record \"arc-swap-cache\" (group concurrent, 10 threads): field ns_per_op is -5, a time \
             cannot be negative",
            file.display()
        )
    );
}

#[test]
fn a_figure_of_1_5e308_renders_in_bounded_output() {
    let (_scratch, loaded) = load_changed(|r| {
        for record in &mut r.records {
            if record.group == groups::CONCURRENT {
                record.ns_per_op = Some(1.5e308);
            }
        }
        r.workload[0].latency.max_ns = 1.5e308;
    });
    let results = loaded.expect("1.5e308 is a finite, non-negative figure");
    let html = render_html(&results);
    assert!(html.contains("<svg") && html.len() < MAX_RENDERED_BYTES);
    assert!(render_markdown(&results).len() < MAX_RENDERED_BYTES);
}

#[test]
fn figures_past_f64_fail_to_parse_naming_the_file() {
    let scratch = Scratch::new("hostile-overflow");
    let text = serde_json::to_string_pretty(&results("x86_64", false)).unwrap();
    let text = text.replacen("\"ns_per_op\": 16.0", "\"ns_per_op\": 1e400", 1);
    assert!(text.contains("1e400"));
    let path = scratch.write("results.json", &text);
    let error = load(&path).unwrap_err();
    assert!(matches!(error, LoadError::Json { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&path.display().to_string()), "{error}");
}
