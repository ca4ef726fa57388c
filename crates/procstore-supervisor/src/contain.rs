//! The OS mechanisms that keep a child's descendants from escaping: which
//! pids the reapers own, the child subreaper, and the orphans it adopts.
//!
//! Several supervisors may run in one process and every one of them reaps
//! only the `Child`ren it spawned; an orphan re-parented to the process is
//! anyone's. So every spawn records its pid in one process-wide set, under
//! the same lock that orphan reaping takes: a pid is in the set before any
//! reaper can see it as our child, and orphan reaping skips the set.

use std::collections::BTreeSet;
use std::io;
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The pids of the children that some `Supervisor`'s reaper owns.
static OWNED: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

fn owned() -> MutexGuard<'static, BTreeSet<u32>> {
    // The set stays consistent whatever a panicking holder was doing.
    OWNED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Spawns `command` and records its pid as owned by a reaper.
pub(crate) fn spawn_owned(command: &mut Command) -> io::Result<Child> {
    let mut owned = owned();
    let child = command.spawn()?;
    owned.insert(child.id());
    Ok(child)
}

/// Forgets `pid`, which its reaper has reaped (or given up on).
pub(crate) fn disown(pid: u32) {
    owned().remove(&pid);
}

/// Makes this process the reaper of every orphan among its descendants
/// (Linux `PR_SET_CHILD_SUBREAPER`), for the whole process; calling it
/// again does nothing more. [`Config::containment`](crate::Config::containment)
/// needs it; a program can call it first to learn whether it is available
/// (qemu-user 7, for one, rejects it).
#[cfg(target_os = "linux")]
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer and
    // touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Not available outside Linux.
#[cfg(not(target_os = "linux"))]
pub fn become_subreaper() -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Reaps every orphan that has exited; returns the pids of those still
/// running.
pub(crate) fn reap_orphans() -> Vec<u32> {
    let owned = owned();
    let mut running = Vec::new();
    for pid in children_of_this_process() {
        if owned.contains(&pid) {
            continue;
        }
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`, a local. The pid is our
        // child and no reaper owns it (checked under the lock its spawns take).
        let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
        if reaped == 0 {
            running.push(pid);
        }
    }
    running
}

/// Sends `signal` to each pid in `pids`: orphans that [`reap_orphans`]
/// found running and has not reaped since (so no pid is a recycled one).
pub(crate) fn signal_each(pids: &[u32], signal: libc::c_int) {
    for &pid in pids {
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe { libc::kill(pid as libc::pid_t, signal) };
    }
}

/// Sends `signal` to process group `pgid`; false if the group is empty.
/// Safe after its leader is reaped: a group id is not reused while the
/// group has members.
pub(crate) fn signal_group_members(pgid: u32, signal: libc::c_int) -> bool {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe { libc::kill(-(pgid as libc::pid_t), signal) == 0 }
}

/// Every process whose parent is this one, found by a /proc scan
/// (`/proc/self/task/*/children` needs a kernel option that is often off).
fn children_of_this_process() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| parent_of(pid) == Some(me))
        .collect()
}

/// The ppid field of `/proc/<pid>/stat`.
fn parent_of(pid: u32) -> Option<u32> {
    stat_field(&format!("/proc/{pid}/stat"), 4)
}

/// When `pid` started, in clock ticks since boot (field 22 of its stat);
/// `None` if it is gone or a zombie (dead, not yet reaped).
///
/// Read from its main thread's entry under `task/`, which the kernel fills
/// the same way: qemu-user fakes `/proc/<its own pid>/stat`, start time
/// included, but passes this path through, so a supervisor under qemu
/// records the start time every other process reads for it.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let path = format!("/proc/{pid}/task/{pid}/stat");
    let state: char = stat_field(&path, 3)?;
    if matches!(state, 'Z' | 'X') {
        return None;
    }
    stat_field(&path, 22)
}

/// Field `number` (1-based, as proc(5) counts: 4 is the ppid, 22 the start
/// time) of a stat file, parsed after the parenthesised command name, which
/// may itself hold spaces and parentheses.
fn stat_field<T: std::str::FromStr>(path: &str, number: usize) -> Option<T> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    // Fields 1 and 2 (pid and name) come before the name's closing parenthesis.
    after_name.split_whitespace().nth(number.checked_sub(3)?)?.parse().ok()
}
