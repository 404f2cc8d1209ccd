//! [`MapRunItems`]: the targets of a rollout run by Step Functions, as they run. Each item of
//! the execution's Map Runs (the module's `canary` and `targets` maps) is a child execution
//! that runs one target; each read lists them (ListMapRuns, ListExecutions by `mapRunArn`) and
//! tells the rollout's progress which targets started and which ended, and how — the same
//! events a local rollout gives, so an edge shows both alike.
//!
//! Each child is described once when first seen (its input names its target) and once when
//! seen ended (its output, or its error and cause); a Map Run that ended with every child seen
//! ended is not listed again. Reads that fail are tried again at the next read: progress is
//! not worth failing the follow for.

use super::progress::{RolloutEvent, RolloutProgress};
use super::report::{TargetReport, TargetResult};
use super::summary::Answered;
use crate::{Error, Status};
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};
use aws_sdk_sfn::Client;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The Map Run label of the canary targets (`terraform/modules/ecs-migrate-rollout`).
const CANARY_LABEL: &str = "canary";

/// How many children are described at once.
const DESCRIBE_AT_ONCE: usize = 8;

/// The errors a child ends with when its target's run gave a verdict (the Lambda's errorTypes,
/// `crates/ecs-migrate-lambda/src/failure.rs`); any other error is the run's failure to proceed.
const VERDICTS: [(&str, Status); 3] = [
    ("MigrationFailed", Status::Failed),
    ("TimedOut", Status::TimedOut),
    ("Interrupted", Status::Interrupted),
];

#[derive(Debug, Default)]
pub(super) struct MapRunItems {
    /// Every child seen, by ARN.
    seen: HashMap<String, Seen>,
    /// Map Runs that ended with every item seen ended.
    done: HashSet<String>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    canary: bool,
    ended: bool,
}

/// What a child's description says of its target.
struct Described {
    arn: String,
    target: String,
    canary: bool,
    /// When it ended: its target's result.
    end: Option<TargetReport>,
}

impl MapRunItems {
    /// Reads the execution's items and tells `progress` what changed since the last read.
    /// `over`: the execution has ended, and this is the last read: every child seen running is
    /// described again, whatever a (possibly stale) listing says.
    pub(super) async fn read(
        &mut self,
        sfn: &Client,
        execution: &str,
        over: bool,
        progress: &dyn RolloutProgress,
    ) {
        for (run, ended) in map_runs(sfn, execution).await.unwrap_or_default() {
            if self.done.contains(&run) {
                continue;
            }
            let Some(children) = children(sfn, &run).await else {
                continue;
            };
            let canary = super::step_functions::map_run_label(&run) == CANARY_LABEL;
            let to_describe: Vec<&str> = children
                .iter()
                .filter(|child| match self.seen.get(child.execution_arn()) {
                    None => true,
                    Some(seen) => {
                        !seen.ended
                            && !matches!(
                                child.status(),
                                ExecutionStatus::Running | ExecutionStatus::PendingRedrive
                            )
                    }
                })
                .map(ExecutionListItem::execution_arn)
                .collect();
            self.describe_and_tell(sfn, to_describe, canary, progress)
                .await;
            let all_ended = children.iter().all(|child| {
                self.seen
                    .get(child.execution_arn())
                    .is_some_and(|seen| seen.ended)
            });
            // A listing may lag: done only when it holds every item the Map Run counts.
            if ended && all_ended && item_total(sfn, &run).await == Some(children.len()) {
                self.done.insert(run);
            }
        }
        if over {
            let mut running: Vec<(String, bool)> = self
                .seen
                .iter()
                .filter(|(_, seen)| !seen.ended)
                .map(|(arn, seen)| (arn.clone(), seen.canary))
                .collect();
            running.sort();
            for canary in [true, false] {
                let arns = running
                    .iter()
                    .filter(|(_, c)| *c == canary)
                    .map(|(arn, _)| arn.as_str())
                    .collect();
                self.describe_and_tell(sfn, arns, canary, progress).await;
            }
        }
    }

    /// Describes the children `arns` (in that order) and tells what each shows.
    async fn describe_and_tell(
        &mut self,
        sfn: &Client,
        arns: Vec<&str>,
        canary: bool,
        progress: &dyn RolloutProgress,
    ) {
        let described: Vec<Option<Described>> = stream::iter(arns)
            .map(|arn| describe(sfn, arn, canary))
            .buffered(DESCRIBE_AT_ONCE)
            .collect()
            .await;
        for child in described.into_iter().flatten() {
            self.tell(child, progress);
        }
    }

    /// Tells a child's start the first time it is seen, and its end the first time it is seen
    /// ended: never twice.
    fn tell(&mut self, child: Described, progress: &dyn RolloutProgress) {
        let Described {
            arn,
            target,
            canary,
            end,
        } = child;
        let seen = self.seen.get(&arn).copied();
        if seen.is_some_and(|seen| seen.ended) {
            return;
        }
        if seen.is_none() {
            progress.event(RolloutEvent::TargetStarted {
                target: &target,
                canary,
            });
        }
        if let Some(report) = &end {
            progress.event(RolloutEvent::TargetFinished {
                target: &target,
                report,
            });
        }
        let ended = end.is_some();
        self.seen.insert(arn, Seen { canary, ended });
    }
}

/// The execution's Map Runs in the order they started, each with whether it ended.
async fn map_runs(sfn: &Client, execution: &str) -> Option<Vec<(String, bool)>> {
    let mut runs = sfn
        .list_map_runs()
        .execution_arn(execution)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .inspect_err(|err| tracing::debug!(error = ?err, "ListMapRuns"))
        .ok()?;
    runs.sort_by_key(|run| run.start_date().as_nanos());
    Some(
        runs.into_iter()
            .map(|run| (run.map_run_arn().to_owned(), run.stop_date().is_some()))
            .collect(),
    )
}

/// How many items a Map Run has (DescribeMapRun's `itemCounts.total`).
async fn item_total(sfn: &Client, map_run: &str) -> Option<usize> {
    let described = sfn
        .describe_map_run()
        .map_run_arn(map_run)
        .send()
        .await
        .inspect_err(|err| tracing::debug!(error = ?err, map_run, "DescribeMapRun"))
        .ok()?;
    usize::try_from(described.item_counts()?.total()).ok()
}

/// The child executions a Map Run started so far, each once, in the order they started.
async fn children(sfn: &Client, map_run: &str) -> Option<Vec<ExecutionListItem>> {
    let listed: Vec<ExecutionListItem> = sfn
        .list_executions()
        .map_run_arn(map_run)
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .inspect_err(|err| tracing::debug!(error = ?err, map_run, "ListExecutions"))
        .ok()?;
    // Pages can shift while it is read (AWS sorts ended children by their stop): one of each.
    let mut once = HashSet::new();
    let mut children: Vec<ExecutionListItem> = listed
        .into_iter()
        .filter(|child| once.insert(child.execution_arn().to_owned()))
        .collect();
    children.sort_by(|a, b| {
        (a.start_date().as_nanos(), a.name()).cmp(&(b.start_date().as_nanos(), b.name()))
    });
    Some(children)
}

async fn describe(sfn: &Client, arn: &str, canary: bool) -> Option<Described> {
    let out = sfn
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .inspect_err(|err| tracing::debug!(error = ?err, execution = arn, "DescribeExecution"))
        .ok()?;
    let input: Value = out
        .input()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let target = input["Target"]["name"]
        .as_str()
        .unwrap_or(out.name().unwrap_or(arn))
        .to_owned();
    let elapsed = out
        .stop_date()
        .and_then(|stop| {
            Duration::try_from_secs_f64(stop.as_secs_f64() - out.start_date().as_secs_f64()).ok()
        })
        .unwrap_or_default();
    let ended = ChildEnd {
        arn,
        target: &target,
        status: out.status(),
        output: out.output(),
        error: out.error(),
        cause: out.cause(),
    };
    let end = ended.result().map(|result| TargetReport {
        name: target.clone(),
        result,
        elapsed,
    });
    Some(Described {
        arn: arn.to_owned(),
        target,
        canary,
        end,
    })
}

/// A child execution as described.
struct ChildEnd<'a> {
    arn: &'a str,
    target: &'a str,
    status: &'a ExecutionStatus,
    output: Option<&'a str>,
    error: Option<&'a str>,
    cause: Option<&'a str>,
}

impl ChildEnd<'_> {
    /// Its target's result, `None` while it runs: the run's answer when it succeeded; when it
    /// failed with a verdict (the migration failed, timed out), that verdict with the reason and
    /// the log lines the Lambda's message carries; else the error it ended with.
    fn result(&self) -> Option<TargetResult> {
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
