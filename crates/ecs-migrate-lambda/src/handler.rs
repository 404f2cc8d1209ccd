//! One invocation: payload → request → plan → the core's run → a response or an error.
//!
//! Deadline-aware: the run hands off [`hand_off_margin`] before the invocation's deadline. If
//! the task is still running then, it is left running with the services paused as recorded and
//! the lock held, and the invocation fails with `StillRunning` naming the task; invoking again
//! with the same payload re-attaches to that task (run-once), so a migration longer than
//! Lambda's 15 minutes runs to the end across invocations and never twice.

use crate::failure::Failure;
use crate::log::FunctionLog;
use crate::payload;
use ecs_migrate_core::aws::AwsOptions;
use ecs_migrate_core::{migration, Clients, Progress, Shutdown, Status};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How long before the deadline the run stops waiting: a tenth of the time left, between 2 s and
/// 60 s (enough to log, answer the Runtime API, and for the function's own timeout to not hit).
pub fn hand_off_margin(time_left: Duration) -> Duration {
    (time_left / 10).clamp(Duration::from_secs(2), Duration::from_secs(60))
}

pub async fn handle(event: LambdaEvent<Value>) -> Result<Value, Failure> {
    let time_left = event
        .context
        .deadline()
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let wait = time_left.saturating_sub(hand_off_margin(time_left));
    let hand_off = Instant::now() + wait;
    if crate::rollout::is_rollout(&event.payload) {
        return crate::rollout::handle(&event.payload, hand_off, wait).await;
    }
    if crate::target::is_target(&event.payload) {
        return crate::target::handle(&event.payload, hand_off, wait).await;
    }
    if crate::summarize::is_summary(&event.payload) {
        return crate::summarize::handle(&event.payload).await;
    }
    let request = payload::request(&event.payload)?;
    run(&AwsOptions::default(), request, hand_off, wait).await
}

/// One run of `request`, with `options`' credentials, handing off at `hand_off` (`wait` from
/// now): the report as the success answer, or the failure it stands for.
pub(crate) async fn run(
    options: &AwsOptions,
    mut request: ecs_migrate_core::Request,
    hand_off: Instant,
    wait: Duration,
) -> Result<Value, Failure> {
    // A lock held by another run is waited for only as long as this invocation can wait.
    request.wait_for_lock = request
        .wait_for_lock
        .min(wait.saturating_sub(Duration::from_secs(5)));

    let config = ecs_migrate_core::aws::load(options).await?;
    let clients = Clients::new(&config);
    let plan = ecs_migrate_core::resolve(&clients, &request).await?;
    let progress = FunctionLog;
    progress.event(ecs_migrate_core::Event::Planned(&plan));

    let mut shutdown = Shutdown::never().with_hand_off(hand_off);
    let report = migration::run(&clients, &plan, &progress, &mut shutdown).await?;
    tracing::info!(status = report.status.as_str(), "{}", report.reason);
    if let Some(failure) = Failure::from_report(&report) {
        return Err(failure);
    }
    debug_assert!(matches!(report.status, Status::Succeeded | Status::Skipped));
    Ok(success(&report))
}

/// The success response: the report, plus the `statusCode: 200` the replaced Lambda answered,
/// for the scripts that look for it.
fn success(report: &ecs_migrate_core::Report) -> serde_json::Value {
    let mut value = serde_json::to_value(report).expect("a report serialises");
    if let Some(fields) = value.as_object_mut() {
        fields.insert("statusCode".into(), 200.into());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_leaves_time_to_answer() {
        assert_eq!(
            hand_off_margin(Duration::from_secs(900)),
            Duration::from_secs(60)
        );
        assert_eq!(
            hand_off_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            hand_off_margin(Duration::from_secs(5)),
            Duration::from_secs(2)
        );
    }
}
