//! The one error type of ecs-migrate.
//!
//! A migration that *ran* and failed is not an error: it is a [`crate::Report`] with a status.
//! An `Error` means ecs-migrate could not do its job: the input was wrong (exit 2) or AWS refused or
//! failed a call (exit 3). Every variant carries the values the user gave, and its message says what
//! to do next.

mod aws;
mod fields;
mod kind;

use crate::Field;
use aws::aws_message;
pub(crate) use aws::{classify, one_line, Retry};
pub use kind::ErrorKind;

/// Exit status for bad input.
pub const EXIT_INVALID_INPUT: i32 = 2;
/// Exit status for an AWS error (not found, access denied, throttled for too long...).
pub const EXIT_AWS_ERROR: i32 = 3;
/// Exit status when ecs-migrate stopped waiting (a Lambda's hand-off) with the task still running.
pub const EXIT_STILL_RUNNING: i32 = 6;
/// Exit status when another run holds the app and did not let go in time.
pub const EXIT_LOCKED: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- input that can be judged without AWS ----
    #[error("invalid task definition `{value}`: {reason}; give a family (`app`), `family:revision` (`app:42`) or a full ARN (`arn:aws:ecs:REGION:ACCOUNT:task-definition/app:42`)")]
    InvalidTaskDefinition { value: String, reason: String },

    #[error("revision {revision} conflicts with task definition `{task_definition}`, which already names revision {existing}: give only one of them")]
    RevisionConflict {
        task_definition: String,
        revision: u32,
        existing: u32,
    },

    #[error("revision {revision} needs a task definition family or a revision-less ARN to apply to: give the task definition")]
    RevisionWithoutTaskDefinition { revision: u32 },

    #[error("no task definition to run: give one (a family, `family:revision` or an ARN), or a service whose task definition to run")]
    MissingTaskDefinition,

    #[error("invalid {field} `{value}`: {reason}")]
    InvalidValue {
        field: Field,
        value: String,
        reason: String,
    },

    /// An input only an edge knows (the Lambda's payload as a whole, an environment variable
    /// the CLI reads), named by that edge.
    #[error("invalid {input} `{value}`: {reason}")]
    InvalidInput {
        input: &'static str,
        value: String,
        reason: String,
    },

    #[error("launch type {launch_type} and capacity providers are mutually exclusive in ECS: give one of them")]
    LaunchTypeAndCapacityProviders { launch_type: String },

    #[error("no AWS region: give one, or set AWS_REGION or a region in your AWS profile")]
    NoRegion,

    // ---- input judged against what AWS holds (read-only calls) ----
    #[error("cluster `{cluster}` not found{status}: check the name and the region/account (`aws ecs list-clusters`)", status = status.as_deref().map(|s| format!(" (status {s})")).unwrap_or_default())]
    ClusterNotFound {
        cluster: String,
        status: Option<String>,
    },

    #[error("service `{service}` not found in cluster `{cluster}`{status}: check the name (`aws ecs list-services --cluster {cluster}`)", status = status.as_deref().map(|s| format!(" (status {s})")).unwrap_or_default())]
    ServiceNotFound {
        cluster: String,
        service: String,
        status: Option<String>,
    },

    #[error("service `{service}` in cluster `{cluster}` names no task definition (is it deployed with CodeDeploy task sets?): give the task definition to run")]
    ServiceWithoutTaskDefinition { cluster: String, service: String },

    #[error("task definition `{task_definition}` not found: check the family and revision (`aws ecs list-task-definitions --family-prefix FAMILY`) and the region")]
    TaskDefinitionNotFound { task_definition: String },

    #[error("task definition `{task_definition}` uses network mode awsvpc, which needs subnets: give the subnets (and security groups), or a service whose network configuration to use")]
    NoSubnets { task_definition: String },

    #[error("task definition `{task_definition}` has several essential containers ({}): name the one that runs the migration", containers.join(", "))]
    SeveralEssentialContainers {
        task_definition: String,
        containers: Vec<String>,
    },

    #[error("task definition `{task_definition}` has no essential container: name the one that runs the migration (one of: {})", containers.join(", "))]
    NoEssentialContainer {
        task_definition: String,
        containers: Vec<String>,
    },

    #[error("task definition `{task_definition}` has no container `{container}`: name one of: {}", containers.join(", "))]
    UnknownContainer {
        task_definition: String,
        container: String,
        containers: Vec<String>,
    },

    #[error("service `{service}` in cluster `{cluster}` carries an unreadable ecs-migrate pause record ({problem}); set its desired count by hand and remove its `ecs-migrate:*` tags (`aws ecs untag-resource`)")]
    BrokenPauseRecord {
        cluster: String,
        service: String,
        problem: String,
    },

    #[error("the lock of task definition family `{family}` on cluster `{cluster}` (tag `ecs-migrate:lock:{family}`) is unreadable ({problem}); if no run of it is going, clear it with `{unlock}`")]
    BrokenLock {
        cluster: String,
        family: String,
        problem: String,
        /// The `ecs-migrate unlock` command that clears it.
        unlock: String,
    },

    #[error("the lock's S3 bucket `{bucket}` does not exist (or is in another account): create it, or give a lock in a bucket that exists")]
    LockBucketNotFound { bucket: String },

    // ---- AWS failures ----
    #[error("{}", aws_message(operation, resource.as_deref(), (code.as_deref(), message), *transient, *retried_for))]
    Aws {
        /// The API operation, as the IAM action names it after the service prefix (`RunTask`).
        operation: &'static str,
        /// What it was about: `cluster `prod``, `service `web``, `task `…``.
        resource: Option<String>,
        /// AWS's error code (`AccessDeniedException`), when AWS answered.
        code: Option<String>,
        /// AWS's message, or what went wrong on the way (timeout, connection).
        message: String,
        /// Throttling, a 5xx or a network fault: a loop that waits anyway may wait it out.
        transient: bool,
        /// How long the call was retried (on top of the SDK's attempts) before giving up.
        retried_for: Option<std::time::Duration>,
    },

    #[error("RunTask's idempotency token for this migration in cluster `{cluster}` was already used by {} for a different request, and none of them is a task of this migration; nothing was started. Check those tasks (`aws ecs describe-tasks`); ECS forgets a token 24 hours after its first use", tasks.join(", "))]
    TokenConflict { cluster: String, tasks: Vec<String> },

    #[error("the {what} record on {resource} would break AWS's tag limits: {problem}. Nothing was changed. {fix}")]
    TagLimit {
        what: &'static str,
        resource: String,
        problem: String,
        fix: String,
    },

    #[error("{what} is locked by run {run_id} since {since}{task}; waited {waited}s. A live run renews its lock every 30s; a dead one's is taken over once its task has stopped and 2-3 min after its last renewal: wait for it, wait longer for the lock, or, if you know that run is gone: `{unlock}`", run_id = by.run_id, since = by.since, task = by.task.as_deref().map(|t| format!(" (task {t})")).unwrap_or_default())]
    Locked {
        cluster: String,
        what: String,
        by: Box<LockHolder>,
        waited: u64,
        /// The `ecs-migrate unlock` command that clears it.
        unlock: String,
    },

    #[error("lost the lock on task definition family `{family}` in cluster `{cluster}`{by}: another run took the app while this one paused its services (they started at the same instant, and the cluster's lock tag cannot tell who was first; or this run could not renew its lock for over 2 minutes and was taken for dead). No task was started; the services are left to the run that holds the lock now. Run again once it is done", by = by.as_ref().map(|r| format!(" to run {r}")).unwrap_or_default())]
    LockLost {
        cluster: String,
        family: String,
        by: Option<crate::RunId>,
    },

    #[error("the migration task {task_arn} is still running in cluster `{cluster}`; stopped waiting for it after {waited}s, before the invocation's deadline. The paused services stay paused and the live task keeps the app this run's: invoke again with the same payload to re-attach to the same task (nothing runs twice), or follow it with `ecs-migrate run` and the same arguments")]
    StillRunning {
        cluster: String,
        task_arn: String,
        waited: u64,
    },

    /// Paused services could not be put back. `cause` is what ended the run first, when
    /// something did: the exit status follows it (a [`Error::LockLost`] still exits 5).
    #[error("{}{restore_error}", cause.as_ref().map(|c| format!("{c}; then, restoring the paused services: ")).unwrap_or_default())]
    RestoreFailed {
        cluster: String,
        #[source]
        cause: Option<Box<Error>>,
        restore_error: String,
    },

    // ---- a rollout's targets (`rollout/targets.rs`) ----
    #[error("invalid targets file: {reason}")]
    InvalidTargetsFile { reason: String },

    #[error("target `{target}`{key}: {cause}", key = key.as_deref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    InvalidTarget {
        target: String,
        /// The targets file's key that would fix it, when one would.
        key: Option<&'static str>,
        #[source]
        cause: Box<Error>,
    },

    #[error("{} of the {total} targets cannot run, so nothing was started: {}", problems.len(), problems.iter().map(Error::to_string).collect::<Vec<_>>().join("; "))]
    InvalidTargets { total: usize, problems: Vec<Error> },

    /// A target's run in a rollout run by Step Functions (a Map Run's child execution) failed
    /// without a verdict: the Lambda's errorType (`Locked`, `InvalidInput`, …) or the child's
    /// status, and its message.
    #[error("{error}{} (Step Functions execution `{execution}`)", if message.is_empty() { String::new() } else { format!(": {message}") })]
    ItemFailed {
        execution: String,
        error: String,
        message: String,
    },

    #[error("Step Functions execution `{execution}` ended {status} without a rollout summary ({failure}): see its history (`aws stepfunctions get-execution-history --execution-arn {execution}`), fix the cause, and start a new execution")]
    ExecutionEnded {
        execution: String,
        status: String,
        failure: String,
    },

    #[error("task `{task_arn}` in cluster `{cluster}` is still reported MISSING {seconds}s after RunTask returned it; check it with `aws ecs describe-tasks --cluster {cluster} --tasks {task_arn}`")]
    TaskMissing {
        cluster: String,
        task_arn: String,
        seconds: u64,
    },

    #[error("lost track of task `{task_arn}` in cluster `{cluster}`: {message}. It may still be running: stop it with `aws ecs stop-task --cluster {cluster} --task {task_arn}`")]
    LostTask {
        cluster: String,
        task_arn: String,
        message: String,
    },
}

/// The run that holds a lock another run waited for (boxed in [`Error::Locked`] to keep the
/// error small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub run_id: crate::RunId,
    /// When it took the lock.
    pub since: crate::Timestamp,
    /// Its migration task, when one is live.
    pub task: Option<String>,
}

impl Error {
    /// The process exit status this error maps to.
    pub fn code(&self) -> i32 {
        match self {
            Error::Locked { .. } | Error::LockLost { .. } => EXIT_LOCKED,
            Error::StillRunning { .. } => EXIT_STILL_RUNNING,
            Error::RestoreFailed {
                cause: Some(cause), ..
            } => cause.code(),
            Error::InvalidTaskDefinition { .. }
            | Error::InvalidInput { .. }
            | Error::RevisionConflict { .. }
            | Error::RevisionWithoutTaskDefinition { .. }
            | Error::MissingTaskDefinition
            | Error::InvalidValue { .. }
            | Error::LaunchTypeAndCapacityProviders { .. }
            | Error::NoRegion
            | Error::NoSubnets { .. }
            | Error::SeveralEssentialContainers { .. }
            | Error::NoEssentialContainer { .. }
            | Error::UnknownContainer { .. }
            | Error::ServiceWithoutTaskDefinition { .. }
            | Error::BrokenPauseRecord { .. }
            | Error::BrokenLock { .. }
            | Error::LockBucketNotFound { .. }
            | Error::InvalidTargetsFile { .. }
            | Error::InvalidTarget { .. }
            | Error::InvalidTargets { .. }
            | Error::TagLimit { .. } => EXIT_INVALID_INPUT,
            Error::ClusterNotFound { .. }
            | Error::ServiceNotFound { .. }
            | Error::TaskDefinitionNotFound { .. }
            | Error::Aws { .. }
            | Error::TokenConflict { .. }
            | Error::TaskMissing { .. }
            | Error::RestoreFailed { .. }
            | Error::LostTask { .. }
            | Error::ExecutionEnded { .. } => EXIT_AWS_ERROR,
            // The Lambda's errorType, as the run there exited.
            Error::ItemFailed { error, .. } => match error.as_str() {
                "InvalidInput" => EXIT_INVALID_INPUT,
                "Locked" => EXIT_LOCKED,
                "StillRunning" => EXIT_STILL_RUNNING,
                _ => EXIT_AWS_ERROR,
            },
        }
    }

    /// What kind of error this is, for a program reading it (the CLI's JSON, the Lambda's
    /// `errorType`).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RestoreFailed { .. } => ErrorKind::RestoreFailed,
            _ => match self.code() {
                EXIT_INVALID_INPUT => ErrorKind::InvalidInput,
                EXIT_LOCKED => ErrorKind::Locked,
                EXIT_STILL_RUNNING => ErrorKind::StillRunning,
                _ => ErrorKind::AwsError,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_exit_2_and_aws_errors_exit_3() {
        assert_eq!(Error::MissingTaskDefinition.code(), 2);
        assert_eq!(
            Error::ClusterNotFound {
                cluster: "prod".into(),
                status: None
            }
            .code(),
            3
        );
    }

    #[test]
    fn a_restore_failure_exits_as_the_error_that_ended_the_run_first() {
        let after = |cause: Error| Error::RestoreFailed {
            cluster: "prod".into(),
            cause: Some(Box::new(cause)),
            restore_error: "could not restore web".into(),
        };
        let lost = after(Error::LockLost {
            cluster: "prod".into(),
            family: "app".into(),
            by: None,
        });
        assert_eq!(lost.code(), EXIT_LOCKED);
        assert_eq!(lost.kind(), ErrorKind::RestoreFailed);
        assert_eq!(
            after(Error::MissingTaskDefinition).code(),
            EXIT_INVALID_INPUT
        );
        let alone = Error::RestoreFailed {
            cluster: "prod".into(),
            cause: None,
            restore_error: "restored 1 of 2 services".into(),
        };
        assert_eq!(alone.code(), EXIT_AWS_ERROR);
        assert_eq!(alone.to_string(), "restored 1 of 2 services");
        let source = std::error::Error::source(&lost).map(ToString::to_string);
        assert!(source.unwrap().starts_with("lost the lock"));
    }

    #[test]
    fn messages_name_the_value_and_the_fix() {
        let err = Error::SeveralEssentialContainers {
            task_definition: "arn:aws:ecs:eu-west-1:1:task-definition/app:3".into(),
            containers: vec!["app".into(), "worker".into()],
        };
        let text = err.to_string();
        assert!(text.contains("app, worker"), "{text}");
        assert!(!text.contains("--"), "no CLI flag in the core: {text}");
        assert_eq!(err.fields(), [Field::Container]);

        let err = Error::ServiceNotFound {
            cluster: "prod".into(),
            service: "web".into(),
            status: Some("INACTIVE".into()),
        };
        assert_eq!(
            err.to_string(),
            "service `web` not found in cluster `prod` (status INACTIVE): check the name (`aws ecs list-services --cluster prod`)"
        );
    }
}
