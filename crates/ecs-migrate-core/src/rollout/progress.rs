//! [`RolloutProgress`]: what a rollout tells a person while it works — its own events and each
//! target's run events, named by target. Each edge renders them its way (the CLI as a live table
//! or one line per change, the Lambda as log lines).

use crate::progress::{Event, Progress};
use crate::rollout::report::TargetReport;

#[derive(Debug)]
pub enum RolloutEvent<'a> {
    /// Every target was resolved (read-only); nothing has changed yet.
    Validated { targets: usize, canary: usize },
    /// A target's run begins.
    TargetStarted { target: &'a str, canary: bool },
    /// Something a target's run reports.
    Target { target: &'a str, event: Event<'a> },
    /// A target's run ended.
    TargetFinished {
        target: &'a str,
        report: &'a TargetReport,
    },
    /// No new target starts: too many failed, or a canary did.
    Halted { failures: usize, not_started: usize },
    /// The operator stopped the rollout: running targets are being stopped and restored.
    Stopping { running: usize, not_started: usize },
    /// The Step Functions execution running the rollout (`step_functions.rs`) is now in this
    /// status (`RUNNING`, `SUCCEEDED`, `FAILED`, …).
    Execution { status: &'a str },
}

pub trait RolloutProgress: Send + Sync {
    fn event(&self, event: RolloutEvent<'_>);
}

impl RolloutProgress for () {
    fn event(&self, _: RolloutEvent<'_>) {}
}

/// One target's run events, passed on with its name.
pub(crate) struct ForTarget<'a> {
    pub target: &'a str,
    pub rollout: &'a dyn RolloutProgress,
}

impl Progress for ForTarget<'_> {
    fn event(&self, event: Event<'_>) {
        self.rollout.event(RolloutEvent::Target {
            target: self.target,
            event,
        });
    }
}
