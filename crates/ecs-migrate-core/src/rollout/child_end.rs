//! [`ChildEnd`]: what a Map Run child execution's end (`map_run_items.rs`) means for its
//! target — the run's answer when it succeeded; when it failed with a verdict (the Lambda's
//! errorTypes `MigrationFailed`, `TimedOut`, `Interrupted`), that verdict with the reason and
//! log lines of the Lambda's message; else [`Error::ItemFailed`]. Only the Lambda's own message
//! is shown: a cause Step Functions wrote itself can quote the item's input.

use super::report::TargetResult;
use super::summary::Answered;
use crate::{Error, Status};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{json, Value};
use std::time::Duration;

/// The errors a child ends with when its target's run gave a verdict (the Lambda's errorTypes,
/// `crates/ecs-migrate-lambda/src/failure.rs`); any other error is the run's failure to proceed.
const VERDICTS: [(&str, Status); 3] = [
    ("MigrationFailed", Status::Failed),
    ("TimedOut", Status::TimedOut),
    ("Interrupted", Status::Interrupted),
];

/// A child execution as described.
pub(super) struct ChildEnd<'a> {
    pub arn: &'a str,
    pub target: &'a str,
    pub status: &'a ExecutionStatus,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
    pub cause: Option<&'a str>,
}

impl ChildEnd<'_> {
    /// Its target's result, `None` while it runs: the run's answer when it succeeded; when it
    /// failed with a verdict (the migration failed, timed out), that verdict with the reason and
    /// the log lines the Lambda's message carries; else the error it ended with.
    pub(super) fn result(&self) -> Option<TargetResult> {
        let error = match self.status {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => return None,
            ExecutionStatus::Succeeded => {
                let report: Value = self
                    .output
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or_default();
                let status = report["status"]
                    .as_str()
                    .and_then(|s| s.parse::<Status>().ok())
                    .unwrap_or(Status::Succeeded);
                return Some(answered(status, report));
            }
            status => self.error.unwrap_or(status.as_str()),
        };
        let message = self.message();
        let (reason, tail): (String, Vec<&str>) = match &message {
            Some(message) => match message.split_once("\nlast log lines:\n") {
                Some((reason, tail)) => (reason.to_owned(), tail.lines().collect()),
                None => (message.clone(), Vec::new()),
            },
            None if self.status == &ExecutionStatus::Aborted => (
                "stopped before it ended: its Map Run failed (the rollout halted) or its execution was stopped".to_owned(),
                Vec::new(),
            ),
            // A cause Step Functions wrote itself may quote the item's input, and so the
            // target's environment values: not shown.
            None => (
                format!(
                    "see its history: `aws stepfunctions get-execution-history --execution-arn {}`",
                    self.arn
                ),
                Vec::new(),
            ),
        };
        Some(match VERDICTS.iter().find(|(name, _)| *name == error) {
            Some((_, verdict)) => answered(
                *verdict,
                json!({
                    "target": self.target,
                    "status": verdict.as_str(),
                    "reason": reason,
                    "log_tail": tail,
                    "error": error,
                }),
            ),
            None => TargetResult::Error(Error::ItemFailed {
                execution: self.arn.to_owned(),
                error: error.to_owned(),
                message: reason,
            }),
        })
    }

    /// The Lambda's message: `errorMessage` of the cause Step Functions gives a failed Lambda
    /// Task (`{"errorMessage": …, "errorType": …}`), without the `target `NAME`: ` the Lambda
    /// puts before it (the table names the target already); `None` for any other cause.
    fn message(&self) -> Option<String> {
        let cause: Value = serde_json::from_str(self.cause?).ok()?;
        let message = cause["errorMessage"].as_str()?;
        let prefix = format!("target `{}`: ", self.target);
        Some(message.strip_prefix(&prefix).unwrap_or(message).to_owned())
    }
}

fn answered(status: Status, report: Value) -> TargetResult {
    // How long it took is the child's (`TargetReport::elapsed`); the summary has the run's.
    TargetResult::Answered(Answered {
        status,
        report,
        elapsed: Duration::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end<'a>(
        status: &'a ExecutionStatus,
        output: Option<&'a str>,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> ChildEnd<'a> {
        ChildEnd {
            arn: "arn:aws:states:eu-west-1:1:execution:rollout/targets:c1",
            target: "acme",
            status,
            output,
            error,
            cause,
        }
    }

    #[test]
    fn a_running_child_has_no_result_and_a_succeeded_one_is_its_runs_answer() {
        assert!(end(&ExecutionStatus::Running, None, None, None)
            .result()
            .is_none());
        let answer = r#"{"statusCode": 200, "target": "acme", "status": "skipped", "reason": "already succeeded"}"#;
        let result = end(&ExecutionStatus::Succeeded, Some(answer), None, None)
            .result()
            .unwrap();
        assert_eq!(result.status(), "skipped");
        assert!(!result.failed());
    }

    #[test]
    fn a_failed_migration_is_a_failed_target_with_the_reason_and_log_lines_of_the_lambdas_message()
    {
        let cause = serde_json::json!({
            "errorType": "MigrationFailed",
            "errorMessage": "target `acme`: the migration exited with 3 (task arn:t)\nlast log lines:\nALTER TABLE\nERROR: duplicate key",
        })
        .to_string();
        let result = end(
            &ExecutionStatus::Failed,
            None,
            Some("MigrationFailed"),
            Some(&cause),
        )
        .result()
        .unwrap();
        assert_eq!(result.status(), "failed");
        assert!(result.failed());
        let TargetResult::Answered(answered) = result else {
            panic!("a verdict is an answer: {result:?}");
        };
        assert_eq!(
            answered.report["reason"],
            "the migration exited with 3 (task arn:t)"
        );
        assert_eq!(
            answered.report["log_tail"],
            serde_json::json!(["ALTER TABLE", "ERROR: duplicate key"])
        );
    }

    #[test]
    fn a_child_that_failed_without_a_verdict_is_an_error_naming_its_error_and_message() {
        let result = end(
            &ExecutionStatus::Failed,
            None,
            Some("Locked"),
            Some(r#"{"errorType": "Locked", "errorMessage": "target `acme`: app is locked by run r-1"}"#),
        )
        .result()
        .unwrap();
        assert_eq!(result.status(), "error");
        let TargetResult::Error(err) = &result else {
            panic!("not a verdict: {result:?}");
        };
        assert_eq!(
            err.to_string(),
            "Locked: app is locked by run r-1 (Step Functions execution `arn:aws:states:eu-west-1:1:execution:rollout/targets:c1`)"
        );
        let aborted = end(&ExecutionStatus::Aborted, None, None, None)
            .result()
            .unwrap();
        assert_eq!(aborted.status(), "error");
        assert!(
            text(&aborted).contains("ABORTED: stopped before it ended"),
            "{aborted:?}"
        );
    }

    #[test]
    fn a_cause_that_is_not_the_lambdas_message_is_not_shown_its_history_is_named() {
        // Step Functions' own causes can quote the item's input: its environment values.
        let cause = r#"An error occurred while executing the state 'Run': {"Target": {"env": {"DB_PASSWORD": "hunter2"}}}"#;
        let result = end(
            &ExecutionStatus::Failed,
            None,
            Some("States.Runtime"),
            Some(cause),
        )
        .result()
        .unwrap();
        let text = text(&result);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("States.Runtime: see its history: `aws stepfunctions get-execution-history --execution-arn arn:aws:states:eu-west-1:1:execution:rollout/targets:c1`"),
            "{text}"
        );
    }

    /// What the table shows of an error.
    fn text(result: &TargetResult) -> String {
        match result {
            TargetResult::Error(err) => err.to_string(),
            other => format!("{other:?}"),
        }
    }
}
