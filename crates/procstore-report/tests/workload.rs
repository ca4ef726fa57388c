//! The supervisor workload section, end to end, on results built in code.

// Each test crate uses part of the fixture.
#[allow(dead_code)]
mod fixture;

use std::fs;

use fixture::{HANDLES_COW, HANDLES_PAPAYA, N, Scratch, results};
use procstore_report::{
    LoadError, ReaderLoad, WorkloadMode, WorkloadRecord, groups, load, render_all, render_html,
    render_markdown,
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
    assert!(at("## Registry\n") < at("## Registries against their floor"));
    assert!(at("## Registries against their floor") < at("## Registry writers under readers"));
    assert!(at("## Registry writers under readers") < at("## Supervisor workload"));
    assert!(at("## Supervisor workload") < at("### Real child processes"));
    assert!(at("### Real child processes") < at("### Simulated event stream"));
    assert!(at("### Simulated event stream") < at("### Simulated stream with children coming and going"));
    assert!(at("### Simulated stream with children coming and going") < at("## Recommendation"));
    assert!(at("## Recommendation") < at("## Floors"));

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
    // p99 = (p50 + p99.9) / 2, max = 10 p99.9, lag = 10x latency, 300 events in 2 s.
    assert_eq!(
        rows[1],
        "| std Mutex\\<HashMap\\> | lock | 2.00M/s | 300 ns | 10.2 µs | 20.0 µs | 200 µs | 3.00 µs | 102 µs | \
         2.00 ms | 150/s |"
    );
    // The facade's default says so after its label.
    assert_eq!(
        rows[5],
        format!(
            "| {HANDLES_PAPAYA} (default) | concurrent map | 2.00M/s | 120 ns | 5.06 µs | 10.0 µs | 100 µs | \
             1.20 µs | 50.6 µs | 1.00 ms | 150/s |"
        )
    );
    assert_eq!(processes.matches("(default)").count(), 1, "only the default row is marked");
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
        rows[3].starts_with("| actor/crossbeam HashMap | channel |")
            && rows[3].ends_with("| 50.0k/s ⚠ 50% of target |")
    );
    assert!(rows[1].ends_with("| 99.0k/s |"));

    let by_query =
        between(&md, "#### p99 by query (real child processes, 3 readers in a closed loop)", "####");
    assert!(by_query.contains("| Strategy | status by name | lookup by pid | list all | counts by status |"));
    let rows = table_rows(by_query);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0], "| floor: timer only | — | — | — | — |");
    // Factors 1, 4, 8, 9 of (300 + 20,000) / 2 ns.
    assert_eq!(rows[1], r"| std Mutex\<HashMap\> | 10.2 µs | 40.6 µs | 81.2 µs | 91.3 µs |");

    // Churn: only the registries measured there, no floor; all at 99.0k/s.
    let churn = between(&md, "### Simulated stream with children coming and going", "#### p99 by query");
    assert!(churn.contains("lifecycle events published: 99.0k/s against a target of 100k/s (99% of it;"));
    assert!(!churn.contains("Rows labelled 'floor:'"));
    let rows = table_rows(churn);
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with(r"| std Mutex\<HashMap\> | lock | 2.00M/s | 500 ns | 25.3 µs | 50.0 µs |"));
    assert!(rows[2].starts_with(&format!("| {HANDLES_PAPAYA} (default) | concurrent map |")));
}

#[test]
fn ranking_paragraph_follows_the_numbers() {
    let md = render_markdown(&results("x86_64", false));
    // Real processes, ranked rows (micro: registry get hit at N = 10, as 3
    // readers were not measured):
    //   std Mutex<HashMap>  p50 300   p99.9 20k  micro 200   ranks p50 2, p99.9 2, micro 3
    //   handles cow map     p50 400   p99.9 15k  micro 10    ranks p50 3, p99.9 1, micro 1
    //   actor/crossbeam     p50 2000  p99.9 90k  micro 2000  ranks p50 4, p99.9 4, micro 4
    //   DashMap             p50 150   p99.9 40k  micro 50    ranks p50 1, p99.9 3, micro 2
    // p50: d = 1, 2, 0, 1: 1 - 6 * 6 / 60 = 0.40, only actor kept.
    // p99.9: d = 1, 0, 0, 1: 1 - 6 * 2 / 60 = 0.80, cow and actor kept.
    let processes = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (real child processes, 3 readers in a closed loop)",
        "###",
    );
    assert!(processes.contains(
        "Ranked by workload p50 (all queries) and by their get hit (10) ns/op in the micro-benchmark, 1 of \
         4 rows keep their rank; Spearman's rank correlation is 0.40 (1: the same order, -1: reversed)."
    ));
    assert!(processes.contains(&format!(
        "The fastest row is DashMap in the workload (150 ns p50) but {HANDLES_COW} in the micro-benchmark \
         (10.0 ns)."
    )));
    assert!(processes.contains(
        "differs: concurrent map, lock, atomic, channel in the workload, atomic, concurrent map, lock, \
         channel in the micro-benchmark."
    ));
    // 2000 / 150, 90k / 15k, 2000 / 10.
    assert!(processes.contains("takes 13.3x the fastest's time at p50 and 6.00x at p99.9, against 200x"));
    assert!(processes.contains("2 of 4 rows keep their micro-benchmark rank (Spearman's 0.80)"));
    assert!(processes.contains(&format!("the fastest at p99.9 is {HANDLES_COW}.")));
    assert!(processes.contains(&format!("Not ranked, having no get hit (10) figure: {HANDLES_PAPAYA}.")));
    assert!(!processes.contains("timer only"), "the floor is never ranked");

    // Simulated: std Mutex<HashMap> and the cow map tie at p50 (200 ns):
    // ranks 2.5, 2.5, 4, 1 against 3, 1, 4, 2: Pearson 3 / sqrt(4.5 * 5).
    let simulated = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (simulated event stream, 3 readers in a closed loop)",
        "###",
    );
    assert!(simulated.contains("1 of 4 rows keep their rank; Spearman's rank correlation is 0.63"));
    assert!(simulated.contains("differs: concurrent map, lock = atomic, channel in the workload"));
    // p99.9 15k, 9k, 80k, 5k: ranks 3, 2, 4, 1; d = 0, 1, 0, 1.
    assert!(simulated.contains("2 of 4 rows keep their micro-benchmark rank (Spearman's 0.80)"));
    assert!(simulated.contains("the fastest at p99.9 is DashMap."));

    // Churn: two ranked rows, in the same order in both.
    let churn = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (simulated stream with children coming and going",
        "##",
    );
    assert!(churn.contains("2 of 2 rows keep their rank; Spearman's rank correlation is 1.00"));
    assert!(churn.contains("DashMap is the fastest in both (130 ns p50; 50.0 ns in the micro-benchmark)."));
    assert!(churn.contains("takes 3.85x the fastest's time at p50 and 8.33x at p99.9, against 4.00x"));

    // A registry whose micro figure makes it the slowest changes the verdict:
    // micro ranks 2, 4, 3, 1 against p50 ranks 2, 3, 4, 1: d = 0, 1, 1, 0.
    let mut r = results("x86_64", false);
    fixture::scale(&mut r, groups::REGISTRY_GET_HIT, HANDLES_COW, 1_000.0);
    let md = render_markdown(&r);
    let processes = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (real child processes, 3 readers in a closed loop)",
        "###",
    );
    assert!(processes.contains("2 of 4 rows keep their rank; Spearman's rank correlation is 0.80"));
    assert!(
        processes.contains("DashMap is the fastest in both (150 ns p50; 50.0 ns in the micro-benchmark).")
    );
    assert!(processes.contains(
        "differs: concurrent map, lock, atomic, channel in the workload, concurrent map, lock, channel, \
         atomic in the micro-benchmark."
    ));
}

#[test]
fn html_has_the_section_tables_and_charts() {
    let r = results("x86_64", false);
    let html = render_html(&r);
    let section = between(&html, "<h2 id=\"supervisor-workload\">", "<h2 ");
    for id in [
        "real-child-processes-3-readers-in-a-closed-loop",
        "p99-by-query-real-child-processes-3-readers-in-a-closed-loop",
        "did-the-micro-benchmark-ranking-hold-real-child-processes-3-readers-in-a-closed-loop",
        "simulated-event-stream-3-readers-in-a-closed-loop",
        "simulated-stream-with-children-coming-and-going-3-readers-in-a-closed-loop",
    ] {
        assert!(section.contains(&format!(" id=\"{id}\">")), "{id}");
    }
    let processes =
        between(section, "<h3 id=\"real-child-processes-3-readers-in-a-closed-loop\">", "</table>");
    assert_eq!(processes.matches("<tr>").count(), 1 + 6);
    assert!(processes.contains("<td class=\"l\">floor: timer only</td><td class=\"l\">floor</td>"));
    let by_query = between(
        section,
        "<h4 id=\"p99-by-query-simulated-event-stream-3-readers-in-a-closed-loop\">",
        "</table>",
    );
    assert_eq!(by_query.matches("<tr>").count(), 1 + 6);
    assert!(section.contains("<p class=\"finding\">Ranked by workload p50"));

    // One grouped log-scale chart per setting: p50, p99, p99.9 per row.
    assert_eq!(section.matches("<svg").count(), 3);
    let chart = between(section, "<svg", "</svg>");
    assert!(chart.contains("log scale") && chart.contains(">p99.9</text>"));
    assert_eq!(chart.matches("<rect x=\"").count() - chart.matches("class=\"legend\"").count(), 6 * 3 + 1);
    assert!(chart.contains("<title>std Mutex&lt;HashMap&gt; p99.9: 20.0 µs</title>"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));

    let mut without = r.clone();
    without.workload.clear();
    assert_eq!(html.matches("<svg").count(), render_html(&without).matches("<svg").count() + 3);
}

#[test]
fn results_without_workload_render_without_the_section() {
    let mut r = results("x86_64", false);
    r.workload.clear();
    let md = render_markdown(&r);
    assert!(!md.contains("Supervisor workload") && !md.contains("micro-benchmark ranking"));
    assert!(!md.contains("## Recommendation"), "nothing to recommend from");
    assert!(md.contains("## Registry") && md.contains("## Floors"));
    assert!(!render_html(&r).contains("Supervisor workload"));

    // Only one mode: only its part.
    let mut r = results("x86_64", false);
    r.workload.retain(|w| w.mode == WorkloadMode::Simulated);
    let md = render_markdown(&r);
    assert!(md.contains("### Simulated event stream") && !md.contains("### Real child processes"));
    assert!(!md.contains("### Simulated stream with children coming and going"));
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
    // Per setting (3): its table and two h4; and the Recommendation's table.
    assert_eq!(headings.len(), 3 * 3 + 1);
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
    let named = "workload record \"std-mutex-map\" (real child processes, 3 readers in a closed loop)";
    assert!(
        text.ends_with(&format!(
            "{named}: field seconds is 0, the rates divide by it so it must be positive"
        )),
        "{text}"
    );
    let text = invalid("negative.json", &|r| r.workload[2].seconds = -1.0);
    assert!(text.ends_with("field seconds is -1, a time cannot be negative"), "{text}");
    let text = invalid("order.json", &|r| r.workload[3].latency.p99_ns = 1e9);
    assert!(text.contains(
        "workload record \"crossbeam-actor-map\" (real child processes, 3 readers in a closed loop): field \
         latency has p99_ns 1000000000 above p999_ns"
    ));
    let text = invalid("lag.json", &|r| r.workload[4].event_lag.as_mut().unwrap().max_ns = 1.0);
    assert!(text.contains("field event_lag has") && text.contains("above max_ns 1"));
    let text = invalid("query.json", &|r| r.workload[7].by_query[2].latency.p50_ns = 1e12);
    assert!(
        text.contains(
            "(simulated event stream, 3 readers in a closed loop): field by_query[2].latency has p50_ns"
        ),
        "{text}"
    );
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
    let line = "Supervisor workload (real child processes, 3 readers in a closed loop): fastest by p50 is arc-swap Cache stores in \
                papaya (handles) (120 ns p50, 10.0 µs p99.9).";
    assert!(between(&readme, "## x86_64-linux", "## ").contains(line), "{readme}");
    assert!(between(&readme, "## aarch64-linux", "## ").contains(
        "Supervisor workload (simulated event stream, 3 readers in a closed loop): fastest by p50 is arc-swap Cache stores in papaya \
         (handles) (90.0 ns p50"
    ));
    assert!(!between(&readme, "## riscv64-linux", "## ").contains("Supervisor workload"));
    let index = fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(index.contains(&format!("<p>{line}</p>")));
}

/// `results` with each closed-loop row also run with paced readers, and
/// the clock-only floor's writer as fast as the fastest row's, so the
/// closed loop is judged outside the bar, against the floor.
fn with_paced_twins(mut results: procstore_report::Results) -> procstore_report::Results {
    for record in &mut results.workload {
        if record.kind == procstore_catalog::Family::Floor {
            record.events = if record.mode == WorkloadMode::Processes { 300 } else { 198_000 };
        }
    }
    let paced: Vec<WorkloadRecord> = results
        .workload
        .iter()
        .map(|record| WorkloadRecord { load: ReaderLoad::Paced { queries_per_sec: 1000 }, ..record.clone() })
        .collect();
    results.workload.extend(paced);
    results
}

#[test]
fn the_side_by_side_page_gives_each_machine_its_recommendation() {
    let scratch = Scratch::new("recommendations");
    let reports = scratch.path().join("reports");
    scratch.write_results("reports/x86_64-linux/results.json", &with_paced_twins(results("x86_64", false)));
    let mut many_cores = with_paced_twins(results("x86_64", false));
    many_cores.machine.name = Some("x86_64-linux-16-cores".to_owned());
    many_cores.machine.cores = 16;
    many_cores.workload.iter_mut().for_each(|w| w.default = false);
    scratch.write_results("reports/x86_64-linux-16-cores/results.json", &many_cores);
    let mut emulated = with_paced_twins(results("aarch64", true));
    emulated.machine.cores = 64;
    scratch.write_results("reports/aarch64-linux/results.json", &emulated);
    let mut none = results("riscv64", false);
    none.workload.clear();
    scratch.write_results("reports/riscv64-linux/results.json", &none);
    render_all(&reports).unwrap();

    let readme = fs::read_to_string(reports.join("README.md")).unwrap();
    let rows = table_rows(between(&readme, "The recommendation on each machine", "\n\n#"));
    assert_eq!(rows.len(), 3, "one row per run with a workload: {rows:?}");
    // The row says what that machine's own report recommends.
    let report = fs::read_to_string(reports.join("x86_64-linux/REPORT.md")).unwrap();
    let used = between(&report, "Use ", ":");
    let recommended = used["Use ".len()..].trim_end_matches(':').trim_end_matches(", the facade's default");
    assert!(rows[0].starts_with("| aarch64-linux | full | "), "{rows:?}");
    assert!(rows[1].starts_with("| x86_64-linux | full | ") && rows[1].contains(recommended), "{rows:?}");
    assert!(rows[2].starts_with("| x86_64-linux-16-cores | full | "), "{rows:?}");
    assert!(rows[2].contains(" | — | — | — |"), "no row marked as the default: {rows:?}");
    // The emulated run has the most cores, but an emulator decides nothing.
    assert!(readme.contains("on the machine with the most cores (x86_64-linux-16-cores)"), "{readme}");
}

#[test]
fn very_different_churn_is_called_out() {
    let mut results = results("x86_64", false);
    let md = render_markdown(&results);
    // 99.0k/s against 50.0k/s: just under 2x.
    assert!(!md.contains("did not sustain the same churn"), "rates within 2x need no note");
    let starved = results
        .workload
        .iter_mut()
        .find(|r| r.mode == WorkloadMode::Simulated && r.strategy == "std Mutex<HashMap>")
        .expect("the fixture has it");
    starved.events /= 100;
    let md = render_markdown(&results);
    let simulated = between(&md, "### Simulated event stream", "#### p99 by query");
    assert!(
        simulated.contains(r"the writer published 990/s under std Mutex\<HashMap\> but 99.0k/s under"),
        "{simulated}"
    );
}

#[test]
fn the_spread_between_a_rows_own_rounds_is_given_as_the_runs_noise() {
    let mut results = results("x86_64", false);
    // The fixture's rounds: every row's p99.9 1.21x apart, its p50 equal.
    let md = render_markdown(&results);
    let processes = between(&md, "### Real child processes", "#### p99 by query");
    assert!(
        processes.contains(
            "Round to round: 5 of 5 rows ran 2 rounds each, interleaved with the other rows. Between \
             its own rounds the median row's p99.9 moved by 1.21x (p50: 1.00x at the median row); the \
             most, 1.21x, was under"
        ),
        "{processes}"
    );
    let recommendation = between(&md, "## Recommendation", "###");
    assert!(
        recommendation.contains("the median row's p99.9 moved by up to 1.21x (in ")
            && recommendation.contains("and its p50 by up to 1.00x (in ")
            && recommendation.contains("against the bar's 1.50x and 1.25x between rows."),
        "{recommendation}"
    );
    assert!(!recommendation.contains("noise alone"), "a spread under the bar: {recommendation}");

    // One row far noisier: named as the most, the median unmoved.
    let noisy = |r: &WorkloadRecord| r.mode == WorkloadMode::Processes && r.strategy == "std Mutex<HashMap>";
    let row = results.workload.iter_mut().find(|r| noisy(r)).expect("the fixture has it");
    row.rounds[1].p999_ns = row.rounds[0].p999_ns * 3.0;
    row.rounds[1].max_ns = row.rounds[1].p999_ns;
    let md = render_markdown(&results);
    let processes = between(&md, "### Real child processes", "#### p99 by query");
    assert!(
        processes.contains(
            r"moved by 1.21x (p50: 1.00x at the median row); the most, 3.00x, was under std Mutex\<HashMap\>."
        ),
        "{processes}"
    );

    // Every row of a setting that noisy: the Recommendation says the bar is inside the noise.
    for r in results.workload.iter_mut().filter(|r| r.mode == WorkloadMode::Processes) {
        if let [first, second] = &mut r.rounds[..] {
            second.p999_ns = first.p999_ns * 1.6;
            second.max_ns = second.max_ns.max(second.p999_ns);
        }
    }
    let md = render_markdown(&results);
    let recommendation = between(&md, "## Recommendation", "###");
    assert!(
        recommendation.contains("p99.9 moved by up to 1.60x (in real child processes")
            && recommendation.contains(
                "The p99.9 spread reaches the bar's factor: in real child processes, 3 readers in a \
                 closed loop, a row can meet or miss the bar on p99.9 by noise alone."
            ),
        "{recommendation}"
    );

    // Runs from before rounds were kept have no note.
    for r in &mut results.workload {
        r.rounds.clear();
    }
    assert!(!render_markdown(&results).contains("Round to round"));
    assert!(!render_markdown(&results).contains("How finely"));
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
    assert!(
        at("### Real child processes, 3 readers in a closed loop")
            < at("### Real child processes, 16 readers in a closed loop")
    );
    assert!(
        at("### Real child processes, 16 readers in a closed loop")
            < at("### Simulated event stream, 3 readers in a closed loop")
    );
    assert!(
        at("### Simulated event stream, 3 readers in a closed loop")
            < at("### Simulated event stream, 16 readers in a closed loop")
    );
    assert!(
        at("### Simulated event stream, 16 readers in a closed loop")
            < at("### Simulated stream with children coming and going, 3 readers in a closed loop")
    );
    assert_eq!(
        table_rows(between(&md, "### Real child processes, 16 readers in a closed loop", "####")).len(),
        6
    );
}

#[test]
fn a_reader_count_the_sweep_measured_is_compared_at_that_count() {
    // The registry groups ran at 1 and N threads: 1 reader compares at 1.
    let mut results = results("x86_64", false);
    for r in &mut results.workload {
        r.readers = 1;
    }
    let md = render_markdown(&results);
    let processes = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (real child processes, 1 readers in a closed loop)",
        "###",
    );
    assert!(processes.contains("by their get hit (1) ns/op in the micro-benchmark"), "{processes}");
    // At 1 thread the fixture's get hits are halved: 10 ns becomes 5 ns.
    assert!(processes.contains(&format!("{HANDLES_COW} in the micro-benchmark (5.00 ns)")), "{processes}");

    // 2 readers: the registry groups did not run at 2, so at N.
    for r in &mut results.workload {
        r.readers = 2;
    }
    let md = render_markdown(&results);
    let processes = between(
        &md,
        "#### Did the micro-benchmark ranking hold? (real child processes, 2 readers in a closed loop)",
        "###",
    );
    assert!(processes.contains(&format!("by their get hit ({N}) ns/op")), "{processes}");
    assert!(processes.contains(&format!("{HANDLES_COW} in the micro-benchmark (10.0 ns)")), "{processes}");
}

#[test]
fn the_recommendation_names_the_registry_meeting_the_bar_most_often() {
    // Bar: 90% of the best events/s, p50 within 1.25x, p99.9 within 1.5x.
    // papaya: best p50 and p99.9 in real processes (meets); in simulated
    // p99.9 9k / 5k = 1.80x (misses); best in churn (meets): 2 of 3.
    // DashMap meets only in simulated (100 / 90 = 1.11x, best p99.9).
    let md = render_markdown(&results("x86_64", false));
    let section = between(&md, "## Recommendation", "## Floors");
    assert!(section.contains(&format!(
        "Use {HANDLES_PAPAYA}: of every row it comes nearest the bar (at least 90% of the best row's \
         lifecycle events/s, query p50 within 1.25x and p99.9 within 1.50x of the best row's) across the 3 \
         settings (0.991x from it), and meets it in 2 of them. Where it falls short: simulated event \
         stream, 3 readers in a closed loop: p99.9 1.80x the best."
    )));
    assert!(section.contains(&format!(
        "The procstore facade's default ({HANDLES_PAPAYA}) is the recommended registry."
    )));
    assert!(!section.contains('⚠'), "the default is the recommended row");

    let table = between(section, "### Every registry against the bar", "## ");
    let rows = table_rows(table);
    assert_eq!(rows.len(), 5, "one row per non-floor registry: {rows:#?}");
    assert!(!table.contains("timer only"));
    // Nearest the bar first (settings met breaking ties), by distance, the geometric
    // mean over settings of the worst criterion over the bar:
    // papaya (0.9 * 1.2 * 0.9)^(1/3) = 0.991; DashMap (2.67 * 0.9 * 1.04)^(1/3)
    // = 1.36; cow (2.67 * 1.78)^(1/2) = 2.18; mutex (2 * 2 * 6.67)^(1/3) = 2.99;
    // actor 13.3 (p50 2000 / 120 over 1.25) with 50k of 99k events/s.
    assert_eq!(rows[0], format!("| {HANDLES_PAPAYA} (default) | 2 of 3 | 0.991x | 100% | 1.00x | 1.80x |"));
    assert_eq!(rows[1], "| DashMap | 1 of 3 | 1.36x | 100% | 1.30x | 4.00x |");
    assert_eq!(rows[2], format!("| {HANDLES_COW} | 0 of 2 | 2.18x | 100% | 3.33x | 1.80x |"));
    assert_eq!(rows[3], r"| std Mutex\<HashMap\> | 0 of 3 | 2.99x | 100% | 5.00x | 10.0x |");
    assert_eq!(rows[4], "| actor/crossbeam HashMap | 0 of 2 | 13.3x | 51% | 16.7x | 16.0x |");

    // The default moved to a registry that loses: flagged, with its rank.
    let mut r = results("x86_64", false);
    for w in &mut r.workload {
        w.default = w.strategy == "std Mutex<HashMap>";
    }
    let md = render_markdown(&r);
    let section = between(&md, "## Recommendation", "## Floors");
    assert!(section.contains(&format!("Use {HANDLES_PAPAYA}: of every row it comes nearest the bar")));
    assert!(section.contains(
        "⚠ The procstore facade's default (std Mutex\\<HashMap\\>) is not the recommended registry: it meets \
          the bar in 0 of 3 settings (rank 4 of 5)."
    ));
    let rows = table_rows(between(section, "### Every registry against the bar", "## "));
    assert_eq!(rows[0], format!("| {HANDLES_PAPAYA} | 2 of 3 | 0.991x | 100% | 1.00x | 1.80x |"));
    assert!(rows[3].starts_with(r"| std Mutex\<HashMap\> (default) | 0 of 3 |"));
}

#[test]
fn registry_writers_under_readers_are_shown_with_the_starved_named() {
    let md = render_markdown(&results("x86_64", false));
    let section = between(&md, "## Registry writers under readers", "## ");
    assert!(section.contains(&format!("{N} reader threads query a table of 16 processes")));
    let rows = table_rows(section);
    assert_eq!(rows.len(), 5, "one row per registry with a starvation record, no floor: {rows:#?}");
    // Writer rate over the best (2.00M/s): 7.5% rounds to 8%, 12.5% to 12%.
    assert_eq!(rows[0], r"| std Mutex\<HashMap\> | 400 ns | 150k/s | 8% |");
    assert_eq!(rows[1], "| actor/crossbeam HashMap | 3,000 ns | 1.00M/s | 50% |");
    assert_eq!(rows[2], "| DashMap | 120 ns | 1.50M/s | 75% |");
    assert_eq!(rows[3], "| copy-on-write HashMap (arc-swap Cache) | 25.0 ns | 250k/s | 12% |");
    assert_eq!(rows[4], format!("| {HANDLES_COW} | 30.0 ns | 2.00M/s | 100% |"));
    // Only the writer under 10% of the best is starved.
    assert!(section.contains(r"Under 10% of the best writer's rate: std Mutex\<HashMap\>."));

    // No writer starved: no note; no record at all: said so.
    let mut r = results("x86_64", false);
    for record in &mut r.records {
        if record.group == groups::REGISTRY_STARVATION {
            record.writer_updates_per_sec = Some(1_000_000.0);
        }
    }
    let md = render_markdown(&r);
    let section = between(&md, "## Registry writers under readers", "## ");
    assert!(!section.contains("Under 10%"), "{section}");
    r.records.retain(|record| record.group != groups::REGISTRY_STARVATION);
    let md = render_markdown(&r);
    let section = between(&md, "## Registry writers under readers", "## ");
    assert!(section.contains("Not measured in this run.") && table_rows(section).is_empty(), "{section}");
}

#[test]
fn registries_are_held_to_the_immutable_map_floor() {
    let md = render_markdown(&results("x86_64", false));
    let section = between(&md, "## Registries against their floor", "## ");
    assert!(section.contains(
        "The fastest registry's get hit over the floor (floor: immutable HashMap, no sync): an immutable \
         map read through a plain shared reference, no synchronization. The target is 2.00x or less."
    ));
    let rows = table_rows(section);
    assert_eq!(rows.len(), 2, "1 and N threads");
    // The handles cow map: 5 ns at 1 thread, 10 ns at N; the floor 4 ns at both.
    assert_eq!(rows[0], format!("| get hit (1) | {HANDLES_COW}: 5.00 ns | 4.00 ns | 1.25x | yes |"));
    assert_eq!(rows[1], format!("| get hit ({N}) | {HANDLES_COW}: 10.0 ns | 4.00 ns | 2.50x | no |"));

    // Without the floor: the registry is still named, the verdict is a gap.
    let mut r = results("x86_64", false);
    fixture::remove(&mut r, groups::REGISTRY_GET_HIT, procstore_catalog::floors::IMMUTABLE_MAP.label);
    let md = render_markdown(&r);
    let section = between(&md, "## Registries against their floor", "## ");
    assert!(section.contains("over the floor (not measured)"), "{section}");
    assert_eq!(
        table_rows(section)[0],
        format!("| get hit (1) | {HANDLES_COW}: 5.00 ns | — | — | not measured |")
    );
}

#[test]
fn paced_settings_come_first_flag_a_short_row_and_carry_the_bar() {
    let mut r = results("x86_64", false);
    let paced = ReaderLoad::Paced { queries_per_sec: 500_000 };
    for record in r.workload.iter_mut().filter(|w| w.mode == WorkloadMode::Processes) {
        record.load = paced;
        if record.strategy == HANDLES_COW {
            record.queries = 1_000_000; // 500k/s of the 1.5M/s offered
        }
    }
    let md = render_markdown(&r);
    let at = |heading: &str| md.find(heading).unwrap_or_else(|| panic!("no {heading} in\n{md}"));
    assert!(
        at("### Real child processes, 3 readers polling at 500k/s each")
            < at("### Simulated event stream, 3 readers in a closed loop")
    );
    let processes = between(&md, "### Real child processes, 3 readers polling at", "####");
    let row = table_rows(processes).into_iter().find(|row| row.contains(HANDLES_COW)).expect("its row");
    assert!(row.contains("| 500k/s ⚠ 33% of target |"), "{row}");
    let recommendation = between(&md, "## Recommendation", "## Floors");
    assert!(recommendation.contains("across the 1 settings with paced readers"), "{recommendation}");
    assert!(
        recommendation.contains("### Every registry with readers in a closed loop (outside the bar)"),
        "{recommendation}"
    );
}
