//! A rollout invocation: the payload `{"Targets": {"defaults": {…}, "targets": [{"name": …}, …]},
//! "Concurrency": 10, "Canary": 0, "MaxFailures": 1}` — the targets document of `ecs-migrate
//! rollout --targets` under `Targets`, the order's numbers beside it (each optional). For small
//! rollouts: the hand-off rule of a run holds for each target, so when the deadline comes the
//! running targets are left running and the invocation fails with `StillRunning`; invoking
//! again with the same payload resumes — succeeded targets are skipped, live ones re-attached,
//! failed ones retried.
//!
//! | outcome | answer |
//! |---|---|
//! | every target succeeded or was skipped | the rollout report with `statusCode: 200` |
//! | a target failed, or the rollout halted | error `RolloutFailed`, naming the failed targets |
//! | the deadline came with targets running | error `StillRunning` (invoke again) |
//! | a target cannot run (checked before anything changes) | error `InvalidInput` |

use crate::failure::Failure;
use crate::log::FunctionLog;
use ecs_migrate_core::aws::AwsOptions;
use ecs_migrate_core::rollout;
use ecs_migrate_core::{
    Error, Limits, RolloutEvent, RolloutProgress, RolloutStatus, Settings, Shutdown, TargetResult,
};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::time::Duration;
use tokio::time::Instant;

const KEYS: [&str; 4] = ["Targets", "Concurrency", "Canary", "MaxFailures"];

/// Whether the payload asks for a rollout.
pub fn is_rollout(payload: &Value) -> bool {
    payload.get("Targets").is_some()
}

pub async fn handle(payload: &Value, hand_off: Instant, wait: Duration) -> Result<Value, Failure> {
    let fields = payload.as_object().cloned().unwrap_or_default();
    if let Some(unknown) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(invalid(
            "payload key",
            unknown,
            &format!(
                "unknown key in a rollout payload; the keys are {}",
                KEYS.join(", ")
            ),
        )
        .into());
    }
    let defaults = Limits::default();
    let limits = Limits {
        canary: number(&fields, "Canary", defaults.canary)?,
        concurrency: number(&fields, "Concurrency", defaults.concurrency)?.max(1),
        max_failures: number(&fields, "MaxFailures", defaults.max_failures)?,
    };
    let mut targets = rollout::parse(&fields["Targets"], &Settings::default())?;
    // Another run's lock is waited for only as long as this invocation can wait.
    for target in &mut targets {
        let request = &mut target.request;
        request.wait_for_lock = request
            .wait_for_lock
            .min(wait.saturating_sub(Duration::from_secs(5)));
    }
    let prepared = rollout::prepare(&AwsOptions::default(), targets).await?;
    let mut shutdown = Shutdown::never().with_hand_off(hand_off);
    let report = rollout::run(&prepared, limits, &FunctionLog, &mut shutdown).await;
    tracing::info!(status = report.status.as_str(), counts = ?report.counts, "rollout ended");
    match report.status {
        RolloutStatus::Succeeded => {
            let mut value = serde_json::to_value(&report).expect("a rollout report serialises");
            if let Some(fields) = value.as_object_mut() {
                fields.insert("statusCode".into(), 200.into());
            }
            Ok(value)
        }
        RolloutStatus::HandedOff => {
            let running: Vec<&str> = report
                .targets
                .iter()
                .filter(|t| t.result.status() == "still_running")
                .map(|t| t.name.as_str())
                .collect();
            Err(Failure {
                error_type: "StillRunning".into(),
                message: format!(
                    "the invocation's deadline came with {} targets still running ({}); their tasks run on and their services stay paused as recorded: invoke again with the same payload to resume (succeeded targets are skipped, running ones re-attached)",
                    running.len(),
                    running.join(", ")
                ),
            })
        }
        _ => {
            let mut message = format!("rollout {}: {:?}", report.status.as_str(), report.counts);
            for target in report.targets.iter().filter(|t| t.result.failed()) {
                let reason = match &target.result {
                    TargetResult::Report(run) => run.reason.clone(),
                    TargetResult::Error(err) => crate::payload::message(err),
                    // Only a summary (`summarize.rs`) has these.
                    TargetResult::NotStarted
                    | TargetResult::Answered(_)
                    | TargetResult::Recorded(_)
                    | TargetResult::Unrecorded => String::new(),
                };
                let _ = write!(
                    message,
                    "\n{}: {}: {reason}",
                    target.name,
                    target.result.status()
                );
            }
            Err(Failure {
                error_type: "RolloutFailed".into(),
                message,
            })
        }
    }
}

fn number(fields: &Map<String, Value>, key: &'static str, default: usize) -> Result<usize, Error> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value.as_u64().map(|n| n as usize).ok_or_else(|| {
            invalid(
                key,
                &value.to_string(),
                "must be a whole number (0 or more)",
            )
        }),
    }
}

fn invalid(input: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidInput {
        input,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

impl RolloutProgress for FunctionLog {
    fn event(&self, event: RolloutEvent<'_>) {
        match event {
            RolloutEvent::Validated { targets, canary } => {
                tracing::info!(targets, canary, "every target resolved")
            }
            RolloutEvent::TargetStarted { target, canary } => {
                tracing::info!(%target, canary, "target started")
            }
            RolloutEvent::Target { target, event } => {
                let _span = tracing::info_span!("target", %target).entered();
                ecs_migrate_core::Progress::event(self, event);
            }
            RolloutEvent::TargetFinished { target, report } => tracing::info!(
                %target,
                status = report.result.status(),
                elapsed = ?report.elapsed,
                "target ended"
            ),
            RolloutEvent::Halted {
                failures,
                not_started,
            } => tracing::warn!(failures, not_started, "halting: no new target starts"),
            RolloutEvent::Stopping {
                running,
                not_started,
            } => tracing::warn!(
                running,
                not_started,
                "the deadline is near: no new target starts"
            ),
            // Only a rollout followed in Step Functions has these; this one runs here.
            RolloutEvent::Execution { status } => tracing::info!(status, "execution"),
        }
    }
}
