//! The binary's config file (`--config FILE`): the children, their commands
//! and restart policies in TOML. Every error names the file, the line and
//! the field, since a config is fixed in an editor, not by trial and error.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use procstore_supervisor::{ChildSpec, Config, Policy, Restart};
use toml_edit::{ArrayOfTables, Document, Item, TableLike, Value};

/// The keys of the top level.
const TOP_KEYS: [&str; 3] = ["stop_grace_ms", "policy", "child"];

/// A child's own keys; it may also override any of [`POLICY_KEYS`].
const CHILD_KEYS: [&str; 4] = ["name", "command", "dir", "env"];

/// How a policy key sets its field of the policy.
type SetPolicy = fn(&mut Policy, &Entry<'_>) -> Result<(), Fault>;

/// The restart policy's keys (named as the command line's flags), in
/// `[policy]` and in each `[[child]]`.
const POLICY_KEYS: [(&str, SetPolicy); 5] = [
    ("restart", |policy, entry| {
        policy.restart = entry.restart()?;
        Ok(())
    }),
    ("backoff_ms", |policy, entry| {
        policy.initial_backoff = entry.millis()?;
        Ok(())
    }),
    ("max_backoff_ms", |policy, entry| {
        policy.max_backoff = entry.millis()?;
        Ok(())
    }),
    ("stable_after_ms", |policy, entry| {
        policy.stable_after = entry.millis()?;
        Ok(())
    }),
    ("give_up_after", |policy, entry| {
        // 0 never gives up, as `--give-up-after 0` does.
        policy.give_up_after = Some(entry.count()?).filter(|&count| count > 0);
        Ok(())
    }),
];

/// The longest duration a file may give, in ms: the `--duration` limit, far
/// below where adding it to an `Instant` overflows.
const MAX_MS: u64 = crate::MAX_DURATION_SECS as u64 * 1000;

/// Why a config file was refused: `PATH:LINE: FIELD: what is wrong`, or
/// `PATH: why` for a file that could not be read.
#[derive(Debug)]
pub(crate) struct ConfigError {
    path: PathBuf,
    line: Option<usize>,
    message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The config in the file at `path`.
pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_owned(),
        line: None,
        message: error.to_string(),
    })?;
    parse(&text, path)
}

/// The config that `text`, read from `path`, describes.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let lines = Lines(text);
    let document = Document::parse(text).map_err(|error| ConfigError {
        path: path.to_owned(),
        line: error.span().map(|span| lines.number(span.start)),
        message: format!("invalid TOML: {}", error.message()),
    })?;
    let root = Section { table: document.as_table(), name: String::new(), line: 1, lines };
    config(&root).map_err(|fault| ConfigError {
        path: path.to_owned(),
        line: Some(fault.line),
        message: format!("{}: {}", fault.field, fault.problem),
    })
}

/// What is wrong with one field, before the file's path is added.
#[derive(Debug)]
struct Fault {
    line: usize,
    field: String,
    problem: String,
}

fn config(root: &Section<'_>) -> Result<Config, Fault> {
    root.check_keys(&TOP_KEYS)?;
    let stop_grace = root.get("stop_grace_ms").map(|entry| entry.millis()).transpose()?;
    let policy = default_policy(root)?;
    let mut config = Config::new(children(root, policy)?);
    config.policy = policy;
    if let Some(stop_grace) = stop_grace {
        config.stop_grace = stop_grace;
    }
    Ok(config)
}

/// The `[policy]` table's policy: the library's default with its keys.
fn default_policy(root: &Section<'_>) -> Result<Policy, Fault> {
    let Some(entry) = root.get("policy") else { return Ok(Policy::default()) };
    let section = entry.section()?;
    section.check_keys(&policy_key_names().collect::<Vec<_>>())?;
    Ok(overridden_policy(&section, Policy::default())?.unwrap_or_default())
}

fn policy_key_names() -> impl Iterator<Item = &'static str> {
    POLICY_KEYS.iter().map(|(key, _)| *key)
}

/// `base` with the policy keys that `section` sets, checked; `None` if it
/// sets none.
fn overridden_policy(section: &Section<'_>, base: Policy) -> Result<Option<Policy>, Fault> {
    let mut policy = base;
    let mut overridden = false;
    for (key, set) in POLICY_KEYS {
        if let Some(entry) = section.get(key) {
            set(&mut policy, &entry)?;
            overridden = true;
        }
    }
    if !overridden {
        return Ok(None);
    }
    policy.validate().map_err(|problem| section.fault(problem))?;
    Ok(Some(policy))
}

/// The `[[child]]` tables' children, each under `policy` unless it overrides it.
fn children(root: &Section<'_>, policy: Policy) -> Result<Vec<ChildSpec>, Fault> {
    let entry = root
        .get("child")
        .ok_or_else(|| root.missing("child", "a config needs at least one child: add a [[child]] table"))?;
    let tables = entry.node.tables().ok_or_else(|| entry.wrong_type("[[child]] tables"))?;
    // Each name, with the line that first gave it.
    let mut names = HashMap::new();
    tables
        .iter()
        .enumerate()
        .map(|(i, table)| {
            let section = Section {
                table,
                name: format!("child[{i}]"),
                line: root.lines.of(table.span()),
                lines: root.lines,
            };
            child(&section, policy, &mut names)
        })
        .collect()
}

fn child(
    section: &Section<'_>,
    policy: Policy,
    names: &mut HashMap<String, usize>,
) -> Result<ChildSpec, Fault> {
    section.check_keys(&CHILD_KEYS.into_iter().chain(policy_key_names()).collect::<Vec<_>>())?;
    let name = unique_name(&section.require("name")?, names)?;
    let dir = section.get("dir").map(|entry| directory(&entry)).transpose()?;
    let (program, args) = command(&section.require("command")?, dir.as_deref())?;
    let env = section.get("env").map(|entry| environment(&entry)).transpose()?.unwrap_or_default();
    let policy = overridden_policy(section, policy)?;
    Ok(ChildSpec { dir, env, policy, ..ChildSpec::new(name, program, args) })
}

/// A non-blank name that no earlier child has; records it in `names`.
fn unique_name(entry: &Entry<'_>, names: &mut HashMap<String, usize>) -> Result<String, Fault> {
    let name = entry.string()?;
    if name.trim().is_empty() {
        return Err(entry.fault("must not be empty or blank"));
    }
    if let Some(first) = names.insert(name.to_owned(), entry.line) {
        return Err(entry.fault(format!("`{name}` is already the name of the child on line {first}")));
    }
    Ok(name.to_owned())
}

/// An existing directory.
fn directory(entry: &Entry<'_>) -> Result<PathBuf, Fault> {
    let dir = PathBuf::from(entry.string()?);
    match dir.metadata() {
        Ok(metadata) if metadata.is_dir() => Ok(dir),
        Ok(_) => Err(entry.fault(format!("`{}` is not a directory", dir.display()))),
        Err(error) => Err(entry.fault(format!("cannot use `{}`: {error}", dir.display()))),
    }
}

/// The program and its arguments; the program must be runnable from `dir`,
/// so a typo fails at once instead of as a crash loop.
fn command(entry: &Entry<'_>, dir: Option<&Path>) -> Result<(OsString, Vec<OsString>), Fault> {
    let words = entry.elements("an array of strings")?;
    let Some((program, args)) = words.split_first() else {
        return Err(entry.fault("must not be empty: name the program to run"));
    };
    let name = program.string()?;
    if !crate::is_runnable(&as_seen_from(dir, name)) {
        return Err(program.fault(format!("command not found: {name}")));
    }
    let args = args.iter().map(|arg| arg.string().map(OsString::from)).collect::<Result<_, _>>()?;
    Ok((name.into(), args))
}

/// `program` as the child's exec finds it: a path with a slash is relative
/// to the child's own directory; a bare name is looked up on `PATH`.
fn as_seen_from(dir: Option<&Path>, program: &str) -> OsString {
    match dir {
        Some(dir) if program.contains('/') => dir.join(program).into_os_string(),
        _ => program.into(),
    }
}

/// The `env` table's variables, in file order.
fn environment(entry: &Entry<'_>) -> Result<Vec<(OsString, OsString)>, Fault> {
    let section = entry.section()?;
    section
        .entries()
        .map(|(name, value)| {
            // The environment block is `NAME=value` C strings.
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(value.fault(format!("`{name}` cannot be an environment variable's name")));
            }
            Ok((name.into(), value.string()?.into()))
        })
        .collect()
}

/// Turns byte offsets in the file into 1-based line numbers.
#[derive(Clone, Copy)]
struct Lines<'t>(&'t str);

impl Lines<'_> {
    fn number(self, offset: usize) -> usize {
        let before = self.0.as_bytes().get(..offset).unwrap_or(self.0.as_bytes());
        before.iter().filter(|&&byte| byte == b'\n').count() + 1
    }

    /// The line where `span` starts. A parsed document spans every key and
    /// value; line 1 stands in for a table without a span (the top level).
    fn of(self, span: Option<Range<usize>>) -> usize {
        span.map_or(1, |span| self.number(span.start))
    }
}

/// A table of the file, with what its errors need.
struct Section<'d> {
    table: &'d dyn TableLike,
    /// Its dotted name in messages: `policy`, `child[1]`, empty at the top level.
    name: String,
    /// The line of its header (or of its key, for an inline table).
    line: usize,
    lines: Lines<'d>,
}

impl<'d> Section<'d> {
    fn field(&self, key: &str) -> String {
        if self.name.is_empty() { key.to_owned() } else { format!("{}.{key}", self.name) }
    }

    /// A fault of the table as a whole.
    fn fault(&self, problem: impl Into<String>) -> Fault {
        Fault { line: self.line, field: self.name.clone(), problem: problem.into() }
    }

    /// The fault of a missing `key`, at the line of the table that lacks it.
    fn missing(&self, key: &str, problem: &str) -> Fault {
        Fault { line: self.line, field: self.field(key), problem: problem.to_owned() }
    }

    fn get(&self, key: &str) -> Option<Entry<'d>> {
        let (name, item) = self.table.get_key_value(key)?;
        Some(Entry {
            node: Node::Keyed(item),
            field: self.field(key),
            line: self.lines.of(item.span().or_else(|| name.span())),
            lines: self.lines,
        })
    }

    fn require(&self, key: &str) -> Result<Entry<'d>, Fault> {
        self.get(key).ok_or_else(|| self.missing(key, "missing (required)"))
    }

    /// Every key, in file order, with its value.
    fn entries(&self) -> impl Iterator<Item = (&'d str, Entry<'d>)> {
        self.table.iter().filter_map(|(key, _)| Some((key, self.get(key)?)))
    }

    /// Refuses a key outside `allowed`, which is most likely a typo.
    fn check_keys(&self, allowed: &[&str]) -> Result<(), Fault> {
        match self.entries().find(|(key, _)| !allowed.contains(key)) {
            Some((_, entry)) => Err(entry.fault(format!("unknown key (allowed: {})", allowed.join(", ")))),
            None => Ok(()),
        }
    }
}

/// A value in the file: under a key, or in an array.
#[derive(Clone, Copy)]
enum Node<'d> {
    Keyed(&'d Item),
    Element(&'d Value),
}

impl<'d> Node<'d> {
    fn value(self) -> Option<&'d Value> {
        match self {
            Node::Keyed(item) => item.as_value(),
            Node::Element(value) => Some(value),
        }
    }

    fn table(self) -> Option<&'d dyn TableLike> {
        match self {
            Node::Keyed(item) => item.as_table_like(),
            Node::Element(value) => value.as_inline_table().map(|table| table as &dyn TableLike),
        }
    }

    /// `[[name]]` tables; an array's element never is one.
    fn tables(self) -> Option<&'d ArrayOfTables> {
        match self {
            Node::Keyed(item) => item.as_array_of_tables(),
            Node::Element(_) => None,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Node::Keyed(item) => item.type_name(),
            Node::Element(value) => value.type_name(),
        }
    }
}

/// One value of the file, with what its errors need.
struct Entry<'d> {
    node: Node<'d>,
    /// Its dotted name in messages: `child[1].backoff_ms`, `child[0].command[2]`.
    field: String,
    line: usize,
    lines: Lines<'d>,
}

impl<'d> Entry<'d> {
    fn fault(&self, problem: impl Into<String>) -> Fault {
        Fault { line: self.line, field: self.field.clone(), problem: problem.into() }
    }

    fn wrong_type(&self, expected: &str) -> Fault {
        let found = self.node.type_name();
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        self.fault(format!("expected {expected}, found {article} {found}"))
    }

    /// A string that a command, path or variable can hold: no NUL.
    fn string(&self) -> Result<&'d str, Fault> {
        let text = self.node.value().and_then(Value::as_str).ok_or_else(|| self.wrong_type("a string"))?;
        if text.contains('\0') {
            return Err(self.fault("must not contain a NUL character"));
        }
        Ok(text)
    }

    fn integer(&self) -> Result<i64, Fault> {
        self.node.value().and_then(Value::as_integer).ok_or_else(|| self.wrong_type("an integer"))
    }

    fn millis(&self) -> Result<Duration, Fault> {
        let value = self.integer()?;
        match u64::try_from(value) {
            Ok(ms) if ms <= MAX_MS => Ok(Duration::from_millis(ms)),
            _ => Err(self.fault(format!("must be between 0 and {MAX_MS} (a year), found {value}"))),
        }
    }

    fn count(&self) -> Result<u32, Fault> {
        let value = self.integer()?;
        u32::try_from(value)
            .map_err(|_| self.fault(format!("must be between 0 and {}, found {value}", u32::MAX)))
    }

    fn restart(&self) -> Result<Restart, Fault> {
        self.string()?.parse().map_err(|problem: String| self.fault(problem))
    }

    /// The array's elements; `expected` says what the array should be.
    fn elements(&self, expected: &str) -> Result<Vec<Entry<'d>>, Fault> {
        let array = self.node.value().and_then(Value::as_array).ok_or_else(|| self.wrong_type(expected))?;
        let element = |(i, value): (usize, &'d Value)| Entry {
            node: Node::Element(value),
            field: format!("{}[{i}]", self.field),
            line: self.lines.of(value.span()),
            lines: self.lines,
        };
        Ok(array.iter().enumerate().map(element).collect())
    }

    fn section(&self) -> Result<Section<'d>, Fault> {
        let table = self.node.table().ok_or_else(|| self.wrong_type("a table"))?;
        Ok(Section { table, name: self.field.clone(), line: self.line, lines: self.lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A child that every rejection test can start from.
    const SLEEPER: &str = "[[child]]\nname = \"sleeper\"\ncommand = [\"sleep\", \"30\"]\n";

    fn parsed(text: &str) -> Config {
        parse(text, Path::new("test.toml")).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Checks that `text` is refused with `test.toml:LINE: FIELD: ...problem...`.
    fn assert_refused(text: &str, line: usize, field: &str, problem: &str) {
        let message = refusal(text);
        let prefix = format!("test.toml:{line}: {field}: ");
        assert!(message.starts_with(&prefix), "{message:?} does not start with {prefix:?}");
        assert!(message.contains(problem), "{message:?} does not say {problem:?}");
    }

    /// Why `text` is refused.
    fn refusal(text: &str) -> String {
        match parse(text, Path::new("test.toml")) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_good_file_sets_every_field() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let config = parsed(&format!(
            r#"# defaults
stop_grace_ms = 750
[policy]
restart = "on-failure"
backoff_ms = 50
max_backoff_ms = 400
stable_after_ms = 300
give_up_after = 3

[[child]]
name = "web"
command = ["sleep", "30"]
dir = "{dir}"
env = {{ PORT = "8000", MODE = "test" }}
restart = "always"
backoff_ms = 200
give_up_after = 0

[[child]]
name = "shell"
command = ["sh", "-c", "sleep 30"]
[child.env]
GREETING = "hello there"
"#
        ));
        let default = Policy {
            restart: Restart::OnFailure,
            initial_backoff: 50 * MS,
            max_backoff: 400 * MS,
            stable_after: 300 * MS,
            give_up_after: Some(3),
        };
        assert_eq!(config.stop_grace, 750 * MS);
        assert_eq!(config.policy, default);
        let [web, shell] = &config.children[..] else { panic!("{:?}", config.children) };
        assert_eq!(web.name, "web");
        assert_eq!(web.program, "sleep");
        assert_eq!(web.args, ["30"]);
        assert_eq!(web.dir.as_deref(), Some(Path::new(dir)));
        assert_eq!(web.env, [("PORT".into(), "8000".into()), ("MODE".into(), "test".into())]);
        assert_eq!(
            web.policy,
            Some(Policy {
                restart: Restart::Always,
                initial_backoff: 200 * MS,
                give_up_after: None,
                ..default
            })
        );
        assert_eq!(shell.name, "shell");
        assert_eq!(shell.program, "sh");
        assert_eq!(shell.args, ["-c", "sleep 30"]);
        assert_eq!(shell.dir, None);
        assert_eq!(shell.env, [("GREETING".into(), "hello there".into())]);
        assert_eq!(shell.policy, None, "no override: the default policy");
    }

    #[test]
    fn a_file_of_children_alone_takes_the_library_defaults() {
        let config = parsed(SLEEPER);
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.stop_grace, Config::new(Vec::new()).stop_grace);
        assert_eq!(config.children.len(), 1);
    }

    #[test]
    fn a_program_with_a_slash_is_found_from_the_childs_directory() {
        let config = parsed("[[child]]\nname = \"a\"\ncommand = [\"./sh\"]\ndir = \"/bin\"\n");
        assert_eq!(config.children[0].program, "./sh");
    }

    #[test]
    fn unknown_keys_are_named_with_the_allowed_ones() {
        assert_refused(
            &format!("stop_grace = 1\n{SLEEPER}"),
            1,
            "stop_grace",
            "unknown key (allowed: stop_grace_ms, policy, child)",
        );
        assert_refused(
            &format!("[policy]\nrestart = \"never\"\nbackof_ms = 5\n{SLEEPER}"),
            3,
            "policy.backof_ms",
            "unknown key (allowed: restart, backoff_ms, max_backoff_ms, stable_after_ms, give_up_after)",
        );
        assert_refused(
            &format!("{SLEEPER}\n[[child]]\nname = \"b\"\ncommand = [\"sleep\"]\ncwd = \"/\"\n"),
            8,
            "child[1].cwd",
            "(allowed: name, command, dir, env, restart, backoff_ms,",
        );
    }

    #[test]
    fn wrong_types_say_what_was_expected_and_found() {
        assert_refused(
            "[[child]]\nname = 7\ncommand = [\"sleep\"]\n",
            2,
            "child[0].name",
            "expected a string, found an integer",
        );
        assert_refused(
            "[[child]]\nname = \"a\"\ncommand = \"sleep 30\"\n",
            3,
            "child[0].command",
            "expected an array of strings, found a string",
        );
        assert_refused(
            "[[child]]\nname = \"a\"\ncommand = [\"sleep\",\n  30]\n",
            4,
            "child[0].command[1]",
            "expected a string, found an integer",
        );
        assert_refused(
            &format!("{SLEEPER}env = {{ PORT = 8000 }}\n"),
            4,
            "child[0].env.PORT",
            "expected a string, found an integer",
        );
        assert_refused(
            &format!("{SLEEPER}backoff_ms = 1.5\n"),
            4,
            "child[0].backoff_ms",
            "expected an integer, found a float",
        );
        assert_refused(&format!("policy = 3\n{SLEEPER}"), 1, "policy", "expected a table, found an integer");
        assert_refused("[child]\nname = \"a\"\n", 1, "child", "expected [[child]] tables, found a table");
        assert_refused(
            &format!("[policy]\nrestart = \"sometimes\"\n{SLEEPER}"),
            2,
            "policy.restart",
            "unknown restart policy `sometimes` (expected always, on-failure or never)",
        );
    }

    #[test]
    fn a_missing_name_or_command_is_reported_at_its_table() {
        assert_refused(
            &format!("{SLEEPER}\n[[child]]\ncommand = [\"sleep\"]\n"),
            5,
            "child[1].name",
            "missing (required)",
        );
        assert_refused("\n[[child]]\nname = \"a\"\n", 2, "child[0].command", "missing (required)");
    }

    #[test]
    fn an_empty_command_is_refused() {
        assert_refused("[[child]]\nname = \"a\"\ncommand = []\n", 3, "child[0].command", "must not be empty");
    }

    #[test]
    fn names_must_be_unique_and_not_blank() {
        assert_refused(
            &format!("{SLEEPER}[[child]]\nname = \"sleeper\"\ncommand = [\"sleep\"]\n"),
            5,
            "child[1].name",
            "`sleeper` is already the name of the child on line 2",
        );
        assert_refused(
            "[[child]]\nname = \"  \"\ncommand = [\"sleep\"]\n",
            2,
            "child[0].name",
            "must not be empty or blank",
        );
        assert_refused("[[child]]\nname = \"\"\ncommand = [\"sleep\"]\n", 2, "child[0].name", "empty");
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        assert_refused(
            &format!("stop_grace_ms = -1\n{SLEEPER}"),
            1,
            "stop_grace_ms",
            "must be between 0 and 31536000000 (a year), found -1",
        );
        assert_refused(
            &format!("[policy]\nmax_backoff_ms = 31536000001\n{SLEEPER}"),
            2,
            "policy.max_backoff_ms",
            "found 31536000001",
        );
        assert_refused(
            &format!("{SLEEPER}give_up_after = 4294967296\n"),
            4,
            "child[0].give_up_after",
            "must be between 0 and 4294967295, found 4294967296",
        );
        assert_refused(&format!("{SLEEPER}give_up_after = -2\n"), 4, "child[0].give_up_after", "found -2");
    }

    #[test]
    fn every_policy_is_validated() {
        assert_refused(
            &format!("[policy]\nbackoff_ms = 0\n{SLEEPER}"),
            1,
            "policy",
            "the initial backoff must be above zero",
        );
        // Valid alone, but not over the default's 5 s maximum.
        assert_refused(
            &format!("{SLEEPER}backoff_ms = 6000\n"),
            1,
            "child[0]",
            "the initial backoff (6s) is longer than the maximum (5s)",
        );
    }

    #[test]
    fn a_dir_must_be_an_existing_directory() {
        assert_refused(
            &format!("{SLEEPER}dir = \"/procstore-test/no/such/dir\"\n"),
            4,
            "child[0].dir",
            "cannot use `/procstore-test/no/such/dir`: No such file or directory",
        );
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        assert_refused(
            &format!("{SLEEPER}dir = \"{file}\"\n"),
            4,
            "child[0].dir",
            &format!("`{file}` is not a directory"),
        );
    }

    #[test]
    fn a_program_that_cannot_run_is_refused() {
        assert_refused(
            "[[child]]\nname = \"a\"\ncommand = [\"procstore-test-no-such-command\", \"x\"]\n",
            3,
            "child[0].command[0]",
            "command not found: procstore-test-no-such-command",
        );
        // `sh` is on PATH, but no `./sh` is in the child's directory.
        assert_refused(
            &format!(
                "[[child]]\nname = \"a\"\ncommand = [\"./sh\"]\ndir = \"{}\"\n",
                env!("CARGO_MANIFEST_DIR")
            ),
            3,
            "child[0].command[0]",
            "command not found: ./sh",
        );
    }

    #[test]
    fn a_file_without_children_is_refused() {
        assert_refused(
            "stop_grace_ms = 10\n[policy]\nrestart = \"never\"\n",
            1,
            "child",
            "a config needs at least one child: add a [[child]] table",
        );
    }

    #[test]
    fn strings_no_process_can_take_are_refused() {
        assert_refused(
            &format!("{SLEEPER}env = {{ \"A=B\" = \"1\" }}\n"),
            4,
            "child[0].env.A=B",
            "`A=B` cannot be an environment variable's name",
        );
        assert_refused(
            "[[child]]\nname = \"a\"\ncommand = [\"sleep\", \"3\\u0000\"]\n",
            3,
            "child[0].command[1]",
            "must not contain a NUL character",
        );
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        assert_eq!(
            refusal("[[child]]\nname = \"a\"\ncommand = [\"sleep\"\n"),
            "test.toml:3: invalid TOML: unclosed array, expected `]`"
        );
        assert_eq!(
            refusal("[[child]]\nname = \"a\"\nname = \"b\"\n"),
            "test.toml:3: invalid TOML: duplicate key"
        );
    }

    #[test]
    fn an_unreadable_file_is_named_with_the_reason() {
        let error = load(Path::new("/procstore-test/no/such/file.toml")).err().map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some("/procstore-test/no/such/file.toml: No such file or directory (os error 2)")
        );
    }
}
