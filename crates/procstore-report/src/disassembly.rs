//! The section "What each read executes": what each store's read and
//! update compile to per configuration (x86_64, aarch64, aarch64+lse), from
//! `reports/instructions.json`, and the Go record's "an atomic read is one
//! instruction" checked against the leaky floor's code. Compiler output, the
//! same on every machine: evidence beside the wall-clock tables, not a
//! measurement, so its headings never carry the emulation marker.

use procstore_catalog::{ALIASES, Entry, Family, REGISTRIES, STORES, floors};

use crate::doc::{Block, Document, Grid, Inline, Style};
use crate::format::GAP;
use crate::instructions::{
    CallgrindCounts, Configuration, FunctionCounts, Instructions, PathCounts, StrategyInstructions,
};

/// The section's heading.
pub(crate) const TITLE: &str = "What each read executes (compiler output, beside the wall clock)";

/// Which path of a strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Read,
    Update,
}

impl Path {
    fn of(self, strategy: &StrategyInstructions) -> &std::collections::BTreeMap<String, FunctionCounts> {
        match self {
            Path::Read => &strategy.read,
            Path::Update => &strategy.update,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Path::Read => "read",
            Path::Update => "update",
        }
    }
}

/// A row: the catalogue's label and family, and the strategy's counts if
/// the file has them.
struct Row<'a> {
    label: String,
    family: Option<Family>,
    id: &'a str,
    counts: Option<&'a StrategyInstructions>,
}

/// Every store of the catalogue, then the leaky floor, then any id of the
/// file the catalogue lacks.
fn rows(instructions: &Instructions) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = STORES
        .iter()
        .chain([&floors::LEAKY_ATOMIC_PTR])
        .map(|entry| Row {
            label: entry.label.to_owned(),
            family: Some(entry.family),
            id: entry.id,
            counts: instructions.strategy(entry.id),
        })
        .collect();
    for strategy in &instructions.strategies {
        if !rows.iter().any(|row| row.id == strategy.id) {
            rows.push(Row {
                label: strategy.id.clone(),
                family: None,
                id: &strategy.id,
                counts: Some(strategy),
            });
        }
    }
    rows
}

/// Adds the section for `instructions` to `doc`, with a subsection on
/// `counts` (every architecture's callgrind counts) where there are any.
pub(crate) fn section(instructions: &Instructions, counts: &[CallgrindCounts], doc: &mut Document) {
    let rows = rows(instructions);
    let configurations = &instructions.configurations;
    doc.heading_marked(2, TITLE, None);
    doc.text(
        Style::Plain,
        format!(
            "Evidence beside the wall-clock tables above, not instead of them: what each store's read \
             and update compile to, counted in the disassembly of the non-inlined probe function that \
             does one (crate procstore-instructions, scripts/instructions.sh). It is compiler output \
             ({}, commit {}), the same whichever machine reads it, so every architecture's report \
             carries the same section; it shows what a read has to do, the clock how long that takes.",
            instructions.rustc, instructions.commit
        ),
    );
    doc.push(Block::List(configurations.iter().map(configuration_item).collect()));
    doc.text(
        Style::Note,
        "Fast path = shortest entry-to-return path; for a cache the hit, for a lock the uncontended \
         acquire. It is the shortest path in instructions through the function's control flow from \
         its entry to a return or a tail call: a loop's back edge (a CAS retry) is never on it, and a \
         path that ends in a panic or a trap does not return so does not count. A call into the same \
         binary weighs, and counts, its callee's own fast path, so the figures include what the \
         probe's callees do on theirs; calls into the C library and through a register count as one \
         instruction. On aarch64 without LSE every atomic is a call to one of the outline \
         helpers linked into the binary (compiler-builtins' __aarch64_cas8_acq_rel and friends), \
         which pick LSE's single instruction or a \
         load/store-exclusive loop at run time: each such call counts as an atomic RMW and as a call.",
    );
    doc.heading_marked(3, "Read: fast path", None);
    doc.text(
        Style::Note,
        "Each cell: instructions on the fast path; then only what is there: loads (ld, the stack's \
         saved registers and spills left out; acq: acquire loads, ldar/ldapr), atomic \
         read-modify-writes (RMW: x86 lock-prefixed, xchg, cmpxchg; Arm LSE atomics, store-exclusive, \
         outline helpers), fences and barriers (x86 mfence/lfence/sfence and lock or [rsp], 0; Arm \
         dmb/dsb/isb), calls. A reader that counts nested guards (a guard already held) has a \
         shorter path for a nested entry than for a first one, and the probes never nest: where a \
         row shows no RMW or fence, the list below says what its other paths hold.",
    );
    doc.push(Block::Grid(grid(&rows, configurations, Path::Read)));
    doc.heading_marked(3, "Update: fast path", None);
    doc.text(
        Style::Note,
        "One update per cell, counted the same way. An update's shortest path is often its early \
         return (the transition refused, nothing published), so these are lower bounds: what \
         publishing costs is in the all-paths counts below and in the instruction counts callgrind \
         measures (reports/<arch>/instruction-counts.json).",
    );
    doc.push(Block::Grid(grid(&rows, configurations, Path::Update)));
    slow_paths(doc, &rows, configurations);
    callgrind(doc, counts);
    doc.heading_marked(3, "Is an atomic read one instruction?", None);
    doc.push(Block::Paragraph(Style::Finding, one_instruction(&rows, configurations, counts)));
}

fn configuration_item(configuration: &Configuration) -> Vec<Inline> {
    let flags = if configuration.rustflags.is_empty() {
        "no RUSTFLAGS".to_owned()
    } else {
        format!("RUSTFLAGS={}", configuration.rustflags)
    };
    vec![
        Inline::Text(format!("{}: ", configuration.label)),
        Inline::Code(configuration.target.clone()),
        Inline::Text(format!(", {flags}, read with ")),
        Inline::Code(configuration.objdump.clone()),
    ]
}

/// The counts of `row`'s `path` in `configuration`.
fn function<'a>(row: &Row<'a>, configuration: &Configuration, path: Path) -> Option<&'a FunctionCounts> {
    row.counts.and_then(|s| path.of(s).get(&configuration.label))
}

fn is_arm(configuration: &Configuration) -> bool {
    configuration.arch == "aarch64"
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A fast path in one cell: `18 instr, 4 ld (1 acq), 2 RMW (2 via helper), 2 calls`.
fn cell(function: Option<&FunctionCounts>, arm: bool) -> String {
    let Some(function) = function else { return GAP.to_owned() };
    let Some(p) = &function.fast_with_callees else { return "never returns".to_owned() };
    let mut parts = vec![format!("{} instr", p.instructions)];
    if p.data_loads() > 0 {
        let acquire = if p.acquire_loads > 0 { format!(" ({} acq)", p.acquire_loads) } else { String::new() };
        parts.push(format!("{} ld{acquire}", p.data_loads()));
    }
    if p.rmw > 0 {
        let helper = match p.outline_rmw {
            0 => String::new(),
            n if n == p.rmw => " via helper".to_owned(),
            n => format!(" ({n} via helper)"),
        };
        parts.push(format!("{} RMW{helper}", p.rmw));
    }
    if p.fences > 0 {
        parts.push(if arm {
            plural(p.fences, "barrier", "barriers")
        } else {
            plural(p.fences, "fence", "fences")
        });
    }
    if p.calls > 0 {
        parts.push(plural(p.calls, "call", "calls"));
    }
    parts.join(", ")
}

fn grid(rows: &[Row<'_>], configurations: &[Configuration], path: Path) -> Grid {
    let first = if path == Path::Read { "Store (read)" } else { "Store (update)" };
    let header: Vec<String> =
        std::iter::once(first.to_owned()).chain(configurations.iter().map(|c| c.label.clone())).collect();
    let rows = rows
        .iter()
        .map(|row| {
            std::iter::once(row.label.clone())
                .chain(configurations.iter().map(|c| cell(function(row, c, path), is_arm(c))))
                .collect()
        })
        .collect();
    Grid { left: header.len(), header, rows }
}

/// `a / b / c` over the configurations.
fn per_configuration(values: &[String]) -> String {
    values.join(" / ")
}

/// How many callees a slow-path line names.
const NAMED: usize = 6;

/// The list of rows whose function has code off its fast path.
fn slow_paths(doc: &mut Document, rows: &[Row<'_>], configurations: &[Configuration]) {
    let labels: Vec<&str> = configurations.iter().map(|c| c.label.as_str()).collect();
    let mut items = Vec::new();
    for path in [Path::Read, Path::Update] {
        for row in rows {
            let functions: Vec<Option<&FunctionCounts>> =
                configurations.iter().map(|c| function(row, c, path)).collect();
            let slow = functions
                .iter()
                .flatten()
                .any(|f| f.fast.as_ref().is_none_or(|fast| fast.instructions < f.all.instructions));
            if !slow {
                continue;
            }
            let count = |value: &dyn Fn(&FunctionCounts) -> String| {
                let cells: Vec<String> =
                    functions.iter().map(|f| f.map_or_else(|| GAP.to_owned(), value)).collect();
                per_configuration(&cells)
            };
            let mut text = format!(
                "{} {}: {} instructions in all ({} on the fast path)",
                row.label,
                path.name(),
                count(&|f| f.all.instructions.to_string()),
                count(&|f| f.fast.as_ref().map_or_else(|| GAP.to_owned(), |p| p.instructions.to_string())),
            );
            let all = |field: fn(&PathCounts) -> u64| functions.iter().flatten().any(|f| field(&f.all) > 0);
            if all(|p| p.rmw) {
                text.push_str(&format!(", {} atomic RMWs", count(&|f| f.all.rmw.to_string())));
            }
            if all(|p| p.fences) {
                text.push_str(&format!(", {} fences/barriers", count(&|f| f.all.fences.to_string())));
            }
            let mut off: Vec<&str> = Vec::new();
            for f in functions.iter().flatten() {
                let on: &[String] = f.fast.as_ref().map_or(&[], |p| &p.callees);
                for callee in &f.all.callees {
                    if !on.contains(callee)
                        && !callee.starts_with("__aarch64_")
                        && !off.contains(&callee.as_str())
                    {
                        off.push(callee);
                    }
                }
            }
            if !off.is_empty() {
                let more = off.len().saturating_sub(NAMED);
                off.truncate(NAMED);
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                text.push_str(&format!("; calls only off the fast path: {}{more}", off.join(", ")));
            }
            items.push(vec![Inline::Text(text)]);
        }
    }
    doc.heading_marked(3, "Slow paths", None);
    doc.text(
        Style::Note,
        format!(
            "Functions with code off their fast path (a miss, contention, a retry, a first entry, a \
             panic), counted over the whole function body, callees not followed (a probe whose \
             whole body is one tail call is counted as the function it jumps to); figures per \
             configuration, {}. Panics and unwinding are counted as calls, not named; outline-atomic \
             helpers are left out of the names (their calls are the RMWs).",
            labels.join(" / ")
        ),
    );
    if items.is_empty() {
        doc.text(Style::Note, "None: every function is its fast path.");
    } else {
        doc.push(Block::List(items));
    }
}

/// `label`: the atomic store(s) whose read `counts` counts cheapest, e.g.
/// `x86_64: arc-swap Cache, ArcShift (40 instructions, 0 allocations per read under callgrind)`.
fn cheapest_counted(rows: &[Row<'_>], label: &str, counts: &CallgrindCounts) -> Option<String> {
    let reads: Vec<(&Row<'_>, f64, f64)> = rows
        .iter()
        .filter(|r| r.family == Some(Family::Atomic))
        .filter_map(|r| counts.path("read", r.id).map(|p| (r, p.instructions, p.allocations)))
        .collect();
    let least = reads.iter().map(|(_, n, _)| *n).min_by(f64::total_cmp)?;
    let best: Vec<&(&Row<'_>, f64, f64)> = reads.iter().filter(|(_, n, _)| *n == least).collect();
    let names: Vec<&str> = best.iter().map(|(r, _, _)| r.label.as_str()).collect();
    let allocations = best.iter().map(|(_, _, a)| *a).fold(0.0, f64::max);
    Some(format!(
        "{label}: {} ({} instructions, {} allocations per read under callgrind{})",
        names.join(" and "),
        number(least),
        number(allocations),
        if counts.emulated { ", emulated" } else { "" },
    ))
}

/// A per-operation count: `40`, `305.7`.
fn number(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// The kinds of callgrind path, as the tables name the operation.
const STORE_PATHS: [(&str, &str); 2] = [("read", "read"), ("update", "update")];
const REGISTRY_PATHS: [(&str, &str); 3] =
    [("get-hit", "get hit"), ("get-miss", "get miss"), ("insert-remove", "insert-remove")];

/// The subsection "Counted under callgrind": every architecture's counts,
/// stores and registries, one column pair per architecture.
fn callgrind(doc: &mut Document, counts: &[CallgrindCounts]) {
    if counts.is_empty() {
        return;
    }
    doc.heading_marked(3, "Counted under callgrind", None);
    let compilers: Vec<String> = counts.iter().map(|c| format!("{} {}", c.heading(), c.rustc)).collect();
    let mut note = format!(
        "Instructions executed per operation, counted by callgrind (the difference of runs of {} \
         and twice as many calls), and allocations per operation, counted by the probe's own \
         allocator (crate procstore-instructions, reports/<arch>-linux/instruction-counts.json; {}): \
         our own binary's instructions, std and every callee included, the C library left out. These are \
         executed counts on the path the probes take (the steady state, one reader, no nesting: a \
         guard is never already held), which is why crossbeam-epoch, seize and left-right count more \
         here than their fast path above, the nested-guard shortcut the probes never take. Every \
         count includes the measuring loop's call of the probe, about 24 instructions per operation \
         and the same for every path; nothing is subtracted.",
        number(counts.iter().map(|c| c.iterations as f64).fold(f64::INFINITY, f64::min)),
        compilers.join("; "),
    );
    if counts.iter().any(|c| c.emulated) {
        note.push_str(
            " An architecture marked (qemu) was counted by its own callgrind under qemu-user: the \
             guest's instructions, exact all the same.",
        );
    }
    doc.text(Style::Note, note);
    let stores: Vec<&Entry> = STORES.iter().chain([&floors::LEAKY_ATOMIC_PTR]).collect();
    let registries: Vec<&Entry> = REGISTRIES.iter().chain([&floors::IMMUTABLE_MAP]).collect();
    for (what, entries, paths) in
        [("Store", stores, &STORE_PATHS[..]), ("Registry", registries, &REGISTRY_PATHS[..])]
    {
        let grid = callgrind_grid(what, &entries, paths, counts);
        if !grid.rows.is_empty() {
            doc.push(Block::Grid(grid));
        }
    }
}

/// One table: a row per entry and path any file counts, the catalogue's
/// entries first, then ids the catalogue lacks.
fn callgrind_grid(
    what: &str,
    entries: &[&Entry],
    paths: &[(&str, &str)],
    counts: &[CallgrindCounts],
) -> Grid {
    let mut header = vec![what.to_owned(), "Operation".to_owned()];
    for c in counts {
        header.push(format!("{} instr", c.heading()));
        header.push(format!("{} alloc", c.heading()));
    }
    let mut ids: Vec<(String, String)> =
        entries.iter().map(|e| (e.id.to_owned(), e.label.to_owned())).collect();
    for c in counts {
        for path in &c.paths {
            if let Some((kind, id)) = path.path.split_once('/')
                && paths.iter().any(|(k, _)| *k == kind)
                && !ids.iter().any(|(known, _)| known == id)
            {
                ids.push((id.to_owned(), id.to_owned()));
            }
        }
    }
    let mut rows = Vec::new();
    for (id, label) in &ids {
        for (kind, operation) in paths {
            let found: Vec<_> = counts.iter().map(|c| c.path(kind, id)).collect();
            if found.iter().all(Option::is_none) {
                continue;
            }
            let mut row = vec![label.clone(), (*operation).to_owned()];
            for path in found {
                match path {
                    Some(p) => row.extend([number(p.instructions), number(p.allocations)]),
                    None => row.extend([GAP.to_owned(), GAP.to_owned()]),
                }
            }
            rows.push(row);
        }
    }
    Grid { left: 2, header, rows }
}

/// The fast path's own mnemonics, as code: `mov, mov, movzx, ret`.
fn mnemonics(function: &FunctionCounts) -> String {
    function.fast.as_ref().map_or_else(|| GAP.to_owned(), |p| p.mnemonics.join(", "))
}

/// The Go record's "an atomic read is one instruction", against the leaky
/// floor's read and the cheapest safe atomic store's, per configuration:
/// by callgrind's executed count where `counts` has the configuration's
/// architecture (the fast path of a reader that counts nested guards is a
/// path the probes never take), else by the disassembly fast path.
fn one_instruction(
    rows: &[Row<'_>],
    configurations: &[Configuration],
    counts: &[CallgrindCounts],
) -> Vec<Inline> {
    let mut out = vec![Inline::Text(
        "The Go record counts an atomic pointer read as one instruction. The leaky AtomicPtr floor's \
         whole read (reach the pointer through the reader, load it, read the status field, return) \
         compiles to "
            .to_owned(),
    )];
    let floor = rows.iter().find(|r| r.id == floors::LEAKY_ATOMIC_PTR.id);
    let mut plain_load_everywhere = true;
    let mut sizes = Vec::new();
    let mut described = 0;
    for configuration in configurations {
        let Some(function) = floor.and_then(|f| function(f, configuration, Path::Read)) else {
            plain_load_everywhere = false;
            continue;
        };
        let Some(fast) = &function.fast_with_callees else {
            plain_load_everywhere = false;
            continue;
        };
        if described > 0 {
            out.push(Inline::Text("; ".to_owned()));
        }
        described += 1;
        out.push(Inline::Code(mnemonics(function)));
        let mut what = format!(" on {}: {}", configuration.label, plural(fast.data_loads(), "load", "loads"));
        let own: &[String] = function.fast.as_ref().map_or(&[], |p| &p.mnemonics);
        let acquire: Vec<&str> = own
            .iter()
            .map(String::as_str)
            .filter(|m| m.starts_with("ldar") || m.starts_with("ldapr"))
            .collect();
        if fast.acquire_loads > 0 {
            what.push_str(&format!(
                ", {} of them acquire ({})",
                fast.acquire_loads,
                if acquire.is_empty() { "ldar".to_owned() } else { acquire.join(", ") }
            ));
        }
        let quiet = fast.rmw == 0 && fast.fences == 0 && fast.calls == 0;
        plain_load_everywhere &= quiet;
        if quiet {
            what.push_str(if is_arm(configuration) {
                ", no RMW, no barrier"
            } else {
                ", no RMW, no fence: the atomic load is a plain mov"
            });
        } else {
            what.push_str(&format!(", {} RMW, {} fences, {} calls", fast.rmw, fast.fences, fast.calls));
        }
        sizes.push(fast.instructions);
        out.push(Inline::Text(what));
    }
    if described == 0 {
        return vec![Inline::Text(
            "The Go record counts an atomic pointer read as one instruction; the leaky floor's read is \
             not in instructions.json, so it is not checked here."
                .to_owned(),
        )];
    }
    out.push(Inline::Text(". ".to_owned()));

    let mut cheapest = Vec::new();
    let mut counted = false;
    for configuration in configurations {
        // The configuration's own build, else the same instruction set's
        // (aarch64+lse has none of its own: callgrind counted aarch64's).
        let own = counts.iter().find(|c| c.arch == configuration.label);
        let same_arch = counts.iter().find(|c| c.arch == configuration.arch);
        if let Some(text) = own.or(same_arch).and_then(|c| {
            let text = cheapest_counted(rows, &configuration.label, c)?;
            Some(match own {
                Some(_) => text,
                None => format!("{text}, counted on the {} build", c.arch),
            })
        }) {
            counted = true;
            cheapest.push(text);
            continue;
        }
        let best = rows
            .iter()
            .filter(|r| r.family == Some(Family::Atomic))
            .filter_map(|r| {
                let f = function(r, configuration, Path::Read)?;
                Some((r, f, f.fast_with_callees.as_ref()?))
            })
            .min_by_key(|(_, _, p)| (p.instructions, p.rmw + p.fences, p.data_loads()));
        let Some((row, f, p)) = best else { continue };
        let mut text = format!(
            "{}: {} ({} instructions, {}{}, {} RMW, {} {}, {}",
            configuration.label,
            row.label,
            p.instructions,
            plural(p.data_loads(), "load", "loads"),
            if p.acquire_loads > 0 { format!(" ({} acquire)", p.acquire_loads) } else { String::new() },
            p.rmw,
            p.fences,
            if is_arm(configuration) { "barriers" } else { "fences" },
            plural(p.calls, "call", "calls"),
        );
        if f.all.rmw + f.all.fences > p.rmw + p.fences {
            let (fence, fences) =
                if is_arm(configuration) { ("barrier", "barriers") } else { ("fence", "fences") };
            text.push_str(&format!(
                "; on its shortest path only: off it, its code holds {} and {}, which a miss, or a \
                 reader's first entry, takes",
                plural(f.all.rmw, "atomic RMW", "atomic RMWs"),
                plural(f.all.fences, fence, fences),
            ));
        }
        text.push(')');
        cheapest.push(text);
    }
    if !cheapest.is_empty() {
        out.push(Inline::Text(format!(
            "The cheapest safe atomic store's read, per configuration{}: {}. ",
            if counted {
                " (by the instructions callgrind counts it executing where that architecture has \
                 counts, the measuring loop included; else by the fast path above)"
            } else {
                " by this count"
            },
            cheapest.join("; ")
        )));
    }
    let default_store = ALIASES.iter().find(|a| a.name == "atomic").map(|a| a.store);
    if let Some(row) = default_store.and_then(|id| rows.iter().find(|r| r.id == id)) {
        let cells: Vec<String> = configurations
            .iter()
            .map(|c| format!("{} {}", c.label, cell(function(row, c, Path::Read), is_arm(c))))
            .collect();
        out.push(Inline::Text(format!(
            "The store procstore's facade picks by default, {}: {}. ",
            row.label,
            cells.join("; ")
        )));
    }
    let (low, high) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
    let span = if low == high { low.to_string() } else { format!("{low}-{high}") };
    out.push(Inline::Text(if plain_load_everywhere {
        format!(
            "So the claim holds for the atomic load itself, on every configuration: one load \
             instruction, no atomic RMW and no fence or barrier; it does not hold for a read, which \
             is {span} instructions even for the floor, and more for any store that frees what it \
             replaces."
        )
    } else {
        format!(
            "So the claim does not hold on every configuration: the floor's read is {span} \
             instructions, and on some configuration it needs more than a load (see above)."
        )
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::encode;

    fn path(instructions: u64, loads: u64, acquire: u64, rmw: u64, fences: u64, calls: u64) -> PathCounts {
        PathCounts {
            instructions,
            loads,
            acquire_loads: acquire,
            rmw,
            fences,
            calls,
            ..PathCounts::default()
        }
    }

    fn function(fast: PathCounts, all: PathCounts) -> FunctionCounts {
        FunctionCounts {
            symbol: "probe".to_owned(),
            fast: Some(fast.clone()),
            fast_with_callees: Some(PathCounts { mnemonics: Vec::new(), ..fast }),
            all,
        }
    }

    /// A small synthetic file: the floor and arc-swap Cache, two configurations.
    pub(crate) fn synthetic() -> Instructions {
        let configuration = |label: &str, arch: &str| Configuration {
            label: label.to_owned(),
            arch: arch.to_owned(),
            target: format!("{arch}-unknown-linux-gnu"),
            rustflags: String::new(),
            objdump: "objdump".to_owned(),
        };
        let mut floor_x86 = path(4, 3, 0, 0, 0, 0);
        floor_x86.mnemonics = ["mov", "mov", "movzx", "ret"].map(str::to_owned).to_vec();
        let mut floor_arm = path(5, 3, 1, 0, 0, 0);
        floor_arm.mnemonics = ["ldr", "add", "ldar", "ldrb", "ret"].map(str::to_owned).to_vec();
        let cache = |n| {
            let mut fast = path(n, 4, 0, 0, 0, 0);
            fast.mnemonics = vec!["nop".to_owned(); n as usize];
            let mut all = path(56, 9, 0, 4, 1, 7);
            all.callees = vec!["LocalNode::with".to_owned(), "__aarch64_cas8_acq_rel".to_owned()];
            function(fast, all)
        };
        Instructions {
            schema_version: 1,
            rustc: "rustc 1.95.0".to_owned(),
            commit: "abc123".to_owned(),
            configurations: vec![configuration("x86_64", "x86_64"), configuration("aarch64", "aarch64")],
            strategies: vec![
                StrategyInstructions {
                    id: "arc-swap-cache".to_owned(),
                    read: [("x86_64".to_owned(), cache(16)), ("aarch64".to_owned(), cache(18))].into(),
                    update: [("x86_64".to_owned(), function(path(3, 1, 0, 0, 0, 1), path(3, 1, 0, 0, 0, 1)))]
                        .into(),
                },
                StrategyInstructions {
                    id: "leaky-atomic-ptr".to_owned(),
                    read: [
                        ("x86_64".to_owned(), function(floor_x86.clone(), floor_x86)),
                        ("aarch64".to_owned(), function(floor_arm.clone(), floor_arm)),
                    ]
                    .into(),
                    update: Default::default(),
                },
            ],
        }
    }

    #[test]
    fn the_section_renders_tables_slow_paths_and_the_claim() {
        let mut doc = Document::new("t", Some("EMULATED"));
        section(&synthetic(), &[], &mut doc);
        let md = encode(&doc);
        assert!(md.contains(&format!("## {TITLE}\n")), "{md}");
        assert!(!md.contains("EMULATED"), "compiler output is not emulated:\n{md}");
        assert!(md.contains("| Store (read) | x86_64 | aarch64 |"), "{md}");
        assert!(md.contains("| arc-swap Cache | 16 instr, 4 ld | 18 instr, 4 ld |"), "{md}");
        assert!(
            md.contains("| floor: leaky AtomicPtr load | 4 instr, 3 ld | 5 instr, 3 ld (1 acq) |"),
            "{md}"
        );
        // A store the file lacks is a gap, not left out.
        assert!(md.contains("| std Mutex | — | — |"), "{md}");
        assert!(md.contains("| arc-swap Cache | 3 instr, 1 ld, 1 call | — |"), "{md}");
        assert!(
            md.contains(
                "- arc-swap Cache read: 56 / 56 instructions in all (16 / 18 on the fast path), 4 / 4 atomic \
             RMWs, 1 / 1 fences/barriers; calls only off the fast path: LocalNode::with"
            ),
            "{md}"
        );
        assert!(md.contains("`mov, mov, movzx, ret` on x86_64: 3 loads, no RMW, no fence"), "{md}");
        assert!(
            md.contains("`ldr, add, ldar, ldrb, ret` on aarch64: 3 loads, 1 of them acquire (ldar)"),
            "{md}"
        );
        assert!(md.contains("x86_64: arc-swap Cache (16 instructions, 4 loads, 0 RMW, 0 fences, 0 calls; on its shortest path only: off it, its code holds 4 atomic RMWs and 1 fence, which a miss, or a reader's first entry, takes)"), "{md}");
        assert!(md.contains("So the claim holds for the atomic load itself"), "{md}");
        assert!(md.contains("which is 4-5 instructions even for the floor"), "{md}");
    }

    /// A small synthetic callgrind file: left-right reads cheapest, arc-swap
    /// Cache's fast path notwithstanding.
    fn counted(arch: &str, emulated: bool) -> CallgrindCounts {
        let path = |path: &str, instructions: f64, allocations: f64| crate::instructions::CallgrindPath {
            path: path.to_owned(),
            instructions,
            allocations,
            read: path.starts_with("read/"),
        };
        CallgrindCounts {
            schema: 1,
            arch: arch.to_owned(),
            emulated,
            rustc: "rustc 1.95.0".to_owned(),
            iterations: 1000,
            paths: vec![
                path("read/arc-swap-cache", 40.0, 0.0),
                path("update/arc-swap-cache", 726.7, 1.0),
                path("read/left-right", 38.0, 0.0),
                path("read/leaky-atomic-ptr", 28.0, 0.0),
                path("get-hit/dashmap", 254.3, 0.0),
                path("insert-remove/not-in-catalogue", 9.5, 1.1),
            ],
        }
    }

    #[test]
    fn callgrind_counts_render_and_pick_the_cheapest_store() {
        let mut doc = Document::new("t", None);
        section(&synthetic(), &[counted("x86_64", false), counted("aarch64", true)], &mut doc);
        let md = encode(&doc);
        assert!(md.contains("### Counted under callgrind\n"), "{md}");
        assert!(md.contains("no nesting"), "{md}");
        assert!(md.contains("about 24 instructions per operation"), "{md}");
        assert!(
            md.contains("| Store | Operation | x86_64 instr | x86_64 alloc | aarch64 (qemu) instr | aarch64 (qemu) alloc |"),
            "{md}"
        );
        assert!(md.contains("| arc-swap Cache | update | 726.7 | 1 | 726.7 | 1 |"), "{md}");
        assert!(md.contains("| floor: leaky AtomicPtr load | read | 28 | 0 | 28 | 0 |"), "{md}");
        assert!(md.contains("| Registry | Operation |"), "{md}");
        assert!(md.contains("| not-in-catalogue | insert-remove | 9.5 | 1.1 | 9.5 | 1.1 |"), "{md}");
        // A path no file counts has no row.
        assert!(!md.contains("| std Mutex | read |"), "{md}");
        assert!(
            md.contains(
                "x86_64: left-right ReadHandle (38 instructions, 0 allocations per read under callgrind)"
            ),
            "{md}"
        );
        assert!(md.contains("aarch64: left-right ReadHandle (38 instructions, 0 allocations per read under callgrind, emulated)"), "{md}");
    }

    #[test]
    fn without_counts_there_is_no_subsection() {
        let mut doc = Document::new("t", None);
        section(&synthetic(), &[], &mut doc);
        let md = encode(&doc);
        assert!(!md.contains("Counted under callgrind"), "{md}");
        assert!(md.contains("per configuration by this count: x86_64: arc-swap Cache (16"), "{md}");
    }

    #[test]
    fn a_floor_with_a_fence_fails_the_claim() {
        let mut instructions = synthetic();
        let floor = instructions.strategies.iter_mut().find(|s| s.id == "leaky-atomic-ptr").unwrap();
        let arm = floor.read.get_mut("aarch64").unwrap();
        arm.fast_with_callees.as_mut().unwrap().fences = 1;
        let mut doc = Document::new("t", None);
        section(&instructions, &[], &mut doc);
        let md = encode(&doc);
        assert!(md.contains("So the claim does not hold on every configuration"), "{md}");
    }
}
