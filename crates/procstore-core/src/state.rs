//! The immutable per-process record that every store publishes.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::UpdateError;
use crate::status::{Status, TransitionError};

/// The process manager's stable id for a managed process.
///
/// Unlike the OS pid it survives restarts, so registries key on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(pub u64);

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One published version of a managed process's state.
///
/// Immutable: every change makes a new value, and a store publishes it whole,
/// so a reader never sees half an update. [`version`](Self::version) grows by
/// exactly one per published update; the stores stamp it (see
/// [`successor`](Self::successor)), so tests can prove readers never go
/// backwards and no update is lost.
///
/// Cloning is cheap: the name is shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessState {
    id: ProcessId,
    name: Arc<str>,
    status: Status,
    pid: Option<u32>,
    restarts: u32,
    exit_code: Option<i32>,
    exit_signal: Option<i32>,
    started_at: Option<SystemTime>,
    exited_at: Option<SystemTime>,
    backoff_until: Option<SystemTime>,
    version: u64,
}

impl ProcessState {
    /// A process that is about to be spawned: `Starting`, version 0.
    pub fn new(id: ProcessId, name: impl Into<Arc<str>>) -> Self {
        ProcessState {
            id,
            name: name.into(),
            status: Status::Starting,
            pid: None,
            restarts: 0,
            exit_code: None,
            exit_signal: None,
            started_at: None,
            exited_at: None,
            backoff_until: None,
            version: 0,
        }
    }

    /// The manager's id of this process.
    pub fn id(&self) -> ProcessId {
        self.id
    }
    /// The process's name (shared between versions).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The shared name, for callers that want to keep it without copying.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }
    /// The current lifecycle status.
    pub fn status(&self) -> Status {
        self.status
    }
    /// The OS pid while the process is alive.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }
    /// How many times the process was restarted.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
    /// The last exit code (`None` before the first exit, or after a signal).
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }
    /// The signal that ended the last run (`None` before the first exit, or
    /// after an exit with a code).
    pub fn exit_signal(&self) -> Option<i32> {
        self.exit_signal
    }
    /// When a process in `Backoff` is due to restart.
    pub fn backoff_until(&self) -> Option<SystemTime> {
        self.backoff_until
    }
    /// When the process last entered `Running`.
    pub fn started_at(&self) -> Option<SystemTime> {
        self.started_at
    }
    /// When the process last exited.
    pub fn exited_at(&self) -> Option<SystemTime> {
        self.exited_at
    }
    /// How many updates were published before this one.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The same process in status `to`, if the lifecycle allows the move.
    ///
    /// Every entry into `Starting` is a restart: the first start is the
    /// state [`new`](Self::new) makes, and nothing moves back to it.
    pub fn transition(&self, to: Status) -> Result<ProcessState, TransitionError> {
        self.status.check_transition(to)?;
        Ok(ProcessState {
            status: to,
            restarts: self.restarts + u32::from(to == Status::Starting),
            backoff_until: None,
            ..self.clone()
        })
    }

    /// `Starting` -> `Running` with the OS pid the spawn returned, at
    /// `at` (the caller reads the clock, so this crate stays pure).
    pub fn running(&self, pid: u32, at: SystemTime) -> Result<ProcessState, TransitionError> {
        let mut next = self.transition(Status::Running)?;
        next.pid = Some(pid);
        next.started_at = Some(at);
        next.exit_code = None;
        next.exit_signal = None;
        Ok(next)
    }

    /// The OS process exited with `code` (`None`: killed by a signal) at `at`.
    ///
    /// A process that was asked to stop, or that exits with 0, is `Stopped`;
    /// anything else is `Crashed`.
    pub fn exited(&self, code: Option<i32>, at: SystemTime) -> Result<ProcessState, TransitionError> {
        let to = if self.status == Status::Stopping || code == Some(0) {
            Status::Stopped
        } else {
            Status::Crashed
        };
        let mut next = self.transition(to)?;
        next.pid = None;
        next.exit_code = code;
        next.exit_signal = None;
        next.exited_at = Some(at);
        Ok(next)
    }

    /// The OS process was killed by `signal` at `at`: as
    /// [`exited`](Self::exited) with no code, recording the signal.
    pub fn signalled(&self, signal: i32, at: SystemTime) -> Result<ProcessState, TransitionError> {
        let mut next = self.exited(None, at)?;
        next.exit_signal = Some(signal);
        Ok(next)
    }

    /// Waiting to restart until `until` (`Backoff`).
    pub fn backoff(&self, until: SystemTime) -> Result<ProcessState, TransitionError> {
        let mut next = self.transition(Status::Backoff)?;
        next.backoff_until = Some(until);
        Ok(next)
    }

    /// Publishes `f`'s result as the next version of `self`.
    ///
    /// # Errors
    ///
    /// [`UpdateError::Rejected`] with `f`'s error, or
    /// [`UpdateError::IdChanged`] if `f` returned another process's state.
    ///
    /// Every store funnels updates through here, so the rules live in one
    /// place: the version is stamped `self.version + 1` whatever `f` returned,
    /// and `f` may not change the process's id.
    pub fn successor<E>(
        &self,
        f: &mut impl FnMut(&ProcessState) -> Result<ProcessState, E>,
    ) -> Result<ProcessState, UpdateError<E>> {
        let next = f(self).map_err(UpdateError::Rejected)?;
        if next.id != self.id {
            return Err(UpdateError::IdChanged { expected: self.id, found: next.id });
        }
        Ok(ProcessState { version: self.version + 1, ..next })
    }
}

/// A state's fields other than its id and name, packed in plain words: the
/// form in which a store that copies states word by word (a sequence lock)
/// publishes them. The id and name are the store's to keep.
///
/// Any words can be given; [`ProcessState::assign_words`] refuses those
/// that [`StateWords::of`] does not make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateWords(pub [u64; StateWords::LEN]);

/// Words that no state packs into: see [`ProcessState::assign_words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidWords;

impl fmt::Display for InvalidWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("words that no process state packs into")
    }
}

impl std::error::Error for InvalidWords {}

impl StateWords {
    /// How many words a state takes.
    pub const LEN: usize = 8;

    const HAS_PID: u64 = 1 << 8;
    const HAS_CODE: u64 = 1 << 9;
    const HAS_SIGNAL: u64 = 1 << 10;
    const HAS_STARTED: u64 = 1 << 11;
    const HAS_EXITED: u64 = 1 << 12;
    const HAS_BACKOFF: u64 = 1 << 13;

    /// `state`'s fields other than its id and name.
    pub fn of(state: &ProcessState) -> StateWords {
        let flag = |present: bool, flag: u64| if present { flag } else { 0 };
        let (started, exited, backoff) = (
            TimeWords::of(state.started_at),
            TimeWords::of(state.exited_at),
            TimeWords::of(state.backoff_until),
        );
        let flags = flag(state.pid.is_some(), Self::HAS_PID)
            | flag(state.exit_code.is_some(), Self::HAS_CODE)
            | flag(state.exit_signal.is_some(), Self::HAS_SIGNAL)
            | flag(state.started_at.is_some(), Self::HAS_STARTED)
            | flag(state.exited_at.is_some(), Self::HAS_EXITED)
            | flag(state.backoff_until.is_some(), Self::HAS_BACKOFF);
        let low_high = |low: u32, high: u32| u64::from(low) | u64::from(high) << 32;
        StateWords([
            state.version,
            state.status as u64 | flags | u64::from(state.restarts) << 32,
            low_high(state.pid.unwrap_or(0), state.exit_code.unwrap_or(0) as u32),
            low_high(state.exit_signal.unwrap_or(0) as u32, backoff.nanos),
            started.secs as u64,
            exited.secs as u64,
            backoff.secs as u64,
            low_high(started.nanos, exited.nanos),
        ])
    }
}

impl ProcessState {
    /// Sets every field but the id and name to what `words` hold: for a
    /// store that refreshes a reader's own copy in place (the seqlock
    /// store). A published state is shared, so never changed: this takes
    /// `&mut`.
    ///
    /// # Errors
    ///
    /// [`InvalidWords`] if no state packs into `words` (a status out of
    /// range, a time out of `SystemTime`'s range); the state is unchanged.
    pub fn assign_words(&mut self, words: &StateWords) -> Result<(), InvalidWords> {
        let [version, flags, pid_code, signal_backoff, started, exited, backoff, nanos] = words.0;
        let has = |flag: u64| flags & flag != 0;
        let (low, high) = (|word: u64| word as u32, |word: u64| (word >> 32) as u32);
        let time = |present: u64, secs: u64, nanos: u32| match has(present) {
            true => TimeWords { secs: secs as i64, nanos }.time().map(Some),
            false => Ok(None),
        };
        let status = *Status::ALL.get((flags & 0xff) as usize).ok_or(InvalidWords)?;
        let started_at = time(StateWords::HAS_STARTED, started, low(nanos))?;
        let exited_at = time(StateWords::HAS_EXITED, exited, high(nanos))?;
        let backoff_until = time(StateWords::HAS_BACKOFF, backoff, high(signal_backoff))?;
        // Only once every word is known good: the state is whole or unchanged.
        self.status = status;
        self.pid = has(StateWords::HAS_PID).then_some(low(pid_code));
        self.restarts = high(flags);
        self.exit_code = has(StateWords::HAS_CODE).then_some(high(pid_code) as i32);
        self.exit_signal = has(StateWords::HAS_SIGNAL).then_some(low(signal_backoff) as i32);
        (self.started_at, self.exited_at, self.backoff_until) = (started_at, exited_at, backoff_until);
        self.version = version;
        Ok(())
    }
}

/// A time as whole seconds from the Unix epoch (negative before it) and
/// the nanoseconds after those seconds.
#[derive(Clone, Copy)]
struct TimeWords {
    secs: i64,
    nanos: u32,
}

impl TimeWords {
    /// `time`'s words; zero for `None` (the state's flags tell them apart).
    fn of(time: Option<SystemTime>) -> TimeWords {
        // The platforms std supports keep a time in i64 seconds or less.
        let secs = |d: std::time::Duration| d.as_secs() as i64;
        match time.map(|t| t.duration_since(SystemTime::UNIX_EPOCH)) {
            None => TimeWords { secs: 0, nanos: 0 },
            Some(Ok(after)) => TimeWords { secs: secs(after), nanos: after.subsec_nanos() },
            Some(Err(before)) => {
                let before = before.duration();
                // Wrapping: 2^63 seconds before the epoch is i64::MIN.
                match before.subsec_nanos() {
                    0 => TimeWords { secs: secs(before).wrapping_neg(), nanos: 0 },
                    nanos => TimeWords {
                        secs: secs(before).wrapping_neg().wrapping_sub(1),
                        nanos: 1_000_000_000 - nanos,
                    },
                }
            }
        }
    }

    /// The time these words hold, if `SystemTime` can hold it.
    fn time(self) -> Result<SystemTime, InvalidWords> {
        let whole = std::time::Duration::from_secs(self.secs.unsigned_abs());
        let epoch_plus_secs = match self.secs >= 0 {
            true => SystemTime::UNIX_EPOCH.checked_add(whole),
            false => SystemTime::UNIX_EPOCH.checked_sub(whole),
        };
        let nanos = std::time::Duration::from_nanos(u64::from(self.nanos));
        epoch_plus_secs.and_then(|t| t.checked_add(nanos)).ok_or(InvalidWords)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::time::Duration;

    /// Some fixed time, so the tests read no clock.
    fn time(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn fresh() -> ProcessState {
        ProcessState::new(ProcessId(7), "web")
    }

    #[test]
    fn new_process_is_starting_at_version_zero() {
        let s = fresh();
        assert_eq!((s.status(), s.version(), s.pid(), s.restarts()), (Status::Starting, 0, None, 0));
        assert_eq!(s.name(), "web");
    }

    #[test]
    fn running_then_crash_records_pid_and_code() {
        let up = fresh().running(4242, time(1)).unwrap();
        assert_eq!((up.status(), up.pid(), up.started_at()), (Status::Running, Some(4242), Some(time(1))));
        let down = up.exited(Some(3), time(2)).unwrap();
        assert_eq!((down.status(), down.pid(), down.exit_code()), (Status::Crashed, None, Some(3)));
        assert_eq!((down.started_at(), down.exited_at()), (Some(time(1)), Some(time(2))));
        let clean = up.exited(Some(0), time(2)).unwrap();
        assert_eq!(clean.status(), Status::Stopped);
    }

    #[test]
    fn a_signal_and_a_backoff_deadline_last_until_the_next_transition() {
        let up = fresh().running(1, time(1)).unwrap();
        let killed = up.signalled(9, time(2)).unwrap();
        assert_eq!(
            (killed.status(), killed.exit_code(), killed.exit_signal()),
            (Status::Crashed, None, Some(9))
        );
        let waiting = killed.backoff(time(3)).unwrap();
        assert_eq!((waiting.exit_signal(), waiting.backoff_until()), (Some(9), Some(time(3))));
        let restarting = waiting.transition(Status::Starting).unwrap();
        assert_eq!(restarting.backoff_until(), None);
        let again = restarting.running(2, time(4)).unwrap();
        assert_eq!(again.exit_signal(), None);
        assert_eq!(again.exited(Some(1), time(5)).unwrap().exit_signal(), None);
    }

    #[test]
    fn stop_request_then_nonzero_exit_is_stopped() {
        let stopping = fresh().running(1, time(1)).unwrap().transition(Status::Stopping).unwrap();
        assert_eq!(stopping.exited(Some(143), time(2)).unwrap().status(), Status::Stopped);
    }

    #[test]
    fn restart_counts_only_re_entries_to_starting() {
        let crashed = fresh().running(1, time(1)).unwrap().exited(None, time(2)).unwrap();
        let again = crashed.transition(Status::Starting).unwrap();
        assert_eq!(again.restarts(), 1);
    }

    #[test]
    fn invalid_transition_is_an_error_not_a_panic() {
        let err = fresh().exited(Some(0), time(1)).unwrap_err();
        assert_eq!((err.from, err.to), (Status::Starting, Status::Stopped));
    }

    #[test]
    fn successor_stamps_version_and_keeps_id() {
        let s = fresh();
        let next = s
            .successor(&mut |c: &ProcessState| Ok::<_, Infallible>(ProcessState { version: 99, ..c.clone() }))
            .unwrap();
        assert_eq!(next.version(), 1);
        let err = s
            .successor(&mut |_: &ProcessState| Ok::<_, Infallible>(ProcessState::new(ProcessId(8), "other")))
            .unwrap_err();
        assert_eq!(err, UpdateError::IdChanged { expected: ProcessId(7), found: ProcessId(8) });
    }

    #[test]
    fn state_words_round_trip_every_field() {
        let before_epoch = SystemTime::UNIX_EPOCH - Duration::new(5, 250);
        let whole_seconds_before = SystemTime::UNIX_EPOCH - Duration::from_secs(5);
        let states = [
            fresh(),
            fresh().running(u32::MAX, time(1) + Duration::from_nanos(999_999_999)).unwrap(),
            fresh().running(1, before_epoch).unwrap().exited(Some(-3), SystemTime::UNIX_EPOCH).unwrap(),
            fresh().running(1, whole_seconds_before).unwrap(),
            fresh()
                .running(1, time(1))
                .unwrap()
                .signalled(i32::MIN, time(2))
                .unwrap()
                .backoff(before_epoch)
                .unwrap(),
            fresh()
                .successor(&mut |c: &ProcessState| {
                    Ok::<_, Infallible>(ProcessState {
                        restarts: u32::MAX,
                        version: u64::MAX - 1,
                        ..c.clone()
                    })
                })
                .unwrap(),
        ];
        for state in states {
            let mut copy = ProcessState::new(state.id(), state.name_arc().clone());
            copy.assign_words(&StateWords::of(&state)).unwrap();
            assert_eq!(copy, state);
        }
    }

    #[test]
    fn words_no_state_packs_into_are_refused_and_change_nothing() {
        let up = fresh().running(1, time(1)).unwrap();
        let mut bad_status = StateWords::of(&up);
        bad_status.0[1] |= 0xff;
        let mut bad_time = StateWords::of(&up);
        // Started i64::MAX seconds and two more (in its nanoseconds) after the epoch.
        bad_time.0[4] = i64::MAX as u64;
        bad_time.0[7] = (bad_time.0[7] & !u64::from(u32::MAX)) | 2_000_000_000;
        for words in [bad_status, bad_time] {
            let mut copy = up.clone();
            assert_eq!(copy.assign_words(&words), Err(InvalidWords));
            assert_eq!(copy, up);
        }
    }
}
