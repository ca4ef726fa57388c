//! The supervisor workload section, end to end, on results built in code.

// Each test crate uses part of the fixture.
#[allow(dead_code)]
mod fixture;

use std::fs;

use fixture::{Scratch, results};
use procstore_report::{
    LoadError, WorkloadMode, WorkloadRecord, load, render_all, render_html, render_markdown,
};

/// The text of `text` from `start` up to the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start} in\n{text}"));
    let rest = &text[from..];
    &rest[..rest[start.len()..].find(end).map_or(rest.len(), |i| i + start.len())]
}

/// The markdown table rows (header excluded) in `section`.
fn table_rows(section: &str) -> Vec<&str> {
    section.lines().filter(|l| l.starts_with("| ")).skip(1).collect()
}

#[test]
fn markdown_has_the_section_after_the_registry() {
    let md = render_markdown(&results("x86_64", false));
    let at = |heading: &str| md.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    assert!(at("## Registry") < at("## Supervisor workload"));
    assert!(at("## Supervisor workload") < at("### Real child processes"));
    assert!(at("### Real child processes") < at("### Simulated event stream"));
    assert!(at("### Simulated event stream") < at("## Floors"));

    let processes = between(&md, "### Real child processes", "#### p99 by query");
    assert!(processes.contains(
        "| Strategy | Family | Queries/s | p50 | p99 | p99.9 | Max | Event lag p50 | Lag p99 | Lag max | \
         Events/s |"
    ));
    let rows = table_rows(processes);
    assert_eq!(rows.len(), 6, "one row per record, in file order");
    assert_eq!(
        rows[0],
        "| floor: timer only | floor | 2.00M/s | 20.0 ns | 40.0 ns | 60.0 ns | 600 ns | — | — | — | 0/s |"
    );
    assert_eq!(
        rows[1],
        "| std Mutex | lock | 2.00M/s | 300 ns | 10.2 µs | 20.0 µs | 200 µs | 3.00 µs | 102 µs | 2.00 ms | 150/s |"
    );
    assert!(rows[5].starts_with("| haphazard + copy-on-write | atomic |"));
    assert!(processes.contains(
        "8 supervised children and 3 reader threads, 2.00 s per row; lifecycle events published: 150/s."
    ));
    assert!(
        processes
            .contains("(by count: 80% status by name, 10% lookup by pid, 5% list all, 5% counts by status)")
    );
    assert!(processes.contains("Rows labelled 'floor:' time the clock reads alone"));

    let simulated = between(&md, "### Simulated event stream", "#### p99 by query");
    assert!(simulated.contains(
        "lifecycle events published: 50.0k/s–99.0k/s against a target of 100k/s (50%–99% of it; ⚠ marks a \
         row under 95%)."
    ));
    let rows = table_rows(simulated);
    assert_eq!(rows.len(), 6);
    assert!(
        rows[3].starts_with("| crossbeam actor | channel |")
            && rows[3].ends_with("| 50.0k/s ⚠ 50% of target |")
    );
    assert!(rows[1].ends_with("| 99.0k/s |"));

    let by_query = between(&md, "#### p99 by query (real child processes, 3 readers)", "####");
    assert!(by_query.contains("| Strategy | status by name | lookup by pid | list all | counts by status |"));
    let rows = table_rows(by_query);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0], "| floor: timer only | — | — | — | — |");
    assert_eq!(rows[1], "| std Mutex | 10.2 µs | 40.6 µs | 81.2 µs | 91.3 µs |");
}

#[test]
fn ranking_paragraph_follows_the_numbers() {
    let md = render_markdown(&results("x86_64", false));
    let processes =
        between(&md, "#### Did the micro-benchmark ranking hold? (real child processes, 3 readers)", "###");
    assert!(processes.contains(
        "Ranked by workload p50 (all queries) and by their store's Concurrent (10) ns/op in the \
         micro-benchmark, 2 of 4 rows keep their rank; Spearman's rank correlation is 0.80 (1: the same \
         order, -1: reversed)."
    ));
    assert!(processes.contains(
        "arc-swap Cache + DashMap is the fastest in both (150 ns p50; arc-swap Cache: 0.200 ns in the \
         micro-benchmark)."
    ));
    assert!(processes.contains("is the same in both: atomic, lock, channel."));
    assert!(processes.contains("takes 13.3x the fastest's time at p50 and 4.50x at p99.9, against 1,750x"));
    assert!(processes.contains("1 of 4 rows keep their micro-benchmark rank (Spearman's 0.40)"));
    assert!(processes.contains("the fastest at p99.9 is std Mutex."));
    assert!(processes.contains(
        "Not ranked, having no Concurrent (10) figure for their store: haphazard + copy-on-write."
    ));
    assert!(!processes.contains("timer only"), "the floor is never ranked");

    // std Mutex and std RwLock tie at p50: average ranks.
    let simulated =
        between(&md, "#### Did the micro-benchmark ranking hold? (simulated event stream, 3 readers)", "##");
    assert!(simulated.contains("2 of 4 rows keep their rank; Spearman's rank correlation is 0.95"));
    assert!(simulated.contains("4 of 4 rows keep their micro-benchmark rank (Spearman's 1.00)"));

    // A store whose micro figure makes it the slowest changes the verdict.
    let mut r = results("x86_64", false);
    fixture::scale(&mut r, procstore_report::groups::CONCURRENT, "arc-swap Cache", 10_000.0);
    let md = render_markdown(&r);
    let processes =
        between(&md, "#### Did the micro-benchmark ranking hold? (real child processes, 3 readers)", "###");
    assert!(processes.contains(
        "The fastest row is arc-swap Cache + DashMap in the workload (150 ns p50) but std Mutex in the \
         micro-benchmark (std Mutex: 70.0 ns)."
    ));
    assert!(processes.contains(
        "differs: atomic, lock, channel in the workload, lock, channel, atomic in the micro-benchmark."
    ));
}

#[test]
fn html_has_the_section_tables_and_charts() {
    let r = results("x86_64", false);
    let html = render_html(&r);
    let section = between(&html, "<h2 id=\"supervisor-workload\">", "<h2 ");
    for id in [
        "real-child-processes-3-readers",
        "p99-by-query-real-child-processes-3-readers",
        "did-the-micro-benchmark-ranking-hold-real-child-processes-3-readers",
        "simulated-event-stream-3-readers",
    ] {
        assert!(section.contains(&format!(" id=\"{id}\">")), "{id}");
    }
    let processes = between(section, "<h3 id=\"real-child-processes-3-readers\">", "</table>");
    assert_eq!(processes.matches("<tr>").count(), 1 + 6);
    assert!(processes.contains("<td class=\"l\">floor: timer only</td><td class=\"l\">floor</td>"));
    let by_query = between(section, "<h4 id=\"p99-by-query-simulated-event-stream-3-readers\">", "</table>");
    assert_eq!(by_query.matches("<tr>").count(), 1 + 6);
    assert!(section.contains("<p class=\"finding\">Ranked by workload p50"));

    // One grouped log-scale chart per mode: p50, p99, p99.9 per row.
    assert_eq!(section.matches("<svg").count(), 2);
    let chart = between(section, "<svg", "</svg>");
    assert!(chart.contains("log scale") && chart.contains(">p99.9</text>"));
    assert_eq!(chart.matches("<rect x=\"").count() - chart.matches("class=\"legend\"").count(), 6 * 3 + 1);
    assert!(chart.contains("<title>std Mutex p99.9: 20.0 µs</title>"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));

    let mut without = r.clone();
    without.workload.clear();
    assert_eq!(html.matches("<svg").count(), render_html(&without).matches("<svg").count() + 2);
}

#[test]
fn results_without_workload_render_without_the_section() {
    let mut r = results("x86_64", false);
    r.workload.clear();
    let md = render_markdown(&r);
    assert!(!md.contains("Supervisor workload") && !md.contains("micro-benchmark ranking"));
    assert!(md.contains("## Registry") && md.contains("## Floors"));
    assert!(!render_html(&r).contains("Supervisor workload"));

    // Only one mode: only its part.
    let mut r = results("x86_64", false);
    r.workload.retain(|w| w.mode == WorkloadMode::Simulated);
    let md = render_markdown(&r);
    assert!(md.contains("### Simulated event stream") && !md.contains("### Real child processes"));
}

#[test]
fn workload_text_is_escaped_and_marked_when_emulated() {
    let mut r = results("aarch64", true);
    r.workload[1].strategy = "<script>x</script> | y".to_owned();
    let html = render_html(&r);
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;x&lt;/script&gt; | y"));
    let md = render_markdown(&r);
    assert!(md.contains(r"| \<script\>x\</script\> \| y | lock |"));
    let banner = "EMULATED (qemu-user): not hardware figures";
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("###")).collect();
    assert_eq!(headings.len(), 2 * 3);
    assert!(headings.iter().all(|h| h.contains(banner)), "{headings:#?}");
}

#[test]
fn old_results_without_workload_still_load() {
    let scratch = Scratch::new("old-workload");
    let mut json = serde_json::to_value(results("x86_64", false)).unwrap();
    assert!(json.as_object_mut().unwrap().remove("workload").is_some());
    let old = scratch.write("old.json", &serde_json::to_string_pretty(&json).unwrap());
    let loaded = load(&old).unwrap();
    assert!(loaded.workload.is_empty());
    assert!(!render_markdown(&loaded).contains("Supervisor workload"));

    // And an empty workload is not written at all.
    let mut r = results("x86_64", false);
    r.workload.clear();
    assert!(!serde_json::to_string(&r).unwrap().contains("workload"));
}

#[test]
fn invalid_workload_records_are_rejected() {
    let scratch = Scratch::new("bad-workload");
    let invalid = |name: &str, change: &dyn Fn(&mut procstore_report::Results)| {
        let mut r = results("x86_64", false);
        change(&mut r);
        let path = scratch.write_results(name, &r);
        let error = load(&path).unwrap_err();
        assert!(matches!(error, LoadError::Invalid { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.starts_with(&path.display().to_string()), "{text}");
        text
    };
    let text = invalid("zero.json", &|r| r.workload[1].seconds = 0.0);
    assert!(text.ends_with(
        "workload[1].seconds (strategy `std Mutex`) is `0`: it must be a positive, finite number of seconds"
    ));
    assert!(invalid("negative.json", &|r| r.workload[2].seconds = -1.0).contains("workload[2].seconds"));
    let text = invalid("order.json", &|r| r.workload[3].latency.p99_ns = 1e9);
    assert!(
        text.contains("workload[3].latency (strategy `crossbeam actor`) has p99_ns 1000000000 above p999_ns")
    );
    let text = invalid("lag.json", &|r| r.workload[4].event_lag.as_mut().unwrap().max_ns = 1.0);
    assert!(text.contains("workload[4].event_lag") && text.contains("above max_ns 1"));
    let text = invalid("query.json", &|r| r.workload[7].by_query[2].latency.p50_ns = 1e12);
    assert!(text.contains("workload[7].by_query[2].latency (strategy `std Mutex`) has p50_ns"));
}

#[test]
fn the_summary_names_the_fastest_workload_row() {
    let scratch = Scratch::new("summary");
    let reports = scratch.path().join("reports");
    scratch.write_results("reports/x86_64-linux/results.json", &results("x86_64", false));
    let mut simulated_only = results("aarch64", false);
    simulated_only.workload.retain(|w| w.mode == WorkloadMode::Simulated);
    scratch.write_results("reports/aarch64-linux/results.json", &simulated_only);
    let mut none = results("riscv64", false);
    none.workload.clear();
    scratch.write_results("reports/riscv64-linux/results.json", &none);
    render_all(&reports).unwrap();

    let readme = fs::read_to_string(reports.join("README.md")).unwrap();
    let line = "Supervisor workload (real child processes, 3 readers): fastest by p50 is haphazard + copy-on-write (120 ns \
                p50, 10.0 µs p99.9).";
    assert!(between(&readme, "## x86_64-linux", "## ").contains(line), "{readme}");
    assert!(between(&readme, "## aarch64-linux", "## ").contains(
        "Supervisor workload (simulated event stream, 3 readers): fastest by p50 is haphazard + copy-on-write (90.0 ns p50"
    ));
    assert!(!between(&readme, "## riscv64-linux", "## ").contains("Supervisor workload"));
    let index = fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(index.contains(&format!("<p>{line}</p>")));
}

#[test]
fn very_different_churn_is_called_out() {
    let mut results = results("x86_64", false);
    let md = render_markdown(&results);
    assert!(!md.contains("did not sustain the same churn"), "rates within 2x need no note");
    let starved = results
        .workload
        .iter_mut()
        .find(|r| r.mode == WorkloadMode::Simulated && r.strategy == "std Mutex")
        .expect("the fixture has it");
    starved.events /= 100;
    let md = render_markdown(&results);
    let simulated = between(&md, "### Simulated event stream", "#### p99 by query");
    assert!(
        simulated.contains("the writer published 990/s under std Mutex but 99.0k/s under"),
        "{simulated}"
    );
}

#[test]
fn each_reader_count_gets_its_own_part() {
    let mut results = results("x86_64", false);
    let more: Vec<_> =
        results.workload.iter().cloned().map(|r| WorkloadRecord { readers: 16, ..r }).collect();
    results.workload.extend(more);
    let md = render_markdown(&results);
    let at = |heading: &str| md.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    // Real processes first, then each reader count in the order measured.
    assert!(at("### Real child processes, 3 readers") < at("### Real child processes, 16 readers"));
    assert!(at("### Real child processes, 16 readers") < at("### Simulated event stream, 3 readers"));
    assert!(at("### Simulated event stream, 3 readers") < at("### Simulated event stream, 16 readers"));
    assert_eq!(table_rows(between(&md, "### Real child processes, 16 readers", "####")).len(), 6);
}

#[test]
fn a_reader_count_the_sweep_measured_is_compared_at_that_count() {
    let mut results = results("x86_64", false);
    for r in &mut results.workload {
        r.readers = 2;
    }
    let md = render_markdown(&results);
    let processes =
        between(&md, "#### Did the micro-benchmark ranking hold? (real child processes, 2 readers)", "###");
    assert!(
        processes.contains("by their store's Concurrent (2) ns/op in the micro-benchmark"),
        "{processes}"
    );
}
