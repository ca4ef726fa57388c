//! The renderer end to end, on results built in code.

mod fixture;

use std::fs;

use fixture::{N, Scratch, remove, results, scale};
use procstore_report::{
    AddError, LoadError, RenderError, SCHEMA_VERSION, Verdict, add_results, check_claims, groups, load,
    render_all, render_html, render_markdown,
};

/// The committed run every change must keep rendering.
const COMMITTED: &str = "../../reports/x86_64-linux/results.json";

/// The markdown table row whose first cell is `label`.
fn row<'a>(markdown: &'a str, label: &str) -> &'a str {
    let start = format!("| {label} |");
    markdown
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no row {label} in\n{markdown}"))
}

fn verdict(results: &procstore_report::Results, starts: &str) -> Verdict {
    check_claims(results)
        .into_iter()
        .find(|c| c.statement.starts_with(starts))
        .unwrap_or_else(|| panic!("no claim {starts}"))
        .verdict
}

#[test]
fn main_table_has_the_go_columns_and_every_store() {
    let md = render_markdown(&results("x86_64", false));
    assert!(md.contains(&format!(
        "| Approach | Single Reader | Concurrent ({N}) | Under Contention | Memory/Op |"
    )));
    assert_eq!(row(&md, "std Mutex"), "| std Mutex | 16.0 ns | 70.0 ns | 25.0 ns | 0 B, 0 allocs |");
    assert_eq!(
        row(&md, "crossbeam fresh reply"),
        "| crossbeam fresh reply | 80.0 ns | 350 ns | 125 ns | 144 B, 2 allocs |"
    );
    assert!(row(&md, "arc-swap Cache").contains("| 0.500 ns | 0.200 ns | 0.800 ns |"));
    // Floors last (after every store) and labelled; no back-to-back figure: a gap.
    let main = &md[md.find("## Main table").unwrap()..md.find("## The Go record").unwrap()];
    let floor = main.find("| floor: leaky AtomicPtr load |").unwrap();
    assert!(main.find("| arc-swap Cache |").unwrap() < floor);
    assert!(row(main, "floor: leaky AtomicPtr load").contains("| 0.100 ns | — |"));
    // The Go record's own table, for reference.
    assert!(md.contains("| Channel (actor goroutine) | 1,631 ns | 1,074 ns | 1,512 ns | 144 B |"));
    assert!(md.contains("Test CPU for x86_64") && md.contains("2026-04-12 13:20 UTC"));
}

#[test]
fn other_tables_are_there() {
    let md = render_markdown(&results("x86_64", false));
    // Speedup vs std Mutex.
    let speedup = &md[md.find("## Speedup vs std Mutex").unwrap()..];
    assert!(row(speedup, "std Mutex").contains("| 1.00x | 1.00x | 1.00x |"));
    assert!(row(speedup, "arc-swap Cache").contains("| 32.0x | 350x | 31.3x |"));
    // Contention: both writers, the short paced one flagged.
    let contention = &md[md.find("## Contention").unwrap()..];
    assert!(row(contention, "std RwLock").contains("80.0k/s ⚠ 80% of target"));
    assert!(!row(contention, "std Mutex").contains('⚠'));
    assert!(row(contention, "std Mutex").contains("| 25.0 ns | 2.50M/s | 22.0 ns | 99.5k/s |"));
    // Writes, sweep, registry, floors.
    assert!(md.contains(&format!("| Strategy | Write (alone) | Write under {N} readers | Memory/Update |")));
    assert!(md.contains("| Strategy | 1 thread | 2 threads | 4 threads | 10 threads |"));
    let registry = &md[md.find("## Registry").unwrap()..];
    assert!(registry.contains("| Registry | get hit (1) | get hit (10) | get miss (1) |"));
    assert!(row(registry, "DashMap").contains("| 25.0 ns | 50.0 ns |"));
    assert!(row(registry, r"std Mutex\<HashMap\>").contains("| 100 ns | 200 ns |"));
    let gap = &md[md.find("## Distance from the floor").unwrap()..];
    assert!(row(gap, "Single Reader").contains("| arc-swap Cache: 0.500 ns | 0.300 ns | 1.67x | no |"));
    assert!(row(gap, "Paced contention (10)").contains("| 1.20x | yes |"));
}

#[test]
fn missing_figures_are_gaps() {
    let mut r = results("x86_64", false);
    remove(&mut r, groups::CONTENTION, "arc-swap load");
    remove(&mut r, groups::MEMORY_READ, "arc-swap load");
    // A store with no single_reader figure still gets its row.
    remove(&mut r, groups::SINGLE_READER, "std RwLock");
    let md = render_markdown(&r);
    assert!(row(&md, "arc-swap load").ends_with("| 2.00 ns | 1.00 ns | — | — |"));
    assert!(row(&md, "std RwLock").starts_with("| std RwLock | — | 150 ns |"));

    // No baseline at all: nothing to compare against, never a crash.
    for group in [groups::SINGLE_READER, groups::CONCURRENT, groups::CONTENTION] {
        remove(&mut r, group, "std Mutex");
    }
    remove(&mut r, groups::CONTENTION_PACED, "std Mutex");
    let md = render_markdown(&r);
    assert!(md.contains("No 'std Mutex' row was measured"));
    assert_eq!(verdict(&r, "Channels"), Verdict::NotMeasured);
    assert_eq!(verdict(&r, "Atomic"), Verdict::NotMeasured);
    assert!(md.contains("not measured: no figures for Single Reader, Concurrent (10), Under Contention"));

    // An empty run renders too.
    let mut empty = results("x86_64", false);
    empty.records.clear();
    let md = render_markdown(&empty);
    assert!(md.contains("No store was measured."));
    assert!(render_html(&empty).contains("<svg"));
}

#[test]
fn claim_verdicts_follow_the_numbers() {
    let mut r = results("x86_64", false);
    // Channels 5-6x slower than std Mutex: short of 15x.
    assert_eq!(verdict(&r, "Channels"), Verdict::DoesNotHold);
    let md = render_markdown(&r);
    assert!(md.contains("channel rows / std Mutex: Single Reader: 5.00x..6.00x"));
    assert!(md.contains("does not hold: none of 6 measured factors reaches 15x"));

    // Make them 20x+ slower: the claim holds.
    for channel in ["crossbeam fresh reply", "flume reused reply"] {
        for group in [groups::SINGLE_READER, groups::CONCURRENT, groups::CONTENTION] {
            scale(&mut r, group, channel, 4.0);
        }
    }
    assert_eq!(verdict(&r, "Channels"), Verdict::Holds);
    assert!(render_markdown(&r).contains("holds: all 6 measured factors reach 15x"));
    // Only in one column: partly.
    scale(&mut r, groups::SINGLE_READER, "crossbeam fresh reply", 0.1);
    assert_eq!(verdict(&r, "Channels"), Verdict::Partly);

    // Atomics: 32x / 350x / 31.2x faster: holds; slow the best one down: partly.
    let mut r = results("x86_64", false);
    assert_eq!(verdict(&r, "Atomic"), Verdict::Holds);
    assert_eq!(verdict(&r, "10x+"), Verdict::Holds);
    scale(&mut r, groups::SINGLE_READER, "arc-swap Cache", 4.0);
    assert_eq!(verdict(&r, "Atomic"), Verdict::Partly);
    for group in [groups::SINGLE_READER, groups::CONCURRENT, groups::CONTENTION] {
        scale(&mut r, group, "arc-swap Cache", 100.0);
        scale(&mut r, group, "arc-swap load", 100.0);
    }
    assert_eq!(verdict(&r, "Atomic"), Verdict::DoesNotHold);
    assert_eq!(verdict(&r, "10x+"), Verdict::DoesNotHold);

    // Concurrent map: 4x on get hit, 2x on mix: partly; a faster mix: holds.
    let mut r = results("x86_64", false);
    assert_eq!(verdict(&r, "A concurrent map"), Verdict::Partly);
    scale(&mut r, groups::REGISTRY_MIX, "DashMap", 0.5);
    assert_eq!(verdict(&r, "A concurrent map"), Verdict::Holds);
    remove(&mut r, groups::REGISTRY_MIX, "DashMap");
    remove(&mut r, groups::REGISTRY_GET_HIT, "DashMap");
    assert_eq!(verdict(&r, "A concurrent map"), Verdict::NotMeasured);
}

#[test]
fn emulated_runs_say_so_in_every_table_heading() {
    let md = render_markdown(&results("aarch64", true));
    let banner = "EMULATED (qemu-user): not hardware figures";
    assert!(md.lines().take(4).any(|l| l.contains(banner)));
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert!(headings.len() >= 10);
    assert!(headings.iter().all(|h| h.contains(banner)), "{headings:#?}");
    assert!(render_html(&results("aarch64", true)).contains(banner));
    assert!(!render_markdown(&results("x86_64", false)).contains("EMULATED"));
}

#[test]
fn html_is_self_contained() {
    let html = render_html(&results("x86_64", false));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 7, "4 main bars, sweep, 2 registry");
    assert!(html.contains("<polyline"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert!(html.contains("href=\"../../target/criterion/report/index.html\""));
    assert!(html.contains("<th>Concurrent (10)</th>"));
    assert!(html.contains("std Mutex&lt;HashMap&gt;"));
    assert!(html.contains("class=\"v-holds\""));
}

#[test]
fn text_is_escaped() {
    let mut r = results("x86_64", false);
    let hostile = r#"<script>alert("x")</script> & | co"#;
    for record in &mut r.records {
        if record.strategy == "std RwLock" {
            record.strategy = hostile.to_owned();
        }
    }
    r.machine.cpu_model = "<b>CPU</b>".to_owned();
    let html = render_html(&r);
    assert!(!html.contains("<script>") && !html.contains("<b>CPU"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; | co"));
    let md = render_markdown(&r);
    assert!(md.contains(r#"| \<script\>alert("x")\</script\> \& \| co |"#));
    assert!(md.contains(r"\<b\>CPU\</b\>"));
}

#[test]
fn load_errors_name_the_file_and_the_problem() {
    let scratch = Scratch::new("load");
    let good = serde_json::to_string_pretty(&results("x86_64", false)).unwrap();

    let missing = scratch.path().join("nope/results.json");
    let error = load(&missing).unwrap_err();
    assert!(matches!(error, LoadError::Missing { .. }));
    assert!(error.to_string().starts_with(&missing.display().to_string()));

    // Cut at a line end, so the document ends early rather than mid-token.
    let half = good[..good.len() / 2].rfind('\n').expect("pretty JSON has lines");
    let truncated = scratch.write("truncated.json", &good[..half]);
    let error = load(&truncated).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&truncated.display().to_string()), "{text}");
    assert!(text.contains("ends early") && text.contains("line "), "{text}");

    let invalid = scratch.write("invalid.json", "{\n  \"schema_version\": 1,\n  \"machine\": nope\n}");
    let error = load(&invalid).unwrap_err();
    assert!(matches!(error, LoadError::Json { line: 3, .. }), "{error:?}");
    assert!(error.to_string().contains("line 3, column"), "{error}");

    let mut newer = results("x86_64", false);
    newer.schema_version = SCHEMA_VERSION + 1;
    let newer = scratch.write_results("newer.json", &newer);
    let text = load(&newer).unwrap_err().to_string();
    assert!(text.contains(&newer.display().to_string()));
    assert!(text.contains(&format!(
        "written by schema {}, this renderer reads schemas 1 to {SCHEMA_VERSION}; re-run cargo bench",
        SCHEMA_VERSION + 1
    )));
    let mut no_id = results("x86_64", false);
    no_id.records[3].id.clear();
    let no_id = scratch.write_results("no-id.json", &no_id);
    assert!(load(&no_id).unwrap_err().to_string().contains(": field id is empty"));

    let shape = scratch.write("shape.json", &format!("{{\"schema_version\": {SCHEMA_VERSION}}}"));
    assert!(load(&shape).unwrap_err().to_string().contains("missing field"));

    let mut escaping = results("x86_64", false);
    escaping.machine.arch = "../etc".to_owned();
    let escaping = scratch.write_results("escaping.json", &escaping);
    assert!(matches!(load(&escaping), Err(LoadError::Invalid { .. })));

    let fine = scratch.write("fine.json", &good);
    let loaded = load(&fine).unwrap();
    let expected = results("x86_64", false);
    assert!(loaded.machine == expected.machine && loaded.config == expected.config);
    assert_eq!(loaded.records.len(), expected.records.len());
}

#[test]
fn render_all_renders_the_good_and_reports_the_bad() {
    let scratch = Scratch::new("render-all");
    let reports = scratch.path().join("reports");
    scratch.write_results("reports/x86_64-linux/results.json", &results("x86_64", false));
    scratch.write_results("reports/aarch64-linux/results.json", &results("aarch64", true));
    let bad = scratch.write("reports/riscv64-linux/results.json", "{\"schema_version\": 1, \"mach");
    fs::create_dir_all(reports.join("no-results-here")).unwrap();

    let error = render_all(&reports).unwrap_err();
    let RenderError::Failed { rendered, problems, .. } = &error else { panic!("{error}") };
    assert_eq!((*rendered, problems.len()), (2, 1));
    assert!(error.to_string().contains(&bad.display().to_string()), "{error}");

    for arch in ["x86_64-linux", "aarch64-linux"] {
        let md = fs::read_to_string(reports.join(arch).join("REPORT.md")).unwrap();
        assert!(md.contains(&format!("# procstore benchmark report: {arch}")));
        let html = fs::read_to_string(reports.join(arch).join("index.html")).unwrap();
        assert!(html.contains("<svg"));
    }
    assert!(!reports.join("riscv64-linux/REPORT.md").exists());

    let readme = fs::read_to_string(reports.join("README.md")).unwrap();
    assert!(readme.contains("[REPORT.md](x86_64-linux/REPORT.md)"));
    assert!(readme.contains("[index.html](aarch64-linux/index.html)"));
    assert!(readme.contains("## aarch64-linux — ⚠ EMULATED (qemu-user): not hardware figures"));
    assert!(readme.contains(
        "| Approach | aarch64-linux (EMULATED) single | aarch64-linux (EMULATED) concurrent (10) \
         | aarch64-linux (EMULATED) contention | x86_64-linux single |"
    ));
    assert!(row(&readme, "std Mutex").contains("| 16.0 ns | 70.0 ns | 25.0 ns | 16.0 ns |"));
    assert!(readme.contains("## Not rendered") && readme.contains("riscv64-linux/results.json: line 1"));
    let index = fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(index.contains("href=\"x86_64-linux/index.html\""));
    assert!(!index.contains("http://") && !index.contains("https://"));

    // Fixed, everything renders.
    scratch.write_results("reports/riscv64-linux/results.json", &results("riscv64", false));
    let written = render_all(&reports).unwrap();
    assert_eq!(written.len(), 3 * 2 + 2);
    assert!(!fs::read_to_string(reports.join("README.md")).unwrap().contains("Not rendered"));
}

#[test]
fn render_all_needs_results() {
    let scratch = Scratch::new("empty");
    let missing = scratch.path().join("absent");
    let error = render_all(&missing).unwrap_err();
    assert!(matches!(error, RenderError::NoReportsDir { .. }));
    assert!(error.to_string().contains(&missing.display().to_string()));
    let error = render_all(scratch.path()).unwrap_err();
    assert!(matches!(error, RenderError::NoResults { .. }), "{error}");
}

#[test]
fn add_copies_valid_results_under_their_slug() {
    let scratch = Scratch::new("add");
    let reports = scratch.path().join("reports");
    let arm = scratch.write_results("download/results.json", &results("aarch64", false));
    let added = add_results(&reports, std::slice::from_ref(&arm)).unwrap();
    assert_eq!(added, [reports.join("aarch64-linux/results.json")]);
    assert_eq!(fs::read(&added[0]).unwrap(), fs::read(&arm).unwrap());
    // Adding the file already in place is a no-op.
    add_results(&reports, &added).unwrap();

    let broken = scratch.write("broken.json", "{");
    let riscv = scratch.write_results("riscv.json", &results("riscv64", false));
    let error = add_results(&reports, &[riscv.clone(), broken.clone()]).unwrap_err();
    assert!(matches!(error, AddError::Invalid(ref e) if e.len() == 1));
    assert!(error.to_string().contains(&broken.display().to_string()));
    assert!(!reports.join("riscv64-linux").exists(), "nothing copied");

    let twin = scratch.write_results("twin.json", &results("riscv64", false));
    let error = add_results(&reports, &[riscv, twin]).unwrap_err();
    assert!(matches!(error, AddError::SameMachine { .. }), "{error}");

    // A machine given a name keeps its own folder beside its architecture's.
    let mut named = results("aarch64", false);
    named.machine.name = Some("aarch64-linux-64-cores".to_owned());
    let named = scratch.write_results("named.json", &named);
    let added = add_results(&reports, std::slice::from_ref(&named)).unwrap();
    assert_eq!(added, [reports.join("aarch64-linux-64-cores/results.json")]);
    assert!(reports.join("aarch64-linux/results.json").exists(), "the unnamed run stays");
    let mut escaping = results("aarch64", false);
    escaping.machine.name = Some("../outside".to_owned());
    let escaping = scratch.write_results("escaping.json", &escaping);
    let error = add_results(&reports, &[escaping]).unwrap_err();
    assert!(error.to_string().contains("field name is \"../outside\""), "{error}");
}

#[test]
fn schema_1_files_load_with_ids_from_their_labels() {
    let scratch = Scratch::new("schema-1");
    let current = results("x86_64", false);
    let mut json = serde_json::to_value(&current).unwrap();
    json["schema_version"] = 1.into();
    json.as_object_mut().unwrap().retain(|key, _| !matches!(key.as_str(), "commit" | "versions"));
    for record in json["records"].as_array_mut().unwrap() {
        assert!(record.as_object_mut().unwrap().remove("id").is_some());
    }
    for record in json["workload"].as_array_mut().unwrap() {
        assert!(record.as_object_mut().unwrap().remove("id").is_some());
    }
    let old = scratch.write("old.json", &serde_json::to_string_pretty(&json).unwrap());
    let loaded = load(&old).unwrap();
    let ids = |r: &procstore_report::Results| -> Vec<String> {
        let records = r.records.iter().map(|x| x.id.clone());
        records.chain(r.workload.iter().map(|w| w.id.clone())).collect()
    };
    assert!(ids(&loaded) == ids(&current), "every label mapped to the same id");
    assert_eq!((loaded.commit, loaded.versions.len()), (None, 0));
    let md = render_markdown(&load(&old).unwrap());
    assert!(md.contains("## Speedup vs std Mutex") && !md.contains("Commit:"));
}

#[test]
fn the_header_names_the_commit_and_the_crates() {
    let md = render_markdown(&results("x86_64", false));
    assert!(md.contains(" · Commit: abc1234-dirty · Crates: arc-swap 1.9.5, dashmap 6.2.1\n"), "{md}");
    assert!(render_html(&results("x86_64", false)).contains("<dd>arc-swap 1.9.5, dashmap 6.2.1</dd>"));
}

/// Every heading of a markdown text as (level, text), marker removed.
fn markdown_headings(md: &str) -> Vec<(usize, String)> {
    md.lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| {
            let level = line.chars().take_while(|&c| c == '#').count();
            let text = line[level..].trim().split(" — ⚠").next().unwrap_or_default();
            (level, text.replace('\\', ""))
        })
        .collect()
}

/// Every heading of an HTML page as (level, text), marker and escapes removed.
fn html_headings(html: &str) -> Vec<(usize, String)> {
    let mut headings = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<h") {
        rest = &rest[at + 2..];
        let Some(level) = rest.chars().next().and_then(|c| c.to_digit(10)) else { continue };
        let open = rest.find('>').unwrap() + 1;
        let close = rest.find("</h").unwrap();
        let text = rest[open..close].split(" <span").next().unwrap_or_default();
        let text =
            text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
        headings.push((level as usize, text.replace("&amp;", "&")));
    }
    headings
}

#[test]
fn markdown_and_html_have_the_same_sections_in_the_same_order() {
    let committed = load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED)).unwrap();
    for results in [results("x86_64", false), results("aarch64", true), committed] {
        let md = markdown_headings(&render_markdown(&results));
        assert!(md.len() > 10, "{md:?}");
        assert_eq!(md, html_headings(&render_html(&results)));
    }

    // The registry, workload and recommendation sections, in reading order,
    // each at its level, in both outputs (emulated: banner stripped).
    let expected = [
        (2, "Registry"),
        (2, "Registries against their floor"),
        (2, "Registry writers under readers"),
        (2, "Supervisor workload"),
        (3, "Real child processes, 3 readers in a closed loop"),
        (4, "p99 by query (real child processes, 3 readers in a closed loop)"),
        (4, "Did the micro-benchmark ranking hold? (real child processes, 3 readers in a closed loop)"),
        (3, "Simulated event stream, 3 readers in a closed loop"),
        (3, "Simulated stream with children coming and going, 3 readers in a closed loop"),
        (2, "Recommendation"),
        (3, "Every registry against the bar"),
        (2, "Floors"),
    ];
    for results in [results("x86_64", false), results("aarch64", true)] {
        for headings in [markdown_headings(&render_markdown(&results)), html_headings(&render_html(&results))]
        {
            let at: Vec<usize> = expected
                .iter()
                .map(|&(level, text)| {
                    headings
                        .iter()
                        .position(|(l, t)| *l == level && t == text)
                        .unwrap_or_else(|| panic!("no level {level} {text} in {headings:#?}"))
                })
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?} in {headings:#?}");
        }
    }

    let scratch = Scratch::new("same-sections");
    let reports = scratch.path().join("reports");
    scratch.write_results("reports/x86_64-linux/results.json", &results("x86_64", false));
    scratch.write_results("reports/aarch64-linux/results.json", &results("aarch64", true));
    scratch.write("reports/riscv64-linux/results.json", "{");
    assert!(render_all(&reports).is_err(), "riscv64 is not rendered");
    let readme = markdown_headings(&fs::read_to_string(reports.join("README.md")).unwrap());
    assert!(readme.iter().any(|(_, text)| text == "Not rendered"), "{readme:?}");
    assert_eq!(readme, html_headings(&fs::read_to_string(reports.join("index.html")).unwrap()));
}

#[test]
fn tails_garbage_and_the_stall_verdicts_come_from_the_records() {
    let results = results("x86_64", false);
    let md = render_markdown(&results);
    assert!(md.contains("## Read tails"), "{md}");
    // p50 = 70 + 20 ns, p99.9 = 40x that, max 10x p99.9; timed 1 in 50; fairness.
    assert!(md.contains("| std Mutex | Concurrent | 90.0 ns | 1.85 µs | 3.60 µs | 36.0 µs | 1 in 50 | 9,000,000–11,000,000 |"), "{md}");
    assert!(md.contains("## Garbage"));
    assert!(
        md.contains("| floor: leaky AtomicPtr load | unbounded | — | — | not run: it frees nothing |"),
        "{md}"
    );
    assert!(md.contains("## A stalled reader"));
    assert!(md.contains("| std Mutex | blocks the writer | 0 | 0 | 0/s |"), "{md}");
    assert!(md.contains("Bounded: arc-swap load."), "{md}");
    assert!(md.contains("Unbounded: keeps every state: floor: leaky AtomicPtr load."), "{md}");
    assert!(md.contains("Blocks the writer: std Mutex."), "{md}");
    let html = render_html(&results);
    assert!(html.contains("Read p99, Concurrent") && html.contains("Garbage: states alive"));
}
