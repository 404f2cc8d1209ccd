//! [`Progress`]: what the core tells a person while it works. The core only emits [`Event`]s; each
//! edge renders them its own way (the CLI as lines or a spinner on stderr, the Lambda as log lines).

use crate::{LockHolder, Plan, RunId, Timestamp};
use std::time::Duration;

#[derive(Debug)]
pub enum Event<'a> {
    /// The plan is resolved; nothing has changed in AWS yet.
    Planned(&'a Plan),
    /// RunTask returned this task.
    TaskStarted { task_arn: &'a str },
    /// A live task of this migration was found (a run that died, a re-invoked Lambda): this
    /// run watches it instead of starting another.
    Attached { task_arn: &'a str },
    /// Another run of this same migration holds the app and its task is alive: this run joins it.
    Joined {
        task_arn: &'a str,
        run_id: &'a RunId,
    },
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
    /// A service still carries the pause record of a run that did not finish.
    LeftoverFound {
        service: &'a str,
        run_id: &'a RunId,
        paused_at: Timestamp,
        desired_count: i32,
        now: i32,
    },
    /// A service's desired count was lowered for the pause.
    ServicePaused {
        service: &'a str,
        from: i32,
        to: i32,
    },
    /// Tasks of the paused services still running (beyond the paused count).
    Draining { remaining: usize, elapsed: Duration },
    /// Every paused service's old tasks have stopped; the migration may start.
    ServicesDrained { elapsed: Duration },
    /// A service is back at `desired_count` (and its auto scaling as recorded).
    ServiceRestored {
        service: &'a str,
        desired_count: i32,
        autoscaling: bool,
    },
    /// `--keep-paused-on-failure`: the services stay paused; `command` restores them.
    KeptPaused {
        services: &'a [&'a str],
        command: &'a str,
    },
    /// Outcome records of an earlier version were moved from the revision's tags to Parameter
    /// Store (under `to`).
    RecordsMoved {
        task_definition: &'a str,
        count: usize,
        to: &'a str,
    },
    /// Another run holds the app: this run waits for it, up to `up_to` (said once).
    WaitingForLock {
        /// `task definition family app` or `service web`.
        what: &'a str,
        holder: &'a LockHolder,
        up_to: Duration,
    },
    /// The run that held `what` is gone (no live task, no renewal for `silent_for`): this run
    /// takes its lock over.
    TakingOverLock {
        what: &'a str,
        run_id: &'a RunId,
        since: Timestamp,
        silent_for: Duration,
    },
    /// This run could not renew its lock; other runs may take the app `take_over_after` the
    /// last renewal. The next renewal may succeed.
    RenewalFailed {
        error: &'a crate::Error,
        take_over_after: Duration,
    },
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
