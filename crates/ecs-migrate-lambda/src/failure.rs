//! [`Failure`]: how a run that did not succeed reaches the caller — as a Lambda *error*, with a
//! stable `errorType`, so `aws lambda invoke` reports `FunctionError` and Terraform's
//! `aws_lambda_invocation` fails the apply.
//!
//! | errorType | when |
//! |---|---|
//! | `MigrationFailed` | the migration ran and failed (exit code, failed to start, RunTask failures) |
//! | `TimedOut` | the run's `Timeout` passed; the task was stopped |
//! | `StillRunning` | the invocation's deadline came first; the task runs on — invoke again with the same payload to re-attach |
//! | `Interrupted` | the deadline came before the task started (waiting for the services to drain) |
//! | `InvalidInput` | the payload, or what it names in AWS, is wrong; nothing changed |
//! | `Locked` | another run held the app for longer than `WaitForLock` |
//! | `RestoreFailed` | a paused service could not be put back (`ecs-migrate restore` can) |
//! | `AwsError` | AWS refused or failed a call |
//! | `RolloutFailed` | a rollout (`Targets` payload, `rollout.rs`) had a failed target, or halted |

use ecs_migrate_core::{Error, ErrorKind, Report, Status};
use lambda_runtime::Diagnostic;
use std::fmt::Write as _;

/// How many of the migration's last log lines go into the error message.
const TAIL_IN_MESSAGE: usize = 10;

#[derive(Debug)]
pub struct Failure {
    pub error_type: String,
    pub message: String,
}

impl Failure {
    /// The failure a finished run stands for, if it did not succeed.
    pub fn from_report(report: &Report) -> Option<Failure> {
        if report.exit_code() == 0 {
            return None;
        }
        let error_type = match (report.status, &report.restore_error) {
            (_, Some(_)) if report.status.exit_code() == 0 => {
                ErrorKind::RestoreFailed.pascal_case()
            }
            (Status::TimedOut, _) => "TimedOut".into(),
            (Status::Interrupted, _) => "Interrupted".into(),
            _ => "MigrationFailed".into(),
        };
        let mut message = report.reason.clone();
        if let Some(task) = &report.task_arn {
            let _ = write!(message, " (task {task})");
        }
        if let Some(restore_error) = &report.restore_error {
            let _ = write!(message, "; restoring the services failed: {restore_error}");
        }
        let tail = &report.log_tail[report.log_tail.len().saturating_sub(TAIL_IN_MESSAGE)..];
        if !tail.is_empty() {
            let _ = write!(message, "\nlast log lines:\n{}", tail.join("\n"));
        }
        Some(Failure {
            error_type,
            message,
        })
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure {
            error_type: err.kind().pascal_case(),
            message: crate::payload::message(&err),
        }
    }
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        Diagnostic {
            error_type: failure.error_type,
            error_message: failure.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_get_stable_types() {
        let still = Error::StillRunning {
            cluster: "prod".into(),
            task_arn: "arn:aws:ecs:eu-west-1:1:task/prod/abc".into(),
            waited: 840,
        };
        let failure = Failure::from(still);
        assert_eq!(failure.error_type, "StillRunning");
        assert!(failure.message.contains("task/prod/abc"));
        assert!(failure
            .message
            .contains("invoke again with the same payload"));

        let invalid = Error::NoRegion;
        assert_eq!(Failure::from(invalid).error_type, "InvalidInput");
    }
}
