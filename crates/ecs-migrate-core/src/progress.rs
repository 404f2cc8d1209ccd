//! [`Progress`]: what the core tells a person while it works. The core only emits [`Event`]s; each
//! edge renders them its own way (the CLI as lines or a spinner on stderr, the Lambda as log lines).

use crate::Plan;
use std::time::Duration;

#[derive(Debug)]
pub enum Event<'a> {
    /// The plan is resolved; nothing has changed in AWS yet.
    Planned(&'a Plan),
    /// RunTask returned this task.
    TaskStarted { task_arn: &'a str },
    /// ECS reports a new `lastStatus` for the task.
    TaskStatus {
        task_arn: &'a str,
        status: &'a str,
        elapsed: Duration,
    },
    /// An AWS call failed in a way worth waiting out (throttling, a 5xx, a network fault).
    Retrying {
        operation: &'static str,
        message: String,
        retry_in: Duration,
    },
    /// ecs-migrate is stopping the task (timeout or interrupt).
    Stopping { task_arn: &'a str, reason: &'a str },
    /// A line the migration wrote (CloudWatch Logs), in order, each exactly once.
    LogLine {
        timestamp_ms: Option<i64>,
        message: &'a str,
    },
    /// The migration's output cannot be shown; the reason says why.
    LogsUnavailable { reason: &'a str },
    /// Something a person should know that does not change the outcome.
    Warning(String),
}

pub trait Progress: Send + Sync {
    fn event(&self, event: Event<'_>);
}

/// No progress output (tests, library users who only want the report).
impl Progress for () {
    fn event(&self, _: Event<'_>) {}
}
