//! What the binary sets up so that no descendant of a child escapes: the
//! child subreaper and a cgroup of its own, and the lines that say what it
//! could not set up or found left behind.

use std::io;

use procstore_supervisor::{Cgroup, CgroupError, Cleaned, become_subreaper};

/// The containment this process has.
#[derive(Debug)]
pub(crate) struct Containment {
    /// Orphaned descendants re-parent to this process (`Config::containment`).
    pub(crate) subreaper: bool,
    /// Every descendant is born in it, so shutdown and the next start find them.
    pub(crate) cgroup: Option<Cgroup>,
}

impl Containment {
    /// Sets up all it can; returns it with the lines for stderr: what a
    /// killed supervisor left and this start stopped, then one line on the
    /// containment in force.
    pub(crate) fn set_up() -> (Containment, Vec<String>) {
        let subreaper = become_subreaper();
        let (cgroup, mut lines) = match Cgroup::enter() {
            Ok((cgroup, cleaned)) => {
                // An empty stale cgroup is no news: only what was stopped, or stuck.
                let worth_saying = cleaned.iter().filter(|c| c.stopped > 0 || c.problem.is_some());
                (Ok(cgroup), worth_saying.map(left_behind).collect())
            }
            Err(error) => (Err(error), Vec::new()),
        };
        lines.push(in_force(&subreaper, &cgroup));
        (Containment { subreaper: subreaper.is_ok(), cgroup: cgroup.ok() }, lines)
    }
}

/// `stopped 2 processes that supervisor 4242 left in /sys/fs/cgroup/procstore.4026531836.4242.1532907`.
fn left_behind(cleaned: &Cleaned) -> String {
    let Cleaned { dir, owner, stopped, problem } = cleaned;
    let what = format!("stopped {} that supervisor {owner} left in {}", processes(*stopped), dir.display());
    match problem {
        None => what,
        Some(problem) => format!("{what}; cannot remove it: {problem}"),
    }
}

/// One line: where the children run, and what escapes given what failed.
fn in_force(subreaper: &io::Result<()>, cgroup: &Result<Cgroup, CgroupError>) -> String {
    match (subreaper, cgroup) {
        (Ok(()), Ok(cgroup)) => format!("children run in cgroup {}", cgroup.path().display()),
        (Err(error), Ok(cgroup)) => format!(
            "children run in cgroup {}; cannot become a child subreaper ({error}), so orphans are \
             reaped by init and stopped at shutdown through the cgroup",
            cgroup.path().display()
        ),
        (Ok(()), Err(error)) => format!(
            "no cgroup for the children ({error}): orphans are reaped and stopped at shutdown, but \
             a descendant that left its process group outlives a supervisor killed outright"
        ),
        (Err(subreaper), Err(cgroup)) => format!(
            "no cgroup for the children ({cgroup}) and cannot become a child subreaper \
             ({subreaper}): a descendant that leaves its process group escapes"
        ),
    }
}

/// `1 process`, `2 processes`.
pub(crate) fn processes(count: usize) -> String {
    if count == 1 { "1 process".to_owned() } else { format!("{count} processes") }
}
