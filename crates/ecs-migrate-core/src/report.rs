//! [`Report`]: the outcome of a run, as the CLI prints it in JSON and the Lambda returns it.

use serde::Serialize;

/// Exit statuses of a run that produced a verdict (errors have their own, see [`crate::Error::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Succeeded,
    Failed,
    TimedOut,
    Interrupted,
    /// This migration already succeeded; nothing was run (see `--force`).
    Skipped,
}

impl Status {
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Succeeded => 0,
            Status::Failed => 1,
            Status::TimedOut => 4,
            Status::Interrupted => 130,
            Status::Skipped => 0,
        }
    }

    pub const ALL: [Status; 5] = [
        Status::Succeeded,
        Status::Failed,
        Status::TimedOut,
        Status::Interrupted,
        Status::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::TimedOut => "timed_out",
            Status::Interrupted => "interrupted",
            Status::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    /// The name [`Status::as_str`] gives (what the records and the JSON report hold).
    fn from_str(text: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a status"))
    }
}

/// One entry of RunTask's `failures[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunTaskFailure {
    pub arn: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

impl Report {
    /// A report of `status` for `reason`, with nothing known of a task yet.
    pub(crate) fn new(plan: &crate::Plan, status: Status, reason: String) -> Report {
        Report {
            status,
            reason,
            cluster: plan.cluster.clone(),
            task_definition: plan.task_definition.clone(),
            task_arn: None,
            container: plan.container.clone(),
            migration: plan.migration.to_string(),
            run_id: plan.run_id.clone(),
            exit_code: None,
            stop_code: None,
            stopped_reason: None,
            container_reason: None,
            task_status: None,
            failures: Vec::new(),
            started_at: None,
            stopped_at: None,
            duration_seconds: None,
            services: Vec::new(),
            restore_error: None,
            log_lines: 0,
            log_tail: Vec::new(),
        }
    }

    /// Whether ECS was still tearing the task down when the verdict was given.
    pub fn task_tearing_down(&self) -> bool {
        self.task_status
            .as_deref()
            .is_some_and(|status| status != "STOPPED")
    }

    /// The exit status: the verdict's, unless a paused service could not be restored.
    pub fn exit_code(&self) -> i32 {
        match self.restore_error {
            Some(_) => crate::EXIT_AWS_ERROR,
            None => self.status.exit_code(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    /// One sentence a person can act on: why it failed, or what succeeded.
    pub reason: String,
    /// Cluster ARN.
    pub cluster: String,
    /// Full task definition ARN.
    pub task_definition: String,
    pub task_arn: Option<String>,
    /// The deciding container.
    pub container: String,
    /// The migration's id (task definition revision × container × command).
    pub migration: String,
    /// This run's id (tag `ecs-migrate:run` on the task and the records).
    pub run_id: crate::RunId,
    /// The deciding container's exit code; `null` when it has none (never started, killed early).
    pub exit_code: Option<i32>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// The deciding container's `reason` (e.g. `CannotPullContainerError: ...`).
    pub container_reason: Option<String>,
    /// The task's `lastStatus` when the verdict was given: `STOPPED`, or `DEACTIVATING`,
    /// `STOPPING` or `DEPROVISIONING` while Fargate still tears it down (it stops on its own).
    pub task_status: Option<String>,
    /// RunTask `failures[]`, when ECS refused to place the task.
    pub failures: Vec<RunTaskFailure>,
    /// RFC 3339, as ECS reports them: `startedAt`, and when the containers stopped
    /// (`executionStoppedAt`, else the task's `stoppedAt`).
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    /// From `started_at` (or `createdAt` when it never started) to `stopped_at`.
    pub duration_seconds: Option<f64>,
    /// What happened to each paused service (`--service`).
    pub services: Vec<crate::ServiceReport>,
    /// Set when a service could not be restored: the run then exits 3 whatever the verdict.
    pub restore_error: Option<String>,
    /// How many log lines were read from the container's stream (0 when logs are off).
    pub log_lines: u64,
    /// The last lines the migration wrote (`--log-tail`, default 20), oldest first.
    pub log_tail: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_round_trips_through_its_name() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert!("done".parse::<Status>().is_err());
    }
}
