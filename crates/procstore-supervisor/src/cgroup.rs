//! A cgroup v2 of the supervising process's own: see [`Cgroup`].

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::contain;

/// A cgroup v2 of the supervising process's own, so that no descendant
/// escapes it: not one that leaves its process group, not one whose parent
/// died, and not one left behind by a supervisor that was killed outright.
///
/// [`Cgroup::enter`] creates a cgroup named after this process in the
/// cgroup it runs in, and moves the process into it, so every child it
/// starts from then on is born there, and so are theirs. That contains the
/// accidental escapes (`setsid`, a daemon's double fork), not a deliberate
/// one: a descendant with the supervisor's rights could move itself out.
/// [`Cgroup::stop_the_rest`] moves the process back out, stops whatever is
/// left inside (SIGTERM, then `cgroup.kill` after the grace period) and
/// removes the cgroup; dropping it does the same with no grace period.
///
/// A supervisor killed outright leaves its cgroup behind. The next one
/// started in the same cgroup finds it, stale, and empties and removes it
/// before it enters its own. The name, `procstore.<pid namespace>.<pid>.<start
/// time>`, says who made it: it is stale when no live process (a zombie
/// counts as dead) has that pid with that start time (as the kernel reports
/// it), so a recycled pid is told apart and no name is ever made twice.
/// Cgroups made in another pid namespace cannot be judged from here and
/// are left alone.
///
/// The cgroup is the whole process's, like the subreaper: a program that
/// runs several supervisors makes one.
#[derive(Debug)]
pub struct Cgroup {
    /// `<home>/procstore.<pid namespace>.<pid>.<start time>`; `None` once removed.
    dir: Option<PathBuf>,
    /// The cgroup the process came from, and goes back to at the end.
    home: PathBuf,
}

/// What [`Cgroup::enter`] found left by a supervisor that did not shut
/// down, and stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleaned {
    /// The stale cgroup, now removed.
    pub dir: PathBuf,
    /// The pid of the supervisor that made it.
    pub owner: u32,
    /// How many processes were still in it (all killed).
    pub stopped: usize,
    /// Why it could not be removed (a process stuck in the kernel), if so.
    pub problem: Option<String>,
}

/// Why there is no cgroup to contain the children.
#[derive(Debug)]
pub enum CgroupError {
    /// No cgroup v2 hierarchy is mounted, or this process's cgroup is not
    /// visible in it; the words say which.
    Unavailable(&'static str),
    /// A cgroup file or directory could not be read or written (typically:
    /// the hierarchy is read-only or owned by someone else).
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

impl fmt::Display for CgroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgroupError::Unavailable(why) => f.write_str(why),
            CgroupError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for CgroupError {}

/// How long a killed cgroup may take to empty before it is given up on
/// (a process stuck in the kernel): removal is left to the next start.
const KILL_PATIENCE: Duration = Duration::from_secs(10);

/// How often a cgroup being emptied is checked.
const POLL: Duration = Duration::from_millis(20);

/// The prefix of every supervisor's cgroup; its [`Owner`] follows it.
const PREFIX: &str = "procstore.";

/// The supervisor that made a cgroup, as its name records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Owner {
    /// The inode of its pid namespace: its pid means nothing outside it.
    namespace: u64,
    pid: u32,
    /// Clock ticks from boot to its start ([`contain::start_time`]).
    start: u64,
}

impl Owner {
    /// This process, or `None` where `/proc` does not say.
    fn this_process() -> Option<Owner> {
        let pid = std::process::id();
        let namespace = fs::read_link("/proc/self/ns/pid").ok()?;
        // `pid:[4026531836]`
        let namespace = namespace.to_str()?.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()?;
        Some(Owner { namespace, pid, start: contain::start_time(pid)? })
    }

    /// `procstore.<namespace>.<pid>.<start>`.
    fn name(&self) -> String {
        format!("{PREFIX}{}.{}.{}", self.namespace, self.pid, self.start)
    }

    /// The owner a cgroup's name records, if it is a supervisor's.
    fn of(name: &str) -> Option<Owner> {
        let mut parts = name.strip_prefix(PREFIX)?.split('.');
        let mut number = || parts.next().filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?.parse().ok();
        let owner = Owner { namespace: number()?, pid: u32::try_from(number()?).ok()?, start: number()? };
        parts.next().is_none().then_some(owner)
    }

    /// Whether this owner still runs: its pid exists and started when it did.
    fn is_alive(&self) -> bool {
        contain::start_time(self.pid) == Some(self.start)
    }
}

impl Cgroup {
    /// Stops and removes the stale `procstore.*` cgroups beside this
    /// process (what supervisors killed outright left), then creates this
    /// process's own and moves the whole process into it.
    pub fn enter() -> Result<(Cgroup, Vec<Cleaned>), CgroupError> {
        let home = own_cgroup_dir()?;
        let me = Owner::this_process()
            .ok_or(CgroupError::Unavailable("/proc does not say this process's pid namespace and start"))?;
        let mut cleaned = Vec::new();
        let entries = fs::read_dir(&home).map_err(at(&home))?;
        for entry in entries.filter_map(Result::ok) {
            let Some(owner) = entry.file_name().to_str().and_then(Owner::of) else { continue };
            if owner.namespace != me.namespace || owner.is_alive() {
                continue;
            }
            let dir = entry.path();
            let stopped = others_in(&dir, NOBODY).len();
            let problem = kill_and_remove(&dir, NOBODY).err().map(|e| e.to_string());
            cleaned.push(Cleaned { dir, owner: owner.pid, stopped, problem });
        }
        let dir = home.join(me.name());
        fs::create_dir(&dir).map_err(at(&dir))?;
        if let Err(error) = move_to(&dir, me.pid) {
            let _ = fs::remove_dir(&dir);
            return Err(error);
        }
        Ok((Cgroup { dir: Some(dir), home }, cleaned))
    }

    /// The cgroup's directory.
    pub fn path(&self) -> &Path {
        self.dir.as_deref().unwrap_or(&self.home)
    }

    /// Moves this process back to where it came from, stops every process
    /// left in the cgroup (SIGTERM, then SIGKILL through `cgroup.kill`
    /// after `grace`) and removes it; returns how many processes were left.
    /// Called again, or after an error, it does nothing.
    pub fn stop_the_rest(&mut self, grace: Duration) -> Result<usize, CgroupError> {
        let Some(dir) = self.dir.take() else { return Ok(0) };
        let me = std::process::id();
        // Out first, so that `cgroup.kill` spares this process; if it cannot
        // leave, the others are killed one by one and the cgroup stays.
        let moved = move_to(&self.home, me);
        let left = others_in(&dir, me);
        if !left.is_empty() {
            for &pid in &left {
                // SAFETY: kill(2) has no memory-safety preconditions. A pid
                // read from cgroup.procs could be recycled before this only
                // if its process exited and was reaped in between and the
                // pid space wrapped meanwhile.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            }
            wait_until_empty(&dir, me, Instant::now() + grace);
        }
        let killed = kill_and_remove(&dir, me);
        moved.and(killed)?;
        Ok(left.len())
    }
}

impl Drop for Cgroup {
    /// Stops what is left at once, as a supervisor that never started must.
    fn drop(&mut self) {
        let _ = self.stop_the_rest(Duration::ZERO);
    }
}

/// The directory of this process's cgroup in the mounted cgroup v2
/// hierarchy: its `0::` line in `/proc/self/cgroup`, under the mount point
/// that `/proc/self/mountinfo` gives for the `cgroup2` file system.
fn own_cgroup_dir() -> Result<PathBuf, CgroupError> {
    let read = |path: &str| fs::read_to_string(path).map_err(at(Path::new(path)));
    let own = read("/proc/self/cgroup")?
        .lines()
        .find_map(|line| line.strip_prefix("0::").map(str::to_owned))
        .ok_or(CgroupError::Unavailable("this process is in no cgroup v2 hierarchy"))?;
    let mountinfo = read("/proc/self/mountinfo")?;
    // `id parent major:minor root mount-point options... - fstype source super-options`
    let mount = mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        (right.split_whitespace().next()? == "cgroup2").then_some(())?;
        let mut fields = left.split_whitespace().skip(3);
        Some((unescape(fields.next()?), unescape(fields.next()?)))
    });
    let (root, mount_point) = mount.ok_or(CgroupError::Unavailable("no cgroup v2 hierarchy is mounted"))?;
    let inside = Path::new(&own)
        .strip_prefix(&root)
        .map_err(|_| CgroupError::Unavailable("this process's cgroup is outside the mounted cgroup v2"))?;
    Ok(Path::new(&mount_point).join(inside))
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'\\' {
            let digits: Vec<u8> = bytes.by_ref().take(3).collect();
            let value = std::str::from_utf8(&digits).ok().and_then(|d| u8::from_str_radix(d, 8).ok());
            match value {
                Some(value) => out.push(value),
                None => out.extend(std::iter::once(byte).chain(digits)),
            }
        } else {
            out.push(byte);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A pid that no listed process has (0 is filtered out), for "spare nobody".
const NOBODY: u32 = 0;

/// Kills every process in `dir` and its descendant cgroups but `spare`
/// (one write to `cgroup.kill`, Linux 5.14, when nothing is spared;
/// SIGKILL to each listed pid otherwise), waits for them to die and
/// removes the cgroups.
fn kill_and_remove(dir: &Path, spare: u32) -> Result<(), CgroupError> {
    let deadline = Instant::now() + KILL_PATIENCE;
    let all_at_once =
        !processes_under(dir).contains(&spare) && fs::write(dir.join("cgroup.kill"), "1").is_ok();
    loop {
        let left = others_in(dir, spare);
        if left.is_empty() || Instant::now() >= deadline {
            break;
        }
        if !all_at_once {
            for &pid in &left {
                // SAFETY: kill(2) has no memory-safety preconditions (on a
                // recycled pid, see `Cgroup::stop_the_rest`).
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        std::thread::sleep(POLL);
    }
    remove_tree(dir, deadline)
}

/// Polls until no live process but `spare` is in `dir` (one that exits
/// leaves its cgroup at once, before it is reaped) or `deadline` passes.
fn wait_until_empty(dir: &Path, spare: u32, deadline: Instant) {
    while !others_in(dir, spare).is_empty() && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
}

/// The pids in `dir` and every cgroup below it, but `spare`.
fn others_in(dir: &Path, spare: u32) -> Vec<u32> {
    let mut pids = processes_under(dir);
    pids.retain(|&pid| pid != spare);
    pids
}

/// The pids in `dir` and every cgroup below it.
fn processes_under(dir: &Path) -> Vec<u32> {
    let mut pids: Vec<u32> = fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        // 0 stands for a member outside this pid namespace: not a pid to signal.
        .filter(|&pid| pid != 0 && libc::pid_t::try_from(pid).is_ok())
        .collect();
    for child in subdirectories(dir) {
        pids.extend(processes_under(&child));
    }
    pids
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.path())
        .collect()
}

/// Removes `dir` and the cgroups below it, deepest first. A cgroup that is
/// already gone (another start cleaned it) is no error. One that is busy
/// is tried again until `deadline`: a killed process can leave
/// `cgroup.procs` before the kernel lets its cgroup go.
fn remove_tree(dir: &Path, deadline: Instant) -> Result<(), CgroupError> {
    for child in subdirectories(dir) {
        remove_tree(&child, deadline)?;
    }
    loop {
        match fs::remove_dir(dir) {
            Err(error) if error.kind() == io::ErrorKind::ResourceBusy && Instant::now() < deadline => {
                std::thread::sleep(POLL);
            }
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(at(dir)(error)),
            _ => return Ok(()),
        }
    }
}

/// Moves process `pid`, all its threads, into cgroup `dir`.
fn move_to(dir: &Path, pid: u32) -> Result<(), CgroupError> {
    let procs = dir.join("cgroup.procs");
    fs::write(&procs, pid.to_string()).map_err(at(&procs))
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> CgroupError + '_ {
    move |source| CgroupError::Io { path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape(r"/sys/fs/cgroup/my\040dir"), "/sys/fs/cgroup/my dir");
        assert_eq!(unescape(r"/plain"), "/plain");
        assert_eq!(unescape(r"/bad\9z"), r"/bad\9z");
    }

    #[test]
    fn a_name_records_its_owner_and_nothing_else_parses() {
        let owner = Owner { namespace: 4026531836, pid: 4242, start: 987654 };
        assert_eq!(owner.name(), "procstore.4026531836.4242.987654");
        assert_eq!(Owner::of(&owner.name()), Some(owner));
        for name in [
            "procstore.",
            "procstore.1.2",
            "procstore.1.2.3.4",
            "procstore.1.+2.3",
            "procstore.1.99999999999.3",
            "x.1.2.3",
        ] {
            assert_eq!(Owner::of(name), None, "{name}");
        }
    }

    #[test]
    fn this_process_records_the_start_time_other_processes_read() {
        // Another process reads the kernel's stat for us; under qemu-user our
        // own read of `/proc/<own pid>/stat` would get qemu's invention.
        let me = Owner::this_process().expect("/proc says who this process is");
        let seen = std::process::Command::new("cat")
            .arg(format!("/proc/{}/stat", me.pid))
            .output()
            .expect("run cat");
        assert_eq!(me.start, start_in(&String::from_utf8(seen.stdout).expect("stat is text")));
    }

    /// Field 22 of a stat line, parsed apart from the code under test.
    fn start_in(stat: &str) -> u64 {
        let (_, after_name) = stat.rsplit_once(')').expect("stat names the command");
        after_name.split_whitespace().nth(19).expect("field 22").parse().expect("a number")
    }

    #[test]
    fn only_a_live_owner_with_its_own_start_time_is_alive() {
        let me = Owner::this_process().expect("/proc says who this process is");
        assert!(me.is_alive());
        // The same pid with another start time: a recycled pid.
        assert!(!Owner { start: me.start + 1, ..me }.is_alive());
        // A child that has exited: a zombie until reaped, then gone.
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        let path = format!("/proc/{pid}/stat");
        let zombie = || std::fs::read_to_string(&path).is_ok_and(|stat| stat.contains(") Z "));
        while !zombie() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let start = start_in(&std::fs::read_to_string(&path).expect("the zombie's stat"));
        assert!(!Owner { pid, start, ..me }.is_alive(), "a zombie owner is dead");
        child.wait().expect("reap true");
        assert!(!Owner { pid, start, ..me }.is_alive());
    }
}
