//! When to restart a child that exited, and how long to wait first.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which exits lead to a restart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restart {
    /// Restart after every exit, clean or not.
    #[default]
    Always,
    /// Restart only after a failure: a non-zero code, a signal, or a failed spawn.
    OnFailure,
    /// Never restart.
    Never,
}

impl FromStr for Restart {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(Restart::Always),
            "on-failure" => Ok(Restart::OnFailure),
            "never" => Ok(Restart::Never),
            _ => Err(format!("unknown restart policy `{s}` (expected always, on-failure or never)")),
        }
    }
}

impl fmt::Display for Restart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Restart::Always => "always",
            Restart::OnFailure => "on-failure",
            Restart::Never => "never",
        })
    }
}

/// The restart policy: which exits restart, the backoff between quick
/// exits, and when to give up.
///
/// An exit is *quick* if the child ran for less than `stable_after` (a
/// failed spawn ran for zero). A child that stayed up `stable_after`
/// restarts at once; consecutive quick exits wait `initial_backoff`, then
/// twice that each time up to `max_backoff`, so a restart storm is
/// throttled, never a busy loop. After `give_up_after` consecutive quick
/// exits the child is `Fatal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Which exits restart.
    pub restart: Restart,
    /// The delay after the first quick exit; never zero, so a storm cannot spin.
    pub initial_backoff: Duration,
    /// The longest delay.
    pub max_backoff: Duration,
    /// A child that ran this long exited on its own terms, not in a storm.
    pub stable_after: Duration,
    /// Consecutive quick exits before giving up (`None`: never give up).
    pub give_up_after: Option<u32>,
}

impl Default for Policy {
    /// Restart always; back off from 100 ms to 5 s; give up after 5 quick exits in a row.
    fn default() -> Self {
        Policy {
            restart: Restart::Always,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            stable_after: Duration::from_secs(1),
            give_up_after: Some(5),
        }
    }
}

/// How a child's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Exit code 0.
    Clean,
    /// A non-zero code, a signal, or a spawn that failed.
    Failed,
}

/// What the supervisor does after an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start the child again after this delay.
    Restart(Duration),
    /// Stop trying: this many quick exits came in a row.
    GiveUp(u32),
    /// Leave the child down (the policy does not restart this exit).
    LeaveDown,
}

/// One child's run of consecutive quick exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streak(u32);

impl Policy {
    /// Decides what follows a run that lasted `ran` and ended as `ending`,
    /// and updates the child's `streak`.
    pub fn decide(&self, ending: Ending, ran: Duration, streak: &mut Streak) -> Decision {
        streak.0 = if ran >= self.stable_after { 0 } else { streak.0.saturating_add(1) };
        let restarts = match self.restart {
            Restart::Always => true,
            Restart::OnFailure => ending == Ending::Failed,
            Restart::Never => false,
        };
        if !restarts {
            return Decision::LeaveDown;
        }
        if let Some(limit) = self.give_up_after
            && streak.0 >= limit
        {
            return Decision::GiveUp(streak.0);
        }
        Decision::Restart(self.backoff(streak.0))
    }

    /// The delay before a restart that follows `quick_exits` quick exits in a row.
    fn backoff(&self, quick_exits: u32) -> Duration {
        if quick_exits == 0 {
            return Duration::ZERO;
        }
        let doublings = (quick_exits - 1).min(31);
        self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }

    /// Checks the policy's own consistency.
    pub fn validate(&self) -> Result<(), String> {
        if self.initial_backoff.is_zero() {
            return Err("the initial backoff must be above zero, or a restart storm would spin".to_owned());
        }
        if self.stable_after.is_zero() {
            // Then every exit, even a failed spawn, would count as stable and restart at once.
            return Err("stable-after must be above zero, or a restart storm would spin".to_owned());
        }
        if self.initial_backoff > self.max_backoff {
            return Err(format!(
                "the initial backoff ({:?}) is longer than the maximum ({:?})",
                self.initial_backoff, self.max_backoff
            ));
        }
        if self.give_up_after == Some(0) {
            return Err("giving up after 0 quick exits would never start a child".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn policy(restart: Restart) -> Policy {
        Policy {
            restart,
            initial_backoff: 10 * MS,
            max_backoff: 35 * MS,
            stable_after: 100 * MS,
            give_up_after: Some(5),
        }
    }

    #[test]
    fn quick_exits_double_the_backoff_up_to_the_cap_then_give_up() {
        let p = policy(Restart::Always);
        let mut streak = Streak::default();
        let delays: Vec<_> = (0..5).map(|_| p.decide(Ending::Failed, MS, &mut streak)).collect();
        assert_eq!(
            delays,
            [
                Decision::Restart(10 * MS),
                Decision::Restart(20 * MS),
                Decision::Restart(35 * MS),
                Decision::Restart(35 * MS),
                Decision::GiveUp(5)
            ]
        );
    }

    #[test]
    fn a_stable_run_resets_the_streak_and_restarts_at_once() {
        let p = policy(Restart::Always);
        let mut streak = Streak::default();
        p.decide(Ending::Failed, MS, &mut streak);
        p.decide(Ending::Failed, MS, &mut streak);
        assert_eq!(p.decide(Ending::Clean, 100 * MS, &mut streak), Decision::Restart(Duration::ZERO));
        assert_eq!(p.decide(Ending::Failed, MS, &mut streak), Decision::Restart(10 * MS));
    }

    #[test]
    fn policies_choose_which_exits_restart() {
        let mut streak = Streak::default();
        assert_eq!(policy(Restart::OnFailure).decide(Ending::Clean, MS, &mut streak), Decision::LeaveDown);
        assert_eq!(
            policy(Restart::OnFailure).decide(Ending::Failed, MS, &mut streak),
            Decision::Restart(20 * MS)
        );
        assert_eq!(policy(Restart::Never).decide(Ending::Failed, MS, &mut streak), Decision::LeaveDown);
    }

    #[test]
    fn huge_streaks_saturate_instead_of_overflowing() {
        let p = Policy { give_up_after: None, max_backoff: Duration::MAX, ..policy(Restart::Always) };
        let mut streak = Streak(u32::MAX - 1);
        assert_eq!(p.decide(Ending::Failed, MS, &mut streak), Decision::Restart(10 * MS * (1 << 31)));
    }

    #[test]
    fn inconsistent_policies_are_errors() {
        let p = Policy { initial_backoff: MS * 50, ..policy(Restart::Always) };
        assert!(p.validate().unwrap_err().contains("longer than the maximum"));
        assert!(Policy { give_up_after: Some(0), ..policy(Restart::Always) }.validate().is_err());
        assert!(Policy { initial_backoff: Duration::ZERO, ..policy(Restart::Always) }.validate().is_err());
        assert!(Policy { stable_after: Duration::ZERO, ..policy(Restart::Always) }.validate().is_err());
        assert_eq!(Policy::default().validate(), Ok(()));
        assert_eq!(
            "sometimes".parse::<Restart>().unwrap_err(),
            "unknown restart policy `sometimes` (expected always, on-failure or never)"
        );
    }
}
