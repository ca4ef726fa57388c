//! Reads callgrind's output: the instructions executed in one object.

use std::collections::HashMap;

/// Sums the instructions one dump (callgrind's text format, compressed
/// names and positions as it writes them by default) records in the code of
/// the object whose file name is `object`. Callees in other objects, the C
/// library's allocator above all, are left out, so the count does not
/// depend on the machine's C library.
///
/// # Errors
///
/// A line that is not in the format, a name referenced before it was
/// defined, or a dump without an `Ir` event.
pub fn read_dump(text: &str, object: &str) -> Result<u64, String> {
    let mut positions = 1;
    let mut ir = None;
    let mut names = Names::default();
    let mut in_object = false;
    let mut current_object_is_ours = false;
    let mut after_calls = false;
    let mut instructions = 0;
    for (number, line) in text.lines().enumerate() {
        let fail = |why: &str| format!("line {}: {why}: {line}", number + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("positions:") {
            positions = rest.split_whitespace().count();
            continue;
        }
        if let Some(rest) = line.strip_prefix("events:") {
            ir = rest.split_whitespace().position(|event| event == "Ir");
            if ir.is_none() {
                return Err(fail("no Ir event"));
            }
            continue;
        }
        let first = line.as_bytes()[0];
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'*') {
            let index = ir.ok_or_else(|| fail("a cost before the events line"))?;
            let cost = line.split_whitespace().nth(positions + index).map_or(Ok(0), str::parse::<u64>);
            let cost = cost.map_err(|_| fail("not a cost line"))?;
            if after_calls {
                after_calls = false;
            } else if in_object {
                instructions += cost;
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            // Header lines (`cmd:`, `summary:` ...) carry no costs.
            if line.contains(':') {
                continue;
            }
            return Err(fail("neither a cost, a name nor a header"));
        };
        match key {
            "ob" => {
                current_object_is_ours = names.resolve(Space::Object, value).map_err(|e| fail(&e))? == object
            }
            "fn" => {
                names.resolve(Space::Function, value).map_err(|e| fail(&e))?;
                in_object = current_object_is_ours;
            }
            "cfn" => {
                names.resolve(Space::Function, value).map_err(|e| fail(&e))?;
            }
            "cob" => {
                names.resolve(Space::Object, value).map_err(|e| fail(&e))?;
            }
            "fl" | "fi" | "fe" | "cfi" | "cfl" => {
                names.resolve(Space::File, value).map_err(|e| fail(&e))?;
            }
            // The next cost line is the call's inclusive cost: the callee's
            // own lines are counted where the callee's are.
            "calls" => after_calls = true,
            _ => {} // jump=, jcnd= and the like: not collected here.
        }
    }
    if ir.is_none() {
        return Err("no events line: not a callgrind dump".to_owned());
    }
    Ok(instructions)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Space {
    Object,
    File,
    Function,
}

/// Callgrind's name compression: `(7) name` defines 7, `(7)` refers to it.
#[derive(Default)]
struct Names {
    defined: HashMap<(Space, u64), String>,
}

impl Names {
    /// The name `value` stands for; for an object, its file name only.
    fn resolve<'a>(&'a mut self, space: Space, value: &'a str) -> Result<&'a str, String> {
        let value = value.trim();
        let name = match value.strip_prefix('(') {
            None => return Ok(Self::short(space, value)),
            Some(rest) => {
                let (id, name) = rest.split_once(')').ok_or("an unclosed name id")?;
                let id = id.parse::<u64>().map_err(|_| "a name id that is not a number")?;
                let name = name.trim();
                if name.is_empty() {
                    self.defined
                        .get(&(space, id))
                        .ok_or_else(|| format!("name ({id}) used before it was defined"))?
                } else {
                    self.defined.entry((space, id)).or_insert_with(|| name.to_owned())
                }
            }
        };
        Ok(Self::short(space, name))
    }

    fn short(space: Space, name: &str) -> &str {
        match space {
            Space::Object => name.rsplit('/').next().unwrap_or(name),
            _ => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "\
version: 1
creator: callgrind-3.19.0
cmd: /x/procstore-instructions run
part: 2
positions: line
events: Ir
summary: 1234

ob=(1) /x/procstore-instructions
fl=(1) src/lib.rs
fn=(1) measure
10 5
+2 3
cob=(2) /lib/libc.so.6
cfi=(2) ???
cfn=(2) malloc
calls=2 0
0 400
fn=(3) procstore_probe_read_std_mutex
5 7
ob=(2)
fl=(2)
fn=(2)
0 100
ob=(1)
fn=(3)
cfn=(2)
calls=1 0
0 200
* 1
";

    #[test]
    fn counts_the_objects_own_instructions() {
        // 5 + 3 + 7 + 1 in our object; malloc's 100 and both calls' inclusive costs left out.
        assert_eq!(read_dump(DUMP, "procstore-instructions"), Ok(16));
    }

    #[test]
    fn another_object_sees_only_its_own_costs() {
        assert_eq!(read_dump(DUMP, "libc.so.6"), Ok(100));
    }

    #[test]
    fn malformed_dumps_are_errors_with_their_line() {
        assert!(read_dump("fn=(1) f\n", "x").unwrap_err().contains("not a callgrind dump"));
        let undefined = "events: Ir\nfn=(4)\n";
        assert!(read_dump(undefined, "x").unwrap_err().starts_with("line 2: name (4) used before"));
        let garbage = "events: Ir\nfn=(1) f\n5 seven\n";
        assert!(read_dump(garbage, "x").unwrap_err().starts_with("line 3: not a cost line"));
    }
}
