//! What a probe function's code holds, read from `objdump -d
//! --no-show-raw-insn -C` (Intel syntax on x86_64): per function, the
//! instructions, loads, stores, atomic read-modify-writes, fences and calls
//! of two paths, for x86_64 and aarch64.
//!
//! - The **fast path** is the shortest entry-to-return path: for a cache
//!   the hit, for a lock the uncontended acquire. It is the shortest path in
//!   instructions over the function's control-flow graph from its entry to a
//!   `ret` or a tail call: a conditional branch has two successors, so a CAS
//!   loop's back edge is never on it, and `ud2`, `brk`, `int3` and calls to
//!   functions that never return (panics, `_Unwind_Resume`, a function of
//!   the binary with no path to a return) end a path that does not return,
//!   so it is not a candidate. A call into a function of the same binary
//!   weighs what that function's own fast path does (recursively), so a
//!   one-instruction call to a slow path (`lock_contended`) is not short;
//!   the C library (`malloc@plt`), calls through a register and aarch64's
//!   outline-atomic helpers weigh one instruction and are not followed.
//!   [`FunctionCounts::fast`] counts the function's own instructions on
//!   that path, a call as one; [`FunctionCounts::fast_with_callees`] counts
//!   the callees' fast paths in.
//! - **All paths** is the whole body: every instruction from the symbol to
//!   the next, trailing padding left out.
//!
//! The shortest path is what a read costs when nothing is contended and
//! every check passes, which is what a cache hit or an uncontended lock is;
//! it is not always the path a probe takes: a reader that counts nested
//! guards is shortest when a guard is already held, which the probes never
//! do. Read the all-paths counts and the calls only off the fast path too.
//!
//! What is counted, per instruction:
//!
//! - x86_64: a **load** is an instruction that reads a memory operand (a
//!   `mov`, `movzx`, `cmp`, `test`, `add` ... with a `[...]` source, an
//!   arithmetic instruction on a `[...]` destination, `pop`); `lea` and
//!   `nop` read nothing; a **store** writes one (`mov [mem], reg`, an
//!   arithmetic destination, `push`); an **atomic RMW** is a `lock`-prefixed
//!   instruction, `xchg` with memory or `cmpxchg`/`xadd`; a **fence** is
//!   `mfence`, `lfence`, `sfence`, or the `lock or [rsp], 0` LLVM uses as a
//!   sequentially consistent fence; **calls** are `call` and a `jmp` that
//!   leaves the function (a tail call). Calls through the GOT (`call [rip+x]`)
//!   are named from the binary's dynamic relocations.
//! - aarch64: **loads** are `ldr*`, `ldur*`, `ldp`, `ldar*`, `ldapr*`,
//!   `ldxr`, `ldaxr` ..., among them **acquire loads** (`ldar*`, `ldapr*`,
//!   `ldaxr*`); **stores** are `str*`, `stur*`, `stp`, `stlr*` (release
//!   stores); **atomic RMWs** are the LSE atomics (`cas*`, `swp*`, `ldadd*`,
//!   `ldclr*`, `ldset*`, `ldeor*`, `ldsmax*` ..., which start with `ld` but
//!   are RMWs), each exclusive store (`stxr`, `stlxr`: one RMW per
//!   load-exclusive/store-exclusive pair) and each call to an outline-atomic
//!   helper (`bl __aarch64_cas8_acq_rel`), which counts as a call too;
//!   **barriers** are `dmb`, `dsb`, `isb`; **calls** are `bl`, `blr`, and a
//!   `b`/`br` leaving the function.
//!
//! Loads and stores to the stack (saved registers, spills) are counted, and
//! counted apart as well.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use procstore_report::instructions::{
    Configuration, FunctionCounts, INSTRUCTIONS_SCHEMA, Instructions, PathCounts, StrategyInstructions,
};

use crate::probes::{self, Kind};

/// An instruction set objdump's output is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Isa {
    /// x86_64, disassembled with `-M intel`.
    #[value(name = "x86_64")]
    X86_64,
    /// aarch64 (A64).
    #[value(name = "aarch64")]
    Aarch64,
}

impl Isa {
    /// The name `--arch` takes and the JSON records.
    pub fn name(self) -> &'static str {
        match self {
            Isa::X86_64 => "x86_64",
            Isa::Aarch64 => "aarch64",
        }
    }
}

/// Where a branch or call goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An address, with the symbol objdump names it by (`foo`, `foo+0x10`,
    /// `malloc@plt`).
    Direct(u64, String),
    /// Through a memory slot (x86's `call [rip+x]`: a GOT entry).
    Slot(u64),
    /// Through a register, or a slot whose address is unknown.
    Indirect,
}

/// How control leaves an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    /// On to the next instruction.
    Next,
    /// A jump; `conditional`: or on to the next instruction. Leaving the
    /// function, it is a tail call.
    Jump {
        /// Where.
        target: Target,
        /// Whether it may fall through instead.
        conditional: bool,
    },
    /// A call, then on to the next instruction (unless it never returns).
    Call(Target),
    /// A return.
    Return,
    /// A trap (`ud2`, `brk`, `int3`): nothing after it runs.
    Trap,
}

/// What one instruction does to memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// It reads memory.
    pub load: bool,
    /// It reads the stack.
    pub stack_load: bool,
    /// It is an acquire load.
    pub acquire: bool,
    /// It writes memory.
    pub store: bool,
    /// It writes the stack.
    pub stack_store: bool,
    /// It is a release store.
    pub release: bool,
    /// It is an atomic read-modify-write.
    pub rmw: bool,
    /// It is a fence or barrier.
    pub fence: bool,
}

/// One instruction of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Its address.
    pub address: u64,
    /// Its mnemonic, with a `lock` prefix where it has one.
    pub mnemonic: String,
    /// What it does to memory.
    pub access: Access,
    /// Where control goes next.
    pub flow: Flow,
}

/// One symbol's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The symbol, demangled.
    pub name: String,
    /// Its address.
    pub address: u64,
    /// Its instructions in address order, trailing padding left out.
    pub instructions: Vec<Instruction>,
}

impl Function {
    /// The index of the instruction at `address`, if it is this function's.
    fn index_of(&self, address: u64) -> Option<usize> {
        self.instructions.binary_search_by_key(&address, |i| i.address).ok()
    }
}

/// Parses an objdump listing (`objdump -d --no-show-raw-insn -C`, with
/// `-M intel` on x86) into its functions, in listing order.
pub fn parse_listing(isa: Isa, listing: &str) -> Vec<Function> {
    let mut functions: Vec<Function> = Vec::new();
    let mut registers = Registers::new();
    for line in listing.lines() {
        if let Some((address, name)) = header(line) {
            functions.push(Function { name, address, instructions: Vec::new() });
            registers.clear();
        } else if let Some((address, text)) = instruction_line(line)
            && let Some(function) = functions.last_mut()
            && let Some((mnemonic, access, flow)) = classify(isa, text, &mut registers)
        {
            function.instructions.push(Instruction { address, mnemonic, access, flow });
        }
    }
    for function in &mut functions {
        while function.instructions.last().is_some_and(|i| is_padding(isa, &i.mnemonic)) {
            function.instructions.pop();
        }
    }
    functions
}

/// `0000000000121750 <procstore_probe_read_leaky_atomic_ptr>:`
fn header(line: &str) -> Option<(u64, String)> {
    let (address, rest) = line.split_once(' ')?;
    if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let name = rest.strip_prefix('<')?.strip_suffix(">:")?;
    Some((u64::from_str_radix(address, 16).ok()?, name.to_owned()))
}

/// `  121750:\tmov    rax,QWORD PTR [rdi]`
fn instruction_line(line: &str) -> Option<(u64, &str)> {
    let (address, text) = line.trim_start().split_once(":\t")?;
    if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((u64::from_str_radix(address, 16).ok()?, text.trim()))
}

/// Alignment filler after a function's last instruction.
fn is_padding(isa: Isa, mnemonic: &str) -> bool {
    match isa {
        Isa::X86_64 => mnemonic == "int3" || mnemonic.starts_with("nop") || mnemonic == "xchg",
        Isa::Aarch64 => matches!(mnemonic, "nop" | "udf" | ".inst" | "(bad)"),
    }
}

/// `ef4c0 <arc_swap::debt::list::LocalNode::with>` as an address and the
/// name between the first `<` and the last `>`.
fn direct(operand: &str) -> Option<Target> {
    let operand = operand.trim();
    let (address, name) = match operand.split_once(' ') {
        Some((address, rest)) => {
            let rest = rest.trim();
            let name = rest.strip_prefix('<').and_then(|r| r.strip_suffix('>')).unwrap_or(rest);
            (address, name.to_owned())
        }
        None => (operand, String::new()),
    };
    let address = u64::from_str_radix(address.strip_prefix("0x").unwrap_or(address), 16).ok()?;
    Some(Target::Direct(address, name))
}

/// Splits `text` into the instruction and its target's `<name>`, if any:
/// a name may hold commas and spaces (`Arc<T,A>::drop_slow`).
fn split_name(text: &str) -> (&str, Option<&str>) {
    match (text.find(" <"), text.rfind('>')) {
        (Some(open), Some(close)) if close > open => (&text[..open], Some(&text[open + 2..close])),
        _ => (text, None),
    }
}

/// Top-level comma-separated operands.
fn operands(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// Registers known to hold a GOT slot's content, so that `call r12` after
/// `mov r12, QWORD PTR [rip+x]` is a call through that slot (x86; a
/// function's instructions in listing order, which is how the compiler
/// hoists such a load out of a loop).
type Registers = HashMap<String, u64>;

/// `r12d` and `r12` are one register, as are `eax` and `rax`.
fn x86_register(operand: &str) -> Option<String> {
    let operand = operand.trim();
    if operand.is_empty() || !operand.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let numbered = operand.len() > 2 && operand.starts_with('r') && operand.as_bytes()[1].is_ascii_digit();
    Some(if numbered {
        operand.trim_end_matches(['d', 'w', 'b']).to_owned()
    } else if operand.len() == 3 && operand.starts_with('e') {
        format!("r{}", &operand[1..])
    } else {
        operand.to_owned()
    })
}

/// What a call leaves in the caller-saved registers: nothing known.
const X86_CALLER_SAVED: [&str; 9] = ["rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"];

fn classify(isa: Isa, text: &str, registers: &mut Registers) -> Option<(String, Access, Flow)> {
    match isa {
        Isa::X86_64 => classify_x86(text, registers),
        Isa::Aarch64 => classify_a64(text),
    }
}

/// x86 prefixes objdump prints before a mnemonic.
const X86_PREFIXES: &[&str] = &[
    "lock", "rep", "repz", "repnz", "repe", "repne", "notrack", "bnd", "data16", "addr32", "cs", "ds", "ss",
    "es", "fs", "gs", "xacquire", "xrelease", "rex", "rex.W",
];

/// Mnemonics whose memory destination is only written.
fn x86_write_only(mnemonic: &str) -> bool {
    ["mov", "vmov", "set", "stos", "pextr", "extractps", "vextract", "vpextr", "cmov"]
        .iter()
        .any(|p| mnemonic.starts_with(p))
}

/// Mnemonics that only read their operands.
fn x86_read_only(mnemonic: &str) -> bool {
    matches!(mnemonic, "cmp" | "test" | "bt" | "ptest" | "vptest" | "scas" | "cmps" | "lods")
        || ["ucomis", "comis", "vucomis", "vcomis", "cmps", "scas", "lods"]
            .iter()
            .any(|p| mnemonic.starts_with(p))
}

fn x86_memory(operand: &str) -> bool {
    operand.contains('[')
        || operand.contains("PTR ")
        || operand.starts_with("fs:")
        || operand.starts_with("gs:")
}

fn x86_stack(operand: &str) -> bool {
    operand.contains("[rsp") || operand.contains("[esp")
}

fn classify_x86(text: &str, registers: &mut Registers) -> Option<(String, Access, Flow)> {
    // `call QWORD PTR [rip+0x12fa18]        # 21c380 <_DYNAMIC+0x9e0>`
    let (text, comment) = match text.split_once(" # ") {
        Some((text, comment)) => (text.trim(), Some(comment.trim())),
        None => (text.trim(), None),
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let prefixes =
        words.iter().take_while(|w| X86_PREFIXES.contains(w)).count().min(words.len().saturating_sub(1));
    let lock = words[..prefixes].contains(&"lock");
    let mnemonic = (*words.get(prefixes)?).to_owned();
    let rest = words[prefixes + 1..].join(" ");
    let (plain, _) = split_name(&rest);
    let ops = operands(plain);
    let slot = || {
        comment
            .and_then(|c| c.split_whitespace().next())
            .and_then(|a| u64::from_str_radix(a, 16).ok())
            .map_or(Target::Indirect, Target::Slot)
    };
    let target = || {
        let operand = ops.first().copied().unwrap_or_default();
        if x86_memory(operand) {
            if operand.contains("[rip") { slot() } else { Target::Indirect }
        } else if let Some(slot) = x86_register(operand).and_then(|r| registers.get(&r)) {
            Target::Slot(*slot)
        } else {
            direct(&rest).unwrap_or(Target::Indirect)
        }
    };
    let mut access = Access::default();
    let shown = if lock { format!("lock {mnemonic}") } else { mnemonic.clone() };
    let flow = match mnemonic.as_str() {
        "call" => Flow::Call(target()),
        "jmp" => Flow::Jump { target: target(), conditional: false },
        m if m.starts_with('j') => Flow::Jump { target: target(), conditional: true },
        "ret" | "retq" | "retn" => Flow::Return,
        "ud2" | "ud1" | "ud0" | "int3" | "hlt" => Flow::Trap,
        _ => Flow::Next,
    };
    if let Flow::Call(_) = flow {
        for register in X86_CALLER_SAVED {
            registers.remove(register);
        }
    } else if let Some(destination) = ops.first().and_then(|o| x86_register(o)) {
        match slot() {
            Target::Slot(slot) if mnemonic == "mov" && ops.get(1).is_some_and(|o| o.contains("[rip")) => {
                registers.insert(destination, slot);
            }
            _ => {
                registers.remove(&destination);
            }
        }
    }
    if flow != Flow::Next {
        return Some((shown, access, flow));
    }
    let memory: Vec<(usize, &str)> = ops.iter().copied().enumerate().filter(|(_, o)| x86_memory(o)).collect();
    let stack = memory.iter().any(|(_, o)| x86_stack(o));
    let is_rmw_op = lock
        || mnemonic.starts_with("cmpxchg")
        || mnemonic == "xadd"
        || (mnemonic == "xchg" && !memory.is_empty());
    if matches!(mnemonic.as_str(), "mfence" | "lfence" | "sfence") {
        access.fence = true;
    } else if is_rmw_op {
        // `lock or DWORD PTR [rsp-0x40],0x0`: LLVM's SeqCst fence.
        let idle = matches!(mnemonic.as_str(), "or" | "add")
            && stack
            && ops.get(1).is_some_and(|o| o.trim_start_matches("0x").trim_start_matches('0').is_empty());
        if lock && idle {
            access.fence = true;
        } else {
            access.rmw = true;
        }
    } else if mnemonic == "push" {
        access.store = true;
        access.stack_store = true;
        access.load = !memory.is_empty();
        access.stack_load = stack;
    } else if mnemonic == "pop" {
        access.load = true;
        access.stack_load = true;
        access.store = !memory.is_empty();
        access.stack_store = stack;
    } else if mnemonic == "lea" || mnemonic.starts_with("nop") || mnemonic.starts_with("prefetch") {
        // No access: an address computed, a hint.
    } else {
        for (index, operand) in memory {
            let on_stack = x86_stack(operand);
            let (load, store) = if index > 0 || x86_read_only(&mnemonic) {
                (true, false)
            } else if x86_write_only(&mnemonic) {
                (false, true)
            } else {
                (true, true)
            };
            access.load |= load;
            access.stack_load |= load && on_stack;
            access.store |= store;
            access.stack_store |= store && on_stack;
        }
        // String instructions name their memory implicitly in some listings.
        if ops.is_empty() {
            if mnemonic.starts_with("movs") {
                access.load = true;
                access.store = true;
            } else if mnemonic.starts_with("stos") {
                access.store = true;
            } else if ["lods", "scas", "cmps"].iter().any(|p| mnemonic.starts_with(p)) {
                access.load = true;
            }
        }
    }
    Some((shown, access, Flow::Next))
}

/// The LSE atomics: read-modify-writes, though most start with `ld` or `st`.
const A64_LSE: &[&str] = &[
    "cas", "swp", "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "stadd",
    "stclr", "steor", "stset", "stsmax", "stsmin", "stumax", "stumin",
];

fn classify_a64(text: &str) -> Option<(String, Access, Flow)> {
    // `b.eq\t6a008 <procstore_probe_read_arc_swap_cache+0xc4>  // b.none`
    let text = text.split_once("//").map_or(text, |(t, _)| t).trim();
    let (mnemonic, rest) = match text.split_once(char::is_whitespace) {
        Some((m, r)) => (m, r.trim()),
        None => (text, ""),
    };
    let mnemonic = mnemonic.to_owned();
    let (plain, name) = split_name(rest);
    let ops = operands(plain);
    let branch_target = || {
        let address = ops.last().copied().unwrap_or_default();
        let with_name = match name {
            Some(name) => format!("{address} <{name}>"),
            None => address.to_owned(),
        };
        direct(&with_name).unwrap_or(Target::Indirect)
    };
    let m = mnemonic.as_str();
    let flow = match m {
        "b" => Some(Flow::Jump { target: branch_target(), conditional: false }),
        "bl" => Some(Flow::Call(branch_target())),
        "blr" | "blraa" | "blraaz" | "blrab" | "blrabz" => Some(Flow::Call(Target::Indirect)),
        "br" | "braa" | "braaz" | "brab" | "brabz" => {
            Some(Flow::Jump { target: Target::Indirect, conditional: false })
        }
        "cbz" | "cbnz" | "tbz" | "tbnz" => Some(Flow::Jump { target: branch_target(), conditional: true }),
        "ret" | "retaa" | "retab" => Some(Flow::Return),
        "brk" | "udf" | "hlt" => Some(Flow::Trap),
        _ if m.starts_with("b.") || m.starts_with("bc.") => {
            Some(Flow::Jump { target: branch_target(), conditional: true })
        }
        _ => None,
    };
    let mut access = Access::default();
    if let Some(flow) = flow {
        return Some((mnemonic, access, flow));
    }
    let stack = plain.contains("[sp") || plain.contains("[x29");
    if matches!(m, "dmb" | "dsb" | "isb") {
        access.fence = true;
    } else if A64_LSE.iter().any(|p| m.starts_with(p))
        || ["stxr", "stlxr", "stxp", "stlxp"].iter().any(|p| m.starts_with(p))
    {
        access.rmw = true;
    } else if m.starts_with("ld") {
        access.load = true;
        access.stack_load = stack;
        access.acquire = ["ldar", "ldapr", "ldapur", "ldax", "ldlar"].iter().any(|p| m.starts_with(p));
    } else if m.starts_with("st") {
        access.store = true;
        access.stack_store = stack;
        access.release = ["stlr", "stlur", "stllr"].iter().any(|p| m.starts_with(p));
    }
    Some((mnemonic, access, Flow::Next))
}

/// Whether `name` (demangled) is one of aarch64's outline-atomic helpers,
/// `__aarch64_cas8_acq_rel` and friends: one atomic RMW each.
pub fn is_outline_atomic(name: &str) -> bool {
    name.strip_prefix("__aarch64_").is_some_and(|op| {
        ["cas", "swp", "ldadd", "ldclr", "ldeor", "ldset"].iter().any(|p| op.starts_with(p))
    })
}

/// Whether a call to `name` (demangled) never returns: a panic, an abort,
/// resuming an unwind.
pub fn never_returns(name: &str) -> bool {
    let name = name.split('@').next().unwrap_or(name);
    let base = without_generics(name);
    const EXACT: &[&str] = &[
        "core::option::unwrap_failed",
        "core::option::expect_failed",
        "core::result::unwrap_failed",
        "core::cell::panic_already_borrowed",
        "core::cell::panic_already_mutably_borrowed",
        "alloc::alloc::handle_alloc_error",
        "alloc::raw_vec::handle_error",
        "alloc::raw_vec::capacity_overflow",
        "std::process::abort",
        "std::process::exit",
        "std::panicking::begin_panic",
        "std::panicking::begin_panic_handler",
        "std::panicking::rust_panic_with_hook",
        "std::panicking::rust_panic",
        "std::panic::resume_unwind",
        "std::alloc::rust_oom",
        "rust_begin_unwind",
        "__rust_start_panic",
        "__rust_alloc_error_handler",
        "_Unwind_Resume",
        "abort",
        "exit",
        "_exit",
        "__stack_chk_fail",
        "__assert_fail",
    ];
    base.starts_with("core::panicking::")
        || EXACT.contains(&base.as_str())
        || base.ends_with("::abort_internal")
        || ((base.starts_with("core::slice::") || base.starts_with("core::str::")) && base.ends_with("_fail"))
}

/// `name` without its generic arguments.
fn without_generics(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for (i, c) in name.char_indices() {
        match c {
            // `<T as Trait>::f` at the start is a qualified path: keep it whole.
            '<' if i == 0 => return name.to_owned(),
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A demangled name, shortened for a table: generic arguments keep only
/// their last path segment, the function its last two, the `@plt` and a
/// legacy hash go (`core::ptr::drop_in_place<arc_swap::Guard<T>>` becomes
/// `ptr::drop_in_place<Guard<T>>`).
pub fn shorten(name: &str) -> String {
    let name = name.split('@').next().unwrap_or(name);
    let name = match name.rfind("::h") {
        Some(i) if name.len() - i == 19 && name[i + 3..].bytes().all(|b| b.is_ascii_hexdigit()) => &name[..i],
        _ => name,
    };
    // Pieces: runs of path characters, and single separators.
    let separators = ['<', '>', ',', ' ', '(', ')', '[', ']', '&', '*', ';'];
    let mut pieces: Vec<(usize, String, bool)> = Vec::new();
    let mut depth = 0usize;
    let mut word = String::new();
    for c in name.chars() {
        if separators.contains(&c) {
            if !word.is_empty() {
                pieces.push((depth, std::mem::take(&mut word), true));
            }
            if c == '>' {
                depth = depth.saturating_sub(1);
            }
            pieces.push((depth, c.to_string(), false));
            if c == '<' {
                depth += 1;
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        pieces.push((depth, word, true));
    }
    let outer: usize = pieces
        .iter()
        .filter(|(d, _, w)| *d == 0 && *w)
        .map(|(_, p, _)| p.split("::").filter(|s| !s.is_empty()).count())
        .sum();
    let mut drop = outer.saturating_sub(2);
    let mut out = String::new();
    for (depth, piece, is_word) in pieces {
        if !is_word {
            out.push_str(&piece);
        } else if depth > 0 {
            out.push_str(piece.rsplit("::").next().unwrap_or(&piece));
        } else {
            let leading = piece.starts_with("::");
            let segments: Vec<&str> = piece.split("::").filter(|s| !s.is_empty()).collect();
            let skip = drop.min(segments.len());
            drop -= skip;
            let kept = segments[skip..].join("::");
            if (leading || skip > 0) && !kept.is_empty() && !out.is_empty() {
                out.push_str("::");
            }
            out.push_str(&kept);
        }
    }
    out
}

/// Where a dynamic relocation points a slot: an address in the binary, or
/// an external symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SlotTarget {
    Address(u64),
    Symbol(String),
}

/// Parses `objdump -R`: `000000000021c380 R_X86_64_RELATIVE  *ABS*+0x15ceb0`
/// and `0000000000213fd8 R_X86_64_GLOB_DAT  malloc@GLIBC_2.2.5`.
fn parse_relocations(text: &str) -> HashMap<u64, SlotTarget> {
    let mut slots = HashMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(offset), Some(kind), Some(value)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let Ok(offset) = u64::from_str_radix(offset, 16) else { continue };
        if !kind.starts_with("R_") {
            continue;
        }
        let target = if let Some(address) = value.strip_prefix("*ABS*+0x") {
            match u64::from_str_radix(address, 16) {
                Ok(address) => SlotTarget::Address(address),
                Err(_) => continue,
            }
        } else {
            SlotTarget::Symbol(value.split('@').next().unwrap_or(value).to_owned())
        };
        slots.insert(offset, target);
    }
    slots
}

/// Parses `objdump -t`: `00000000000603a0 g     F .text\t0000000000000040 name`,
/// each symbol's address by name.
fn parse_symbols(text: &str) -> HashMap<String, u64> {
    let mut symbols = HashMap::new();
    for line in text.lines() {
        let Some((front, back)) = line.split_once('\t') else { continue };
        let Some(address) = front.split_whitespace().next() else { continue };
        let Ok(address) = u64::from_str_radix(address, 16) else { continue };
        if let Some((_size, name)) = back.trim().split_once(char::is_whitespace) {
            symbols.insert(name.trim().to_owned(), address);
        }
    }
    symbols
}

/// A whole binary's functions, its GOT slots and its symbols.
#[derive(Debug)]
pub struct Binary {
    functions: Vec<Function>,
    starts: HashMap<u64, usize>,
    slots: HashMap<u64, SlotTarget>,
    /// Every symbol's address: objdump lists one name per address, and
    /// identical functions are merged (rustc's merge-functions makes one an
    /// alias of the other), so a probe may only be found by its address.
    symbols: HashMap<String, u64>,
}

/// A call's callee, resolved.
#[derive(Clone, Debug)]
struct Callee {
    /// Demangled, in full.
    name: String,
    /// The function of the binary, if it is one (not a PLT stub).
    function: Option<usize>,
}

impl Binary {
    /// A binary from its listing (see [`parse_listing`]) and its dynamic
    /// relocations (`objdump -R`; empty for none).
    pub fn parse(isa: Isa, listing: &str, relocations: &str) -> Binary {
        let functions = parse_listing(isa, listing);
        let starts = functions.iter().enumerate().map(|(i, f)| (f.address, i)).collect();
        Binary { functions, starts, slots: parse_relocations(relocations), symbols: HashMap::new() }
    }

    /// Adds the symbol table (`objdump -t`), so that a symbol objdump's
    /// listing names by an alias is found.
    pub fn with_symbols(mut self, table: &str) -> Binary {
        self.symbols = parse_symbols(table);
        self
    }

    /// The function whose code runs when `name` is called: its own, an
    /// alias's, or, where its whole body is one jump to another function (a
    /// probe the compiler made a tail call), that function's. `name` is
    /// found by its name in the listing or by its symbol's address.
    fn find(&self, name: &str) -> Option<usize> {
        let mut index = match self.functions.iter().position(|f| f.name == name) {
            Some(index) => index,
            None => *self.starts.get(self.symbols.get(name)?)?,
        };
        // An alias listed before the symbol that holds the code.
        if self.functions[index].instructions.is_empty() {
            index = *self.starts.get(&self.functions[index].address)?;
        }
        // Lone tail calls, a few deep (bounded: a cycle would never end).
        for _ in 0..4 {
            let [only] = self.functions[index].instructions.as_slice() else { break };
            let Flow::Jump { target: Target::Direct(address, _), conditional: false } = &only.flow else {
                break;
            };
            match self.starts.get(address) {
                Some(&next) if next != index => index = next,
                _ => break,
            }
        }
        Some(index)
    }

    /// Disassembles `binary` with `objdump` (a command, split on spaces).
    ///
    /// # Errors
    ///
    /// objdump failing, or listing no function.
    pub fn disassemble(objdump: &str, isa: Isa, binary: &Path) -> Result<Binary, String> {
        let command: Vec<&str> = objdump.split_whitespace().collect();
        let (program, first) = command.split_first().ok_or("an empty objdump command")?;
        let run = |args: &[&str]| {
            Command::new(program)
                .args(first)
                .args(args)
                .arg(binary)
                .output()
                .map_err(|e| format!("{program}: {e}"))
        };
        let mut args = vec!["-d", "--no-show-raw-insn", "-C"];
        if isa == Isa::X86_64 {
            args.extend(["-M", "intel"]);
        }
        let listing = run(&args)?;
        if !listing.status.success() {
            return Err(format!(
                "{objdump} {} {}: {}",
                args.join(" "),
                binary.display(),
                String::from_utf8_lossy(&listing.stderr).trim()
            ));
        }
        // A static binary has no dynamic relocations: objdump -R fails, and
        // no call goes through a GOT slot.
        let relocations = run(&["-R"])?;
        let relocations = if relocations.status.success() {
            String::from_utf8_lossy(&relocations.stdout).into_owned()
        } else {
            String::new()
        };
        let symbols = run(&["-t"])?;
        if !symbols.status.success() {
            return Err(format!(
                "{objdump} -t {}: {}",
                binary.display(),
                String::from_utf8_lossy(&symbols.stderr).trim()
            ));
        }
        let binary_listing = String::from_utf8_lossy(&listing.stdout);
        let parsed = Binary::parse(isa, &binary_listing, &relocations)
            .with_symbols(&String::from_utf8_lossy(&symbols.stdout));
        if parsed.functions.is_empty() {
            return Err(format!("{objdump}: no function in the listing of {}", binary.display()));
        }
        Ok(parsed)
    }

    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// `name`'s counts: its fast path (with and without its callees) and
    /// its whole body; `None` when the binary has no such function.
    pub fn counts(&self, name: &str) -> Option<FunctionCounts> {
        self.counts_of(&[name]).pop().flatten()
    }

    /// [`Binary::counts`] of each of `names`, sharing what their callees'
    /// analysis finds.
    pub fn counts_of(&self, names: &[&str]) -> Vec<Option<FunctionCounts>> {
        let mut analysis = Analysis::new(self);
        names
            .iter()
            .map(|name| {
                let index = self.find(name)?;
                Some(FunctionCounts {
                    symbol: (*name).to_owned(),
                    fast: analysis.fast(index, false),
                    fast_with_callees: analysis.fast(index, true),
                    all: analysis.all(index),
                })
            })
            .collect()
    }

    fn callee(&self, target: &Target) -> Callee {
        let unknown = || Callee { name: "<indirect>".to_owned(), function: None };
        match target {
            Target::Direct(address, name) => {
                let function = if name.ends_with("@plt") { None } else { self.starts.get(address).copied() };
                let name = match function {
                    Some(index) => self.functions[index].name.clone(),
                    None if name.is_empty() => format!("{address:#x}"),
                    None => name.clone(),
                };
                Callee { name, function }
            }
            Target::Slot(slot) => match self.slots.get(slot) {
                Some(SlotTarget::Address(address)) => match self.starts.get(address) {
                    Some(&index) => {
                        Callee { name: self.functions[index].name.clone(), function: Some(index) }
                    }
                    None => unknown(),
                },
                Some(SlotTarget::Symbol(symbol)) => Callee { name: symbol.clone(), function: None },
                None => unknown(),
            },
            Target::Indirect => unknown(),
        }
    }
}

/// What executing one instruction of a path costs and leads to.
struct Step {
    /// Instructions, the callee's fast path included where followed.
    cost: u64,
    /// The next instructions.
    next: Vec<usize>,
    /// Whether the path may end here by returning (a `ret`, a tail call).
    exit: bool,
}

/// Memoized fast paths over one binary.
struct Analysis<'b> {
    binary: &'b Binary,
    /// Each function's own fast path: the instructions on it, `None` if none returns.
    own: HashMap<usize, Option<Vec<usize>>>,
    /// Each function's fast path through its callees: the route, counted.
    deep: HashMap<usize, Option<(Vec<usize>, PathCounts)>>,
    /// Functions being analysed: a call back into one is not followed.
    active: HashSet<(usize, bool)>,
}

impl<'b> Analysis<'b> {
    fn new(binary: &'b Binary) -> Self {
        Analysis { binary, own: HashMap::new(), deep: HashMap::new(), active: HashSet::new() }
    }

    /// Whether a call to `callee` returns.
    fn returns(&mut self, callee: &Callee) -> bool {
        if never_returns(&callee.name) {
            return false;
        }
        match callee.function {
            Some(index) if !is_outline_atomic(&callee.name) => self.own_path(index).is_some(),
            _ => true,
        }
    }

    /// The counts of one call or tail call to `target`, the callee's fast
    /// path included when `deep` and it is followed; `None` if it never
    /// returns.
    fn call(&mut self, target: &Target, deep: bool) -> Option<PathCounts> {
        let callee = self.binary.callee(target);
        if !self.returns(&callee) {
            return None;
        }
        let mut counts = PathCounts { instructions: 1, calls: 1, ..PathCounts::default() };
        if is_outline_atomic(&callee.name) {
            counts.rmw = 1;
            counts.outline_rmw = 1;
        } else if deep
            && let Some(index) = callee.function
            && !self.active.contains(&(index, true))
            && let Some(inner) = self.deep_path(index)
        {
            counts.add(&inner);
        }
        counts.add_callee(&shorten(&callee.name));
        Some(counts)
    }

    fn step(&mut self, function: usize, at: usize, deep: bool) -> (Step, Option<PathCounts>) {
        let f = &self.binary.functions[function];
        let instruction = &f.instructions[at];
        let after = if at + 1 < f.instructions.len() { vec![at + 1] } else { Vec::new() };
        let plain = Step { cost: 1, next: after.clone(), exit: false };
        match &instruction.flow {
            Flow::Next => (plain, None),
            Flow::Return => (Step { cost: 1, next: Vec::new(), exit: true }, None),
            Flow::Trap => (Step { cost: 1, next: Vec::new(), exit: false }, None),
            Flow::Call(target) => match self.call(target, deep) {
                Some(counts) => (Step { cost: counts.instructions, next: after, exit: false }, Some(counts)),
                None => (Step { cost: 1, next: Vec::new(), exit: false }, None),
            },
            Flow::Jump { target, conditional } => {
                let inside = match target {
                    Target::Direct(address, _) => f.index_of(*address),
                    _ => None,
                };
                let mut next = if *conditional { after } else { Vec::new() };
                match inside {
                    Some(index) => {
                        next.push(index);
                        (Step { cost: 1, next, exit: false }, None)
                    }
                    // Leaving the function: a tail call.
                    None => match self.call(target, deep) {
                        Some(counts) => (Step { cost: counts.instructions, next, exit: true }, Some(counts)),
                        None => (Step { cost: 1, next, exit: false }, None),
                    },
                }
            }
        }
    }

    /// The instructions of `function`'s shortest entry-to-return path,
    /// calls followed into the callees' own fast paths when `deep`, with
    /// what each call on it counts.
    fn shortest(&mut self, function: usize, deep: bool) -> Option<Vec<(usize, Option<PathCounts>)>> {
        let n = self.binary.functions[function].instructions.len();
        if n == 0 || !self.active.insert((function, deep)) {
            return None;
        }
        let mut dist = vec![u64::MAX; n];
        let mut prev = vec![usize::MAX; n];
        let mut steps: Vec<Option<(Step, Option<PathCounts>)>> = (0..n).map(|_| None).collect();
        let mut heap = BinaryHeap::from([Reverse((0u64, 0usize))]);
        dist[0] = 0;
        let mut best: Option<(u64, usize)> = None;
        while let Some(Reverse((d, at))) = heap.pop() {
            if d > dist[at] || best.is_some_and(|(b, _)| d >= b) {
                continue;
            }
            if steps[at].is_none() {
                steps[at] = Some(self.step(function, at, deep));
            }
            let (step, _) = steps[at].as_ref().expect("just computed");
            let total = d + step.cost;
            if step.exit && best.is_none_or(|(b, _)| total < b) {
                best = Some((total, at));
            }
            for &next in &step.next {
                if total < dist[next] {
                    dist[next] = total;
                    prev[next] = at;
                    heap.push(Reverse((total, next)));
                }
            }
        }
        self.active.remove(&(function, deep));
        let (_, mut at) = best?;
        let mut path = Vec::new();
        loop {
            let counts = steps[at].take().and_then(|(_, counts)| counts);
            path.push((at, counts));
            if at == 0 {
                break;
            }
            at = prev[at];
        }
        path.reverse();
        Some(path)
    }

    fn own_path(&mut self, function: usize) -> Option<Vec<usize>> {
        if let Some(known) = self.own.get(&function) {
            return known.clone();
        }
        if self.active.contains(&(function, false)) {
            // A recursive call: assume it returns.
            return Some(Vec::new());
        }
        let path = self.shortest(function, false).map(|p| p.into_iter().map(|(at, _)| at).collect());
        self.own.insert(function, path.clone());
        path
    }

    /// `function`'s fast path, its callees' fast paths counted in: the
    /// instructions on it, and its counts.
    fn route(&mut self, function: usize) -> Option<(Vec<usize>, PathCounts)> {
        if let Some(known) = self.deep.get(&function) {
            return known.clone();
        }
        let route = self.shortest(function, true).map(|path| {
            let mut counts = PathCounts::default();
            let mut route = Vec::with_capacity(path.len());
            for (at, call) in path {
                match call {
                    Some(call) => counts.add(&call),
                    None => counts.add(&self.own_counts_in(function, at)),
                }
                route.push(at);
            }
            (route, counts)
        });
        self.deep.insert(function, route.clone());
        route
    }

    fn deep_path(&mut self, function: usize) -> Option<PathCounts> {
        self.route(function).map(|(_, counts)| counts)
    }

    /// One instruction's counts, a call's callee named but not followed.
    fn own_counts(&self, instruction: &Instruction) -> PathCounts {
        let a = instruction.access;
        let mut counts = PathCounts {
            instructions: 1,
            loads: u64::from(a.load),
            stack_loads: u64::from(a.stack_load),
            acquire_loads: u64::from(a.acquire),
            stores: u64::from(a.store),
            stack_stores: u64::from(a.stack_store),
            release_stores: u64::from(a.release),
            rmw: u64::from(a.rmw),
            fences: u64::from(a.fence),
            ..PathCounts::default()
        };
        // A jump here leaves the function ([`Analysis::own_counts_in`]
        // takes the branches within it): a tail call.
        let target = match &instruction.flow {
            Flow::Call(target) | Flow::Jump { target, .. } => Some(target),
            _ => None,
        };
        if let Some(target) = target {
            let callee = self.binary.callee(target);
            counts.calls = 1;
            if is_outline_atomic(&callee.name) {
                counts.rmw = 1;
                counts.outline_rmw = 1;
            }
            // A call that never returns (a panic) is counted, not named.
            if !never_returns(&callee.name) {
                counts.add_callee(&shorten(&callee.name));
            }
        }
        counts
    }

    /// The counts of `function`'s fast path (chosen with its callees' own
    /// fast paths counted in, so a call to a slow path is not "short"):
    /// through the callees when `deep`, else its own instructions on it,
    /// with their mnemonics.
    fn fast(&mut self, function: usize, deep: bool) -> Option<PathCounts> {
        let (path, counts) = self.route(function)?;
        if deep {
            return Some(counts);
        }
        let f = &self.binary.functions[function];
        let mut counts = PathCounts::default();
        for at in path {
            let instruction = &f.instructions[at];
            counts.add(&self.own_counts_in(function, at));
            counts.mnemonics.push(instruction.mnemonic.clone());
        }
        Some(counts)
    }

    /// An instruction's counts in `function`: a jump inside it is a branch.
    fn own_counts_in(&self, function: usize, at: usize) -> PathCounts {
        let f = &self.binary.functions[function];
        let instruction = &f.instructions[at];
        if let Flow::Jump { target: Target::Direct(address, _), .. } = &instruction.flow
            && f.index_of(*address).is_some()
        {
            let mut plain = instruction.clone();
            plain.flow = Flow::Next;
            return self.own_counts(&plain);
        }
        self.own_counts(instruction)
    }

    /// The whole body of `function`.
    fn all(&self, function: usize) -> PathCounts {
        let mut counts = PathCounts::default();
        for at in 0..self.binary.functions[function].instructions.len() {
            counts.add(&self.own_counts_in(function, at));
        }
        counts
    }
}

/// Arguments of `procstore-instructions disasm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The disassembler, split on spaces (objdump, aarch64-linux-gnu-objdump)
    #[arg(long, value_name = "CMD", default_value = "objdump")]
    pub objdump: String,
    /// The probe binary (this program, possibly built for another architecture)
    #[arg(long, value_name = "BIN", required_unless_present = "merge")]
    pub binary: Option<PathBuf>,
    /// Its instruction set
    #[arg(long, value_name = "ARCH", required_unless_present = "merge")]
    pub arch: Option<Isa>,
    /// What the report calls this configuration (x86_64, aarch64, aarch64+lse)
    #[arg(long, value_name = "LABEL", required_unless_present = "merge")]
    pub label: Option<String>,
    /// The target triple BIN was built for (recorded)
    #[arg(long, value_name = "TRIPLE", default_value = "")]
    pub target: String,
    /// The RUSTFLAGS BIN was built with (recorded)
    #[arg(long, value_name = "FLAGS", default_value = "", allow_hyphen_values = true)]
    pub rustflags: String,
    /// The compiler that built BIN, `rustc -V` (recorded)
    #[arg(long, value_name = "VERSION", default_value = "")]
    pub rustc: String,
    /// The commit BIN was built from (recorded)
    #[arg(long, value_name = "COMMIT", default_value = "")]
    pub commit: String,
    /// Instead of disassembling, merge these files (each written by disasm)
    /// into FILE, their configurations in this order
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["binary", "arch", "label"])]
    pub merge: Vec<PathBuf>,
    /// Where to write the counts
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `disasm`: one configuration's counts, or a merge; returns what it wrote.
///
/// # Errors
///
/// objdump failing, a probe's symbol missing from the binary, files that
/// cannot be read, written or merged.
pub fn run(args: &Args) -> Result<String, String> {
    let instructions = if args.merge.is_empty() {
        let (Some(binary), Some(isa), Some(label)) = (&args.binary, args.arch, &args.label) else {
            return Err("--binary, --arch and --label are needed without --merge".to_owned());
        };
        let disassembled = Binary::disassemble(&args.objdump, isa, binary)?;
        let configuration = Configuration {
            label: label.clone(),
            arch: isa.name().to_owned(),
            target: args.target.clone(),
            rustflags: args.rustflags.clone(),
            objdump: args.objdump.clone(),
        };
        configuration_counts(&disassembled, configuration, &args.rustc, &args.commit)?
    } else {
        let mut parts = Vec::new();
        for path in &args.merge {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let part: Instructions =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            parts.push((path.display().to_string(), part));
        }
        merge(parts)?
    };
    let text = serde_json::to_string_pretty(&instructions).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text + "\n").map_err(|e| format!("{}: {e}", args.out.display()))?;
    let configurations: Vec<&str> = instructions.configurations.iter().map(|c| c.label.as_str()).collect();
    Ok(format!(
        "wrote {} ({} strategies, configurations {})",
        args.out.display(),
        instructions.strategies.len(),
        configurations.join(", ")
    ))
}

/// Every store probe's (and the leaky floor's) read and update in `binary`.
///
/// # Errors
///
/// A probe's symbol missing from the binary.
pub fn configuration_counts(
    binary: &Binary,
    configuration: Configuration,
    rustc: &str,
    commit: &str,
) -> Result<Instructions, String> {
    let label = configuration.label.clone();
    let probes: Vec<_> =
        probes::all().into_iter().filter(|p| matches!(p.kind, Kind::Read | Kind::Update)).collect();
    let symbols: Vec<&str> = probes.iter().map(|p| p.symbol).collect();
    let mut strategies: Vec<StrategyInstructions> = Vec::new();
    for (probe, counts) in probes.iter().zip(binary.counts_of(&symbols)) {
        let counts =
            counts.ok_or_else(|| format!("{}: no such function in the binary ({label})", probe.symbol))?;
        let index = match strategies.iter().position(|s| s.id == probe.strategy) {
            Some(index) => index,
            None => {
                strategies.push(StrategyInstructions {
                    id: probe.strategy.to_owned(),
                    read: Default::default(),
                    update: Default::default(),
                });
                strategies.len() - 1
            }
        };
        let paths = if probe.kind == Kind::Read {
            &mut strategies[index].read
        } else {
            &mut strategies[index].update
        };
        paths.insert(label.clone(), counts);
    }
    Ok(Instructions {
        schema_version: INSTRUCTIONS_SCHEMA,
        rustc: rustc.to_owned(),
        commit: commit.to_owned(),
        configurations: vec![configuration],
        strategies,
    })
}

/// One file from configurations written separately: they must come from
/// the same compiler and commit, each configuration once.
///
/// # Errors
///
/// Nothing to merge, or parts that disagree.
pub fn merge(parts: Vec<(String, Instructions)>) -> Result<Instructions, String> {
    let mut parts = parts.into_iter();
    let (_, mut merged) = parts.next().ok_or("nothing to merge")?;
    for (name, part) in parts {
        if part.schema_version != merged.schema_version {
            return Err(format!(
                "{name}: schema {}, the others {}",
                part.schema_version, merged.schema_version
            ));
        }
        for (field, theirs, ours) in
            [("rustc", &part.rustc, &merged.rustc), ("commit", &part.commit, &merged.commit)]
        {
            if theirs != ours {
                return Err(format!("{name}: {field} {theirs:?}, the others {ours:?}"));
            }
        }
        for configuration in part.configurations {
            if merged.configurations.iter().any(|c| c.label == configuration.label) {
                return Err(format!("{name}: configuration {:?} is already merged", configuration.label));
            }
            merged.configurations.push(configuration);
        }
        for strategy in part.strategies {
            match merged.strategies.iter_mut().find(|s| s.id == strategy.id) {
                Some(known) => {
                    known.read.extend(strategy.read);
                    known.update.extend(strategy.update);
                }
                None => merged.strategies.push(strategy),
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(isa: Isa, listing: &str, name: &str) -> FunctionCounts {
        Binary::parse(isa, listing, "").counts(name).expect("the function is listed")
    }

    const X86_LOAD: &str = "\
0000000000121750 <procstore_probe_read_leaky_atomic_ptr>:
  121750:\tmov    rax,QWORD PTR [rdi]
  121753:\tmov    rax,QWORD PTR [rax+0x30]
  121757:\tmovzx  eax,BYTE PTR [rax+0x6c]
  12175b:\tret
  12175c:\tint3
  12175d:\tnop    DWORD PTR [rax]
";

    #[test]
    fn x86_loads_and_a_return() {
        let c = counts(Isa::X86_64, X86_LOAD, "procstore_probe_read_leaky_atomic_ptr");
        let fast = c.fast.expect("it returns");
        assert_eq!(fast.mnemonics, ["mov", "mov", "movzx", "ret"]);
        assert_eq!(
            (fast.instructions, fast.loads, fast.stores, fast.rmw, fast.fences, fast.calls),
            (4, 3, 0, 0, 0, 0)
        );
        // The padding after the ret is not the function's.
        assert_eq!(c.all.instructions, 4);
        assert_eq!(c.fast_with_callees.unwrap().instructions, 4);
    }

    const X86_CAS_LOOP: &str = "\
0000000000001000 <lock>:
    1000:\tpush   rbx
    1001:\tmov    QWORD PTR [rsp-0x8],rdi
    1005:\tmov    rax,QWORD PTR [rdi]
    1008:\tlea    rcx,[rax+0x1]
    100c:\tlock cmpxchg QWORD PTR [rdi],rcx
    1011:\tjne    1008 <lock+0x8>
    1013:\tcmp    BYTE PTR [rdi+0x8],0x0
    1017:\tadd    QWORD PTR [rdi+0x10],0x1
    101c:\txchg   DWORD PTR [rdi+0x4],ecx
    1020:\tmfence
    1023:\tlock or DWORD PTR [rsp-0x40],0x0
    1029:\tpop    rbx
    102a:\tret
";

    #[test]
    fn x86_a_cas_loop_is_one_rmw_on_the_fast_path() {
        let c = counts(Isa::X86_64, X86_CAS_LOOP, "lock");
        let fast = c.fast.unwrap();
        // The back edge is not taken: each instruction once.
        assert_eq!(fast.instructions, 13);
        assert_eq!(fast.rmw, 2, "lock cmpxchg and xchg with memory");
        assert_eq!(fast.fences, 2, "mfence and lock or [rsp], 0");
        // mov [rsp-8] and push; add [mem] writes too.
        assert_eq!((fast.stores, fast.stack_stores), (3, 2));
        // mov [rdi], cmp [mem], add [mem], pop; lea reads nothing.
        assert_eq!((fast.loads, fast.stack_loads), (4, 1));
        assert!(fast.mnemonics.contains(&"lock cmpxchg".to_owned()));
        assert_eq!(c.all, PathCounts { mnemonics: Vec::new(), ..fast });
    }

    const X86_CALLS: &str = "\
0000000000002000 <read>:
    2000:\tmov    rax,QWORD PTR [rdi]
    2003:\tcmp    rax,QWORD PTR [rsi]
    2006:\tje     2018 <read+0x18>
    2008:\tcall   3000 <arc_swap::debt::list::LocalNode::with>
    200d:\tcall   QWORD PTR [rip+0x100]        # 4000 <_DYNAMIC+0x10>
    2013:\tjmp    2018 <read+0x18>
    2018:\tmovzx  eax,BYTE PTR [rax+0x7c]
    201c:\ttest   rax,rax
    201f:\tje     2030 <read+0x30>
    2021:\tjmp    3010 <procstore_atomic::store::cas_update>
    2030:\tcall   QWORD PTR [rip+0x200]        # 4008 <_DYNAMIC+0x18>
    2036:\tud2
    2038:\tcall   3020 <_Unwind_Resume@plt>

0000000000003000 <arc_swap::debt::list::LocalNode::with>:
    3000:\tlock inc QWORD PTR [rdi]
    3004:\tret

0000000000003010 <procstore_atomic::store::cas_update>:
    3010:\tlock or DWORD PTR [rsp-0x40],0x0
    3016:\tret

0000000000003020 <_Unwind_Resume@plt>:
    3020:\tjmp    QWORD PTR [rip+0x300]        # 5000 <_GLOBAL_OFFSET_TABLE_+0x10>

0000000000003030 <core::panicking::panic_fmt>:
    3030:\tcall   3040 <std::panicking::begin_panic_handler>
    3035:\tud2
";

    const X86_RELOCATIONS: &str = "\
OFFSET           TYPE              VALUE
0000000000004000 R_X86_64_RELATIVE  *ABS*+0x0000000000003000
0000000000004008 R_X86_64_RELATIVE  *ABS*+0x0000000000003030
";

    #[test]
    fn x86_the_shortest_path_skips_a_call_and_ends_in_a_tail_call() {
        let binary = Binary::parse(Isa::X86_64, X86_CALLS, X86_RELOCATIONS);
        let c = binary.counts("read").unwrap();
        let fast = c.fast.unwrap();
        // mov, cmp, je, movzx, test, je (not taken), jmp cas_update: the
        // panic path (je taken) does not return.
        assert_eq!(fast.mnemonics, ["mov", "cmp", "je", "movzx", "test", "je", "jmp"]);
        assert_eq!((fast.loads, fast.calls, fast.fences), (3, 1, 0));
        assert_eq!(fast.callees, ["store::cas_update"]);
        // Through the callee: its fence and its ret.
        let deep = c.fast_with_callees.unwrap();
        assert_eq!((deep.instructions, deep.fences, deep.calls), (9, 1, 1));
        // The whole body: both calls to LocalNode::with (direct and through
        // the GOT), the tail call, the panic and the unwind counted; the
        // panic and the unwind not named.
        assert_eq!(c.all.instructions, 13);
        assert_eq!(c.all.calls, 5);
        assert_eq!(c.all.callees, ["LocalNode::with", "store::cas_update"]);
    }

    const X86_CONTENDED: &str = "\
0000000000006000 <lock>:
    6000:\tmov    eax,0x0
    6005:\tlock cmpxchg DWORD PTR [rdi],ecx
    6009:\tjne    6020 <lock+0x20>
    600b:\tmov    rax,QWORD PTR [rdi+0x8]
    600f:\tmovzx  eax,BYTE PTR [rax+0x10]
    6013:\txchg   DWORD PTR [rdi],ecx
    6015:\tret
    6020:\tcall   7000 <std::sys::sync::mutex::futex::Mutex::lock_contended>
    6025:\tret

0000000000007000 <std::sys::sync::mutex::futex::Mutex::lock_contended>:
    7000:\tpause
    7002:\tmov    eax,DWORD PTR [rdi]
    7004:\ttest   eax,eax
    7006:\tjne    7000 <std::sys::sync::mutex::futex::Mutex::lock_contended>
    7008:\tlock cmpxchg DWORD PTR [rdi],ecx
    700c:\tret
";

    #[test]
    fn x86_a_call_to_a_slow_path_weighs_its_callee() {
        let c = counts(Isa::X86_64, X86_CONTENDED, "lock");
        let fast = c.fast.unwrap();
        // Through the call is 5 instructions, 10 with the callee's own: the
        // uncontended acquire and release (7) is the fast path.
        assert_eq!(fast.mnemonics, ["mov", "lock cmpxchg", "jne", "mov", "movzx", "xchg", "ret"]);
        assert_eq!((fast.rmw, fast.loads, fast.calls), (2, 2, 0));
        assert_eq!(c.all.callees, ["Mutex::lock_contended"]);
        assert_eq!((c.all.instructions, c.all.calls), (9, 1));
    }

    #[test]
    fn x86_a_call_through_a_register_loaded_from_the_got_is_named() {
        let listing = format!(
            "{X86_CALLS}\n\
0000000000008000 <retry>:
    8000:\tmov    r12,QWORD PTR [rip+0x100]        # 4000 <_DYNAMIC+0x10>
    8007:\tcall   r12
    800a:\tmov    r12d,0x1
    8010:\tcall   r12
    8013:\tret
"
        );
        let c = Binary::parse(Isa::X86_64, &listing, X86_RELOCATIONS).counts("retry").unwrap();
        assert_eq!(c.all.callees, ["LocalNode::with", "<indirect>"]);
        // Followed like any call into the binary: its lock inc is counted.
        assert_eq!(c.fast_with_callees.unwrap().rmw, 1);
    }

    #[test]
    fn a_merged_function_is_found_by_its_alias_address() {
        let symbols = "\
SYMBOL TABLE:
0000000000121750 g     F .text\t0000000000000010 procstore_probe_read_leaky_atomic_ptr
0000000000121750 g     F .text\t0000000000000010 procstore_probe_read_an_alias
";
        let binary = Binary::parse(Isa::X86_64, X86_LOAD, "");
        assert!(binary.counts("procstore_probe_read_an_alias").is_none());
        let binary = binary.with_symbols(symbols);
        let c = binary.counts("procstore_probe_read_an_alias").unwrap();
        assert_eq!(c.symbol, "procstore_probe_read_an_alias");
        assert_eq!(c.fast.unwrap().instructions, 4);
    }

    #[test]
    fn a_probe_that_is_one_tail_call_counts_the_function_it_jumps_to() {
        let listing = "\
0000000000121740 <procstore_probe_update_tail>:
  121740:\tjmp    121750 <procstore_probe_read_leaky_atomic_ptr>
  121745:\tint3
"
        .to_owned()
            + X86_LOAD;
        let c = counts(Isa::X86_64, &listing, "procstore_probe_update_tail");
        assert_eq!(c.symbol, "procstore_probe_update_tail");
        assert_eq!((c.fast.unwrap().instructions, c.all.instructions), (4, 4));
    }

    const A64_LOAD: &str = "\
00000000000862f0 <procstore_probe_read_leaky_atomic_ptr>:
   862f0:\tldr\tx8, [x0]
   862f4:\tadd\tx8, x8, #0x30
   862f8:\tldar\tx8, [x8]
   862fc:\tldrb\tw0, [x8, #108]
   86300:\tret
   86304:\tudf\t#0
";

    #[test]
    fn aarch64_an_acquire_load_and_a_return() {
        let c = counts(Isa::Aarch64, A64_LOAD, "procstore_probe_read_leaky_atomic_ptr");
        let fast = c.fast.unwrap();
        assert_eq!(fast.mnemonics, ["ldr", "add", "ldar", "ldrb", "ret"]);
        assert_eq!(
            (fast.instructions, fast.loads, fast.acquire_loads, fast.rmw, fast.fences),
            (5, 3, 1, 0, 0)
        );
        assert_eq!(c.all.instructions, 5);
    }

    const A64_EXCLUSIVE: &str = "\
0000000000010000 <swap>:
   10000:\tstp\tx29, x30, [sp, #-16]!
   10004:\tldaxr\tx8, [x0]
   10008:\tcmp\tx8, x1
   1000c:\tb.ne\t1001c <swap+0x1c>  // b.any
   10010:\tstlxr\tw9, x2, [x0]
   10014:\tcbnz\tw9, 10004 <swap+0x4>
   10018:\tb\t10020 <swap+0x20>
   1001c:\tclrex
   10020:\tdmb\tish
   10024:\tstlr\txzr, [x0, #8]
   10028:\tldp\tx29, x30, [sp], #16
   1002c:\tret
";

    #[test]
    fn aarch64_an_exclusive_pair_is_one_rmw_and_its_retry_is_off_the_fast_path() {
        let c = counts(Isa::Aarch64, A64_EXCLUSIVE, "swap");
        let fast = c.fast.unwrap();
        // The compare fails: ldaxr, cmp, b.ne, clrex, then the rest.
        assert_eq!(fast.mnemonics, ["stp", "ldaxr", "cmp", "b.ne", "clrex", "dmb", "stlr", "ldp", "ret"]);
        assert_eq!((fast.loads, fast.stack_loads, fast.acquire_loads), (2, 1, 1));
        assert_eq!((fast.stores, fast.stack_stores, fast.release_stores), (2, 1, 1));
        assert_eq!((fast.rmw, fast.fences), (0, 1));
        // The exchange itself is on the other path: one RMW for the pair.
        assert_eq!((c.all.rmw, c.all.loads, c.all.instructions), (1, 2, 12));
    }

    const A64_LSE: &str = "\
0000000000020000 <update>:
   20000:\tmov\tx8, x0
   20004:\tcasal\tx1, x2, [x8]
   20008:\tldaddal\tx3, x4, [x8]
   2000c:\tswpal\tx3, x4, [x8]
   20010:\tstaddl\tx3, [x8]
   20014:\tldapr\tx5, [x8]
   20018:\tret
";

    #[test]
    fn aarch64_lse_atomics_are_rmws_not_loads() {
        let fast = counts(Isa::Aarch64, A64_LSE, "update").fast.unwrap();
        assert_eq!((fast.rmw, fast.loads, fast.acquire_loads, fast.stores), (4, 1, 1, 0));
        assert_eq!(fast.calls, 0);
    }

    const A64_OUTLINE: &str = "\
0000000000030000 <read>:
   30000:\tstp\tx29, x30, [sp, #-16]!
   30004:\tmov\tw0, #0x1                   \t// #1
   30008:\tbl\t40000 <__aarch64_cas8_acq_rel>
   3000c:\tcbz\tx0, 30018 <read+0x18>
   30010:\tbl\t40100 <alloc::sync::Arc<T,A>::drop_slow>
   30014:\tb\t30018 <read+0x18>
   30018:\tldp\tx29, x30, [sp], #16
   3001c:\tb\t40200 <core::panicking::panic>

0000000000040000 <__aarch64_cas8_acq_rel>:
   40000:\tadrp\tx16, 50000 <__aarch64_have_lse_atomics>
   40004:\tldrb\tw16, [x16]
   40008:\tcbz\tw16, 40014 <__aarch64_cas8_acq_rel+0x14>
   4000c:\tcasal\tx0, x1, [x2]
   40010:\tret
   40014:\tldaxr\tx16, [x2]
   40018:\tret

0000000000040100 <alloc::sync::Arc<T,A>::drop_slow>:
   40100:\tret
";

    #[test]
    fn aarch64_an_outline_atomic_is_a_call_and_an_rmw() {
        let c = counts(Isa::Aarch64, A64_OUTLINE, "read");
        // The only exit is a tail call to a panic: nothing returns.
        assert!(c.fast.is_none() && c.fast_with_callees.is_none());
        assert_eq!((c.all.calls, c.all.rmw, c.all.outline_rmw), (3, 1, 1));
        assert_eq!(c.all.callees, ["__aarch64_cas8_acq_rel", "Arc<T,A>::drop_slow"]);

        let returning = A64_OUTLINE.replace("b\t40200 <core::panicking::panic>", "ret");
        let c = counts(Isa::Aarch64, &returning, "read");
        let fast = c.fast.unwrap();
        // The helper is not followed (its casal or its ldaxr loop is the
        // CPU's choice): one call, one RMW.
        assert_eq!(fast.mnemonics, ["stp", "mov", "bl", "cbz", "ldp", "ret"]);
        assert_eq!((fast.calls, fast.rmw, fast.outline_rmw), (1, 1, 1));
        assert_eq!(c.fast_with_callees.unwrap(), PathCounts { mnemonics: Vec::new(), ..fast });
    }

    #[test]
    fn names_are_shortened() {
        assert_eq!(shorten("arc_swap::debt::list::LocalNode::with"), "LocalNode::with");
        assert_eq!(
            shorten(
                "core::ptr::drop_in_place<arc_swap::strategy::hybrid::HybridProtection<alloc::sync::Arc<procstore_core::state::ProcessState>>>"
            ),
            "ptr::drop_in_place<HybridProtection<Arc<ProcessState>>>"
        );
        assert_eq!(shorten("alloc::sync::Arc<T,A>::drop_slow"), "Arc<T,A>::drop_slow");
        assert_eq!(
            shorten("<std::sync::poison::mutex::Mutex<T> as procstore_mutex::lock::Lock<T>>::write"),
            "<Mutex<T> as Lock<T>>::write"
        );
        assert_eq!(shorten("_Unwind_Resume@plt"), "_Unwind_Resume");
        assert_eq!(shorten("__aarch64_cas8_acq_rel"), "__aarch64_cas8_acq_rel");
        assert_eq!(shorten("std::sys::foo::h0123456789abcdef"), "sys::foo");
    }

    #[test]
    fn panics_never_return() {
        for name in [
            "core::panicking::panic_fmt",
            "core::option::unwrap_failed",
            "core::slice::index::slice_end_index_len_fail",
            "_Unwind_Resume@plt",
            "std::panicking::begin_panic<&str>",
        ] {
            assert!(never_returns(name), "{name}");
        }
        for name in ["std::panicking::panic_count::is_zero_slow_path", "std::thread::panicking", "malloc"] {
            assert!(!never_returns(name), "{name}");
        }
    }

    #[test]
    fn merging_keeps_the_order_and_refuses_a_second_copy() {
        let part = |label: &str| {
            let binary = Binary::parse(Isa::X86_64, X86_LOAD, "");
            let mut doc = Instructions {
                schema_version: INSTRUCTIONS_SCHEMA,
                rustc: "rustc".to_owned(),
                commit: "abc".to_owned(),
                configurations: vec![Configuration {
                    label: label.to_owned(),
                    arch: "x86_64".to_owned(),
                    target: String::new(),
                    rustflags: String::new(),
                    objdump: "objdump".to_owned(),
                }],
                strategies: Vec::new(),
            };
            let counts = binary.counts("procstore_probe_read_leaky_atomic_ptr").unwrap();
            doc.strategies.push(StrategyInstructions {
                id: "leaky-atomic-ptr".to_owned(),
                read: [(label.to_owned(), counts)].into(),
                update: Default::default(),
            });
            (label.to_owned(), doc)
        };
        let merged = merge(vec![part("b"), part("a")]).unwrap();
        let labels: Vec<&str> = merged.configurations.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["b", "a"]);
        assert_eq!(merged.strategies.len(), 1);
        assert_eq!(merged.strategies[0].read.len(), 2);
        assert!(merge(vec![part("a"), part("a")]).unwrap_err().contains("already merged"));
        let (_, mut other) = part("c");
        other.commit = "def".to_owned();
        assert!(merge(vec![part("a"), ("c".to_owned(), other)]).unwrap_err().contains("commit"));
    }
}
