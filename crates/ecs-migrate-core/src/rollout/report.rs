//! [`RolloutReport`]: what a rollout did, target by target — the JSON document of
//! `--output json` and the Lambda's answer.

use crate::{Error, Report, Status};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The rollout as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutStatus {
    /// Every target succeeded or was skipped (it had succeeded before).
    Succeeded,
    /// Every target ran, and some did not succeed.
    Failed,
    /// Too many failures (or a failed canary): targets were left not started.
    Halted,
    /// Stopped by the operator: the running targets were stopped and restored, the rest not
    /// started.
    Interrupted,
    /// The Lambda's deadline came: running targets were left running (re-invoke to resume).
    HandedOff,
}

impl RolloutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutStatus::Succeeded => "succeeded",
            RolloutStatus::Failed => "failed",
            RolloutStatus::Halted => "halted",
            RolloutStatus::Interrupted => "interrupted",
            RolloutStatus::HandedOff => "handed_off",
        }
    }

    /// 0 all succeeded or skipped, 1 any failed or halted, 130 interrupted, 6 handed off.
    pub fn exit_code(self) -> i32 {
        match self {
            RolloutStatus::Succeeded => 0,
            RolloutStatus::Failed | RolloutStatus::Halted => 1,
            RolloutStatus::Interrupted => Status::Interrupted.exit_code(),
            RolloutStatus::HandedOff => crate::EXIT_STILL_RUNNING,
        }
    }
}

/// How one target ended.
#[derive(Debug)]
pub enum TargetResult {
    /// Its run gave a verdict (succeeded, failed, timed out, interrupted, skipped).
    Report(Box<Report>),
    /// Its run could not proceed (an AWS error, another run holds it, still running at a
    /// hand-off).
    Error(Error),
    /// The rollout halted or was interrupted before its turn.
    NotStarted,
    /// Run elsewhere (a Step Functions item: `summary.rs`), and answered.
    Answered(super::summary::Answered),
    /// Run elsewhere, its answer lost: its migration's outcome record, written since the
    /// rollout began.
    Recorded(crate::Outcome),
    /// Run elsewhere with every target's turn taken, and neither an answer nor an outcome
    /// record: its run failed before its task (another run's lock, an AWS error).
    Unrecorded,
}

impl TargetResult {
    /// The target's status word: the run's status, `error` or `not_started` (`still_running`
    /// for a run handed off with its task alive).
    pub fn status(&self) -> &'static str {
        match self {
            TargetResult::Report(report) => report.status.as_str(),
            TargetResult::Error(Error::StillRunning { .. }) => "still_running",
            TargetResult::Error(_) | TargetResult::Unrecorded => "error",
            TargetResult::NotStarted => "not_started",
            TargetResult::Answered(answered) => answered.status.as_str(),
            TargetResult::Recorded(outcome) => outcome.status.as_str(),
        }
    }

    /// Whether it counts against `max failures`.
    pub fn failed(&self) -> bool {
        match self {
            TargetResult::Report(report) => failure(report.status),
            TargetResult::Answered(answered) => failure(answered.status),
            TargetResult::Recorded(outcome) => failure(outcome.status),
            TargetResult::Error(Error::StillRunning { .. }) => false,
            TargetResult::Error(_) | TargetResult::Unrecorded => true,
            TargetResult::NotStarted => false,
        }
    }

    pub fn succeeded(&self) -> bool {
        let status = match self {
            TargetResult::Report(report) => report.status,
            TargetResult::Answered(answered) => answered.status,
            TargetResult::Recorded(outcome) => outcome.status,
            _ => return false,
        };
        matches!(status, Status::Succeeded | Status::Skipped)
    }
}

fn failure(status: Status) -> bool {
    matches!(status, Status::Failed | Status::TimedOut)
}

/// One target's line in the report.
#[derive(Debug)]
pub struct TargetReport {
    pub name: String,
    pub result: TargetResult,
    /// From its start to its end (zero when not started).
    pub elapsed: Duration,
}

impl Serialize for TargetReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("status", self.result.status())?;
        map.serialize_entry("elapsed_seconds", &self.elapsed.as_secs_f64())?;
        match &self.result {
            TargetResult::Report(report) => map.serialize_entry("report", report)?,
            TargetResult::Error(err) => map.serialize_entry(
                "report",
                &serde_json::json!({
                    "status": "error",
                    "kind": err.kind().as_str(),
                    "exit_code": err.code(),
                    "error": err.to_string(),
                }),
            )?,
            TargetResult::NotStarted => map.serialize_entry("report", &())?,
            TargetResult::Answered(answered) => map.serialize_entry("report", &answered.report)?,
            TargetResult::Recorded(outcome) => map.serialize_entry(
                "report",
                &serde_json::json!({
                    "status": outcome.status.as_str(),
                    "source": "outcome record",
                    "outcome": outcome,
                }),
            )?,
            TargetResult::Unrecorded => map.serialize_entry(
                "report",
                &serde_json::json!({
                    "status": "error",
                    "error": "its run failed before its task ran (another run's lock, an AWS error) and recorded nothing; the execution's history has its error",
                }),
            )?,
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
pub struct RolloutReport {
    pub status: RolloutStatus,
    /// How many targets ended each way, by status word.
    pub counts: BTreeMap<&'static str, usize>,
    /// Every target, in the file's order.
    pub targets: Vec<TargetReport>,
    pub elapsed_seconds: f64,
}

impl RolloutReport {
    pub(crate) fn new(
        status: RolloutStatus,
        targets: Vec<TargetReport>,
        elapsed: Duration,
    ) -> Self {
        let mut counts = BTreeMap::new();
        for target in &targets {
            *counts.entry(target.result.status()).or_insert(0) += 1;
        }
        RolloutReport {
            status,
            counts,
            targets,
            elapsed_seconds: elapsed.as_secs_f64(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.status.exit_code()
    }
}
