//! [`FunctionLog`]: the core's progress as the function's log lines (CloudWatch Logs, through
//! the runtime's tracing subscriber). The migration's own output is logged line by line, so the
//! function's log group holds the whole run.

use ecs_migrate_core::{Event, Progress};

pub struct FunctionLog;

impl Progress for FunctionLog {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Planned(plan) => tracing::info!(
                cluster = %plan.cluster,
                task_definition = %plan.task_definition,
                container = %plan.container,
                migration = %plan.migration,
                "plan resolved"
            ),
            Event::TaskStarted { task_arn } => tracing::info!(%task_arn, "migration task started"),
            Event::Attached { task_arn } => {
                tracing::info!(%task_arn, "re-attached to this migration's running task")
            }
            Event::Joined { task_arn, run_id } => {
                tracing::info!(%task_arn, %run_id, "joined the run already migrating")
            }
            Event::TaskStatus {
                task_arn, status, ..
            } => tracing::info!(%task_arn, %status, "task status"),
            Event::Retrying {
                operation,
                message,
                retry_in,
            } => tracing::warn!(%operation, ?retry_in, "retrying: {message}"),
            Event::Stopping { task_arn, reason } => {
                tracing::warn!(%task_arn, "stopping the task: {reason}")
            }
            Event::LogLine { message, .. } => tracing::info!(target: "migration", "{message}"),
            Event::LogsUnavailable { reason } => tracing::warn!("no migration logs: {reason}"),
            Event::LeftoverFound {
                service,
                run_id,
                desired_count,
                ..
            } => tracing::warn!(
                %service, %run_id, desired_count,
                "a run that did not finish left this service paused: restoring it first"
            ),
            Event::ServicePaused { service, from, to } => {
                tracing::info!(%service, from, to, "service paused")
            }
            Event::Draining { remaining, .. } => {
                tracing::info!(remaining, "waiting for the services' tasks to stop")
            }
            Event::ServicesDrained { elapsed } => tracing::info!(?elapsed, "services drained"),
            Event::ServiceRestored {
                service,
                desired_count,
                ..
            } => tracing::info!(%service, desired_count, "service restored"),
            Event::KeptPaused { services, command } => {
                tracing::warn!(?services, "services left paused; to restore: {command}")
            }
            Event::RecordsMoved {
                task_definition,
                count,
                to,
            } => tracing::info!(
                "moved {count} outcome record(s) from the tags of {task_definition} to Parameter Store ({to}/…)"
            ),
            Event::WaitingForLock {
                what,
                holder,
                up_to,
            } => tracing::warn!(
                what,
                run_id = %holder.run_id,
                since = %holder.since,
                task = holder.task.as_deref(),
                up_to_s = up_to.as_secs(),
                "another run holds the app: waiting for it"
            ),
            Event::TakingOverLock {
                what,
                run_id,
                since,
                silent_for,
            } => tracing::warn!(
                what,
                %run_id,
                %since,
                silent_for_s = silent_for.as_secs(),
                "the run that held the app is gone: taking over its lock"
            ),
            Event::RenewalFailed {
                error,
                take_over_after,
            } => tracing::warn!(
                error = %error,
                take_over_after_s = take_over_after.as_secs(),
                "could not renew the lock"
            ),
            Event::Warning(message) => tracing::warn!("{message}"),
        }
    }
}
