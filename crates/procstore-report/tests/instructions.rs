//! `reports/instructions.json`: loaded, validated, and rendered into every
//! architecture's report; its absence leaves the reports as they were.

#[allow(dead_code)]
mod fixture;

use std::fs;

use fixture::{Scratch, results};
use procstore_report::instructions::{
    CALLGRIND_FILE, Configuration, FunctionCounts, INSTRUCTIONS_FILE, INSTRUCTIONS_SCHEMA, Instructions,
    PathCounts, StrategyInstructions,
};
use procstore_report::{LoadError, RenderError, load_callgrind_counts, load_instructions, render_all};

const TITLE: &str = "What each read executes (compiler output, beside the wall clock)";

fn path(instructions: u64, loads: u64, rmw: u64, fences: u64, calls: u64, mnemonics: &[&str]) -> PathCounts {
    PathCounts {
        instructions,
        loads,
        rmw,
        fences,
        calls,
        mnemonics: mnemonics.iter().map(|m| (*m).to_owned()).collect(),
        ..PathCounts::default()
    }
}

fn function(fast: PathCounts, all: PathCounts) -> FunctionCounts {
    FunctionCounts {
        symbol: "procstore_probe_read".to_owned(),
        fast: Some(fast.clone()),
        fast_with_callees: Some(PathCounts { mnemonics: Vec::new(), ..fast }),
        all,
    }
}

/// The floor and std Mutex on x86_64 only.
fn synthetic() -> Instructions {
    let floor = path(4, 3, 0, 0, 0, &["mov", "mov", "movzx", "ret"]);
    let mut mutex_all = path(59, 13, 2, 0, 4, &[]);
    mutex_all.callees = vec!["futex::Mutex::lock_contended".to_owned()];
    Instructions {
        schema_version: INSTRUCTIONS_SCHEMA,
        rustc: "rustc 1.95.0 (test)".to_owned(),
        commit: "0123abc".to_owned(),
        configurations: vec![Configuration {
            label: "x86_64".to_owned(),
            arch: "x86_64".to_owned(),
            target: "x86_64-unknown-linux-gnu".to_owned(),
            rustflags: String::new(),
            objdump: "objdump".to_owned(),
        }],
        strategies: vec![
            StrategyInstructions {
                id: "std-mutex".to_owned(),
                read: [("x86_64".to_owned(), function(path(32, 6, 2, 0, 0, &["ret"; 32]), mutex_all))].into(),
                update: Default::default(),
            },
            StrategyInstructions {
                id: "leaky-atomic-ptr".to_owned(),
                read: [("x86_64".to_owned(), function(floor.clone(), floor))].into(),
                update: Default::default(),
            },
        ],
    }
}

fn reports(scratch: &Scratch) -> std::path::PathBuf {
    scratch.write_results("reports/x86_64-linux/results.json", &results("x86_64", false));
    scratch.write_results("reports/aarch64-linux/results.json", &results("aarch64", true));
    scratch.path().join("reports")
}

#[test]
fn every_report_gains_the_section_and_loses_it_without_the_file() {
    let scratch = Scratch::new("instructions");
    let reports = reports(&scratch);
    render_all(&reports).unwrap();
    for arch in ["x86_64-linux", "aarch64-linux"] {
        let md = fs::read_to_string(reports.join(arch).join("REPORT.md")).unwrap();
        assert!(!md.contains(TITLE), "no instructions.json, no section");
    }

    let text = serde_json::to_string_pretty(&synthetic()).unwrap();
    scratch.write(&format!("reports/{INSTRUCTIONS_FILE}"), &text);
    render_all(&reports).unwrap();
    for arch in ["x86_64-linux", "aarch64-linux"] {
        let md = fs::read_to_string(reports.join(arch).join("REPORT.md")).unwrap();
        // Beside the wall clock: after the floors, before the claims, and
        // never marked as emulated, even in the emulated run's report.
        let at = md.find(&format!("## {TITLE}\n")).unwrap_or_else(|| panic!("{arch}: no section in\n{md}"));
        assert!(md.find("## Distance from the floor").unwrap() < at && at < md.find("## Claims").unwrap());
        assert!(md.contains("| Store (read) | x86_64 |"), "{md}");
        assert!(md.contains("| std Mutex | 32 instr, 6 ld, 2 RMW |"), "{md}");
        assert!(md.contains("| floor: leaky AtomicPtr load | 4 instr, 3 ld |"), "{md}");
        assert!(md.contains("| arc-swap Cache | — |"), "{md}");
        assert!(
            md.contains(
                "- std Mutex read: 59 instructions in all (32 on the fast path), 2 atomic RMWs; calls only \
             off the fast path: futex::Mutex::lock_contended"
            ),
            "{md}"
        );
        assert!(md.contains("`mov, mov, movzx, ret` on x86_64"), "{md}");
        assert!(md.contains("rustc 1.95.0 (test), commit 0123abc"), "{md}");
        let section = &md[at..md.find("## Claims").unwrap()];
        assert!(!section.contains("EMULATED"), "{section}");
        assert!(section.contains("### Read: fast path") && section.contains("### Update: fast path"));
        let html = fs::read_to_string(reports.join(arch).join("index.html")).unwrap();
        assert!(html.contains(TITLE) && html.contains("<code>mov, mov, movzx, ret</code>"), "{html}");
        assert!(html.contains("<td class=\"l\">32 instr, 6 ld, 2 RMW</td>"), "{html}");
    }
}

#[test]
fn a_missing_file_is_none_and_a_bad_one_names_itself() {
    let scratch = Scratch::new("instructions-bad");
    assert!(load_instructions(&scratch.path().join("absent.json")).unwrap().is_none());

    let good = synthetic();
    let mut unknown_configuration = good.clone();
    let read = unknown_configuration.strategies[0].read.remove("x86_64").unwrap();
    unknown_configuration.strategies[0].read.insert("riscv64".to_owned(), read);
    let mut parts_over_the_whole = good.clone();
    parts_over_the_whole.strategies[1].read.get_mut("x86_64").unwrap().all.loads = 9;
    let mut twice = good.clone();
    twice.configurations.push(twice.configurations[0].clone());
    let mut newer = good.clone();
    newer.schema_version = INSTRUCTIONS_SCHEMA + 1;
    let cases = [
        (
            serde_json::to_string(&unknown_configuration).unwrap(),
            r#"strategy "std-mutex", read in "riscv64": no such configuration"#,
        ),
        (
            serde_json::to_string(&parts_over_the_whole).unwrap(),
            r#"strategy "leaky-atomic-ptr", read in "x86_64": all: field loads is 9, more than its instructions (4)"#,
        ),
        (serde_json::to_string(&twice).unwrap(), r#"configurations[1]: label "x86_64" is listed twice"#),
        (serde_json::to_string(&newer).unwrap(), "written by instructions schema 2"),
        (r#"{"schema_version": 1, "rustc": 3}"#.to_owned(), "valid JSON but not an instructions file"),
        ("{\"schema_version\": 1, ".to_owned(), "the file ends early"),
        ("{}".to_owned(), "no schema_version field"),
    ];
    for (text, expected) in cases {
        let file = scratch.write("instructions.json", &text);
        let error = load_instructions(&file).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with(&file.display().to_string()), "{message}");
        assert!(message.contains(expected), "{message}\nexpected: {expected}");
    }

    // The reports still render, without the section, and the run fails
    // naming the file.
    let reports = reports(&scratch);
    let bad = scratch.write(&format!("reports/{INSTRUCTIONS_FILE}"), "{}");
    let error = render_all(&reports).unwrap_err();
    let RenderError::Failed { rendered, problems, .. } = &error else { panic!("{error}") };
    assert_eq!((*rendered, problems.len()), (2, 1));
    assert!(error.to_string().contains(&bad.display().to_string()), "{error}");
    assert!(matches!(&problems[0], procstore_report::Problem::Load(LoadError::Invalid { .. })));
    let md = fs::read_to_string(reports.join("x86_64-linux/REPORT.md")).unwrap();
    assert!(md.contains("## Claims") && !md.contains(TITLE));
}

/// A small `instruction-counts.json` for `arch`, as procstore-instructions writes it.
fn counts_json(arch: &str, emulated: bool) -> String {
    format!(
        r#"{{
  "schema": 1,
  "arch": "{arch}",
  "emulated": {emulated},
  "rustc": "rustc 1.95.0 (test)",
  "iterations": 1000,
  "paths": [
    {{ "path": "read/std-mutex", "instructions": 56.0, "allocations": 0.0, "read": true }},
    {{ "path": "update/std-mutex", "instructions": 305.7, "allocations": 0.0, "read": false }},
    {{ "path": "get-miss/dashmap", "instructions": 241.6, "allocations": 0.0, "read": true }}
  ]
}}"#
    )
}

#[test]
fn callgrind_counts_of_every_architecture_render_in_every_report() {
    let scratch = Scratch::new("callgrind-counts");
    let reports = reports(&scratch);
    scratch.write(&format!("reports/{INSTRUCTIONS_FILE}"), &serde_json::to_string(&synthetic()).unwrap());
    render_all(&reports).unwrap();
    let md = fs::read_to_string(reports.join("x86_64-linux/REPORT.md")).unwrap();
    assert!(md.contains(TITLE) && !md.contains("Counted under callgrind"), "no counts file, no subsection");

    scratch.write(&format!("reports/x86_64-linux/{CALLGRIND_FILE}"), &counts_json("x86_64", false));
    scratch.write(&format!("reports/aarch64-linux/{CALLGRIND_FILE}"), &counts_json("aarch64", true));
    render_all(&reports).unwrap();
    for arch in ["x86_64-linux", "aarch64-linux"] {
        let md = fs::read_to_string(reports.join(arch).join("REPORT.md")).unwrap();
        assert!(md.contains("### Counted under callgrind\n"), "{arch}:\n{md}");
        assert!(
            md.contains("| Store | Operation | x86_64 instr | x86_64 alloc | aarch64 (qemu) instr | aarch64 (qemu) alloc |"),
            "{md}"
        );
        assert!(md.contains("| std Mutex | update | 305.7 | 0 | 305.7 | 0 |"), "{md}");
        assert!(md.contains("| DashMap | get miss | 241.6 | 0 | 241.6 | 0 |"), "{md}");
    }

    // A bad file names itself; the reports still render, without it.
    let bad =
        scratch.write(&format!("reports/aarch64-linux/{CALLGRIND_FILE}"), &counts_json("x86_64", false));
    let error = render_all(&reports).unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&bad.display().to_string()), "{message}");
    assert!(
        message.contains(r#"field arch is "x86_64", but the file is in directory "aarch64-linux""#),
        "{message}"
    );
    let md = fs::read_to_string(reports.join("x86_64-linux/REPORT.md")).unwrap();
    assert!(md.contains("| x86_64 instr | x86_64 alloc |") && !md.contains("aarch64 (qemu) instr"), "{md}");

    for (text, expected) in [
        ("{}".to_owned(), "no schema field"),
        (
            counts_json("x86_64", false).replace("read/std-mutex", "peek/std-mutex"),
            "field path is not kind/id",
        ),
        (counts_json("x86_64", false).replace("56.0", "-1.0"), "field instructions is -1"),
        (
            counts_json("x86_64", false).replace("\"iterations\": 1000", "\"iterations\": \"x\""),
            "valid JSON but not an instruction-counts file",
        ),
    ] {
        let file = scratch.write(&format!("reports/x86_64-linux/{CALLGRIND_FILE}"), &text);
        let message = load_callgrind_counts(&file).unwrap_err().to_string();
        assert!(message.starts_with(&file.display().to_string()), "{message}");
        assert!(message.contains(expected), "{message}\nexpected: {expected}");
    }
    assert!(load_callgrind_counts(&scratch.path().join("absent.json")).unwrap().is_none());
}
