//! A rollout run by a Step Functions state machine (`terraform/modules/ecs-migrate-rollout`)
//! instead of by this process: [`start`] its execution with the targets document (or find the
//! one of that name again: the same name re-attaches), [`follow`] it to its end — its targets'
//! starts and ends told as a local rollout's (`map_run_items.rs`) — and take the summary its
//! last step made (`summary.rs`, through the Lambda): the execution's output when it
//! succeeded, its cause when it failed with `RolloutFailed` or `RolloutHalted`.

use super::map_run_items::MapRunItems;
use super::progress::{RolloutEvent, RolloutProgress};
use crate::{Error, Shutdown};
use aws_sdk_sfn::types::ExecutionStatus;
pub use aws_sdk_sfn::Client;
use serde_json::Value;
use std::time::Duration;

/// How often the execution's status is read (DescribeExecution).
pub const POLL: Duration = Duration::from_secs(5);

/// The errors the state machine's last step ends a rollout that did not succeed with; their
/// cause is the summary.
const SUMMARY_ERRORS: [&str; 2] = ["RolloutFailed", "RolloutHalted"];

#[derive(Debug, Clone)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    /// It existed already: this is a re-attach, not a start.
    pub attached: bool,
}

/// How following an execution ended.
#[derive(Debug)]
pub enum Followed {
    /// It ended with a summary: the rollout's JSON document.
    Summary(Value),
    /// The caller's shutdown came first; the execution runs on.
    Left,
}

/// A Step Functions client with `options`' credentials and region.
pub async fn client(options: &crate::aws::AwsOptions) -> Result<Client, Error> {
    Ok(Client::new(&crate::aws::load(options).await?))
}

/// The execution of `state_machine` named `name`: the one that exists (running or ended: a
/// re-attach), else one started now with `document` as its input.
pub async fn start(
    sfn: &Client,
    state_machine: &str,
    name: &str,
    document: &Value,
) -> Result<Execution, Error> {
    let arn = execution_arn(state_machine, name)?;
    let execution = |attached: bool, arn: String| Execution {
        arn,
        name: name.to_owned(),
        attached,
    };
    match sfn.describe_execution().execution_arn(&arn).send().await {
        Ok(_) => return Ok(execution(true, arn)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_execution_does_not_exist()) => {}
        Err(err) => {
            return Err(Error::aws(
                "DescribeExecution",
                Some(format!("execution `{arn}`")),
                err,
            ))
        }
    }
    // Started by another process meanwhile with the same input: Step Functions answers with
    // that execution.
    let started = sfn
        .start_execution()
        .state_machine_arn(state_machine)
        .name(name)
        .input(document.to_string())
        .send()
        .await
        .map_err(|err| {
            Error::aws(
                "StartExecution",
                Some(format!("state machine `{state_machine}`")),
                err,
            )
        })?;
    Ok(execution(false, started.execution_arn().to_owned()))
}

/// Reads the execution every [`POLL`] until it ends or `shutdown` fires, telling `progress`
/// when its status changes ([`RolloutEvent::Execution`]) and, while it runs, which targets its
/// Map Runs started and how each ended (`map_run_items.rs`), as a local rollout does.
pub async fn follow(
    sfn: &Client,
    execution: &Execution,
    progress: &dyn RolloutProgress,
    shutdown: &mut Shutdown,
) -> Result<Followed, Error> {
    let mut last: Option<ExecutionStatus> = None;
    let mut items = MapRunItems::default();
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution.arn)
            .send()
            .await
            .map_err(|err| {
                Error::aws(
                    "DescribeExecution",
                    Some(format!("execution `{}`", execution.arn)),
                    err,
                )
            });
        match described {
            Ok(out) => {
                let status = out.status();
                let changed = last.as_ref() != Some(status);
                let tell = || {
                    progress.event(RolloutEvent::Execution {
                        status: status.as_str(),
                    })
                };
                if changed && status == &ExecutionStatus::Running {
                    tell();
                }
                // Once more after it ended: the items that ended since the last read, told
                // before the execution's end. A long read (throttled) gives way to a shutdown;
                // what it did not tell is read again.
                let over = status != &ExecutionStatus::Running;
                tokio::select! {
                    _ = items.read(sfn, &execution.arn, over, progress) => {}
                    _ = shutdown.recv() => return Ok(Followed::Left),
                }
                if changed && status != &ExecutionStatus::Running {
                    tell();
                }
                last = Some(status.clone());
                if let Some(end) = ended(execution, &out)? {
                    return Ok(end);
                }
            }
            // Throttling or a 5xx the SDK's retries did not ride out: read again next time.
            Err(err) if err.is_transient() => tracing::debug!(error = %err, "DescribeExecution"),
            Err(err) => return Err(err),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.recv() => return Ok(Followed::Left),
        }
    }
}

/// The label of `arn:…:mapRun:MACHINE/LABEL:ID` (the Map state's `Label`).
pub(super) fn map_run_label(arn: &str) -> &str {
    let run = arn.rsplit_once('/').map_or(arn, |(_, run)| run);
    run.split_once(':').map_or(run, |(label, _)| label)
}

/// The summary of an execution that ended, `None` while it runs.
fn ended(
    execution: &Execution,
    out: &aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
) -> Result<Option<Followed>, Error> {
    let summary = |text: Option<&str>| {
        text.and_then(|t| serde_json::from_str::<Value>(t).ok())
            .filter(|doc| doc.get("status").is_some() && doc.get("targets").is_some())
    };
    let found = match out.status() {
        ExecutionStatus::Running | ExecutionStatus::PendingRedrive => return Ok(None),
        ExecutionStatus::Succeeded => summary(out.output()),
        ExecutionStatus::Failed if out.error().is_some_and(|e| SUMMARY_ERRORS.contains(&e)) => {
            summary(out.cause())
        }
        _ => None,
    };
    match found {
        Some(document) => Ok(Some(Followed::Summary(document))),
        None => Err(Error::ExecutionEnded {
            execution: execution.arn.clone(),
            status: out.status().as_str().to_owned(),
            failure: [out.error(), out.cause()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": "),
        }),
    }
}

/// `arn:…:states:R:A:execution:MACHINE:NAME` of the state machine `arn:…:states:R:A:stateMachine:MACHINE`.
fn execution_arn(state_machine: &str, name: &str) -> Result<String, Error> {
    match state_machine.split_once(":stateMachine:") {
        Some((prefix, machine)) => Ok(format!("{prefix}:execution:{machine}:{name}")),
        None => Err(Error::InvalidInput {
            input: "state machine ARN",
            value: state_machine.to_owned(),
            reason: "not a Step Functions state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME); give the rollout module's `state_machine_arn` output".into(),
        }),
    }
}

/// The execution name of a rollout of `document`: the same document gets the same name, so
/// running the same rollout again re-attaches to its execution.
pub fn name_of(document: &Value) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(document.to_string().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("ecs-migrate-rollout-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_is_named_after_its_state_machine_and_its_document() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:eu-west-1:123456789012:stateMachine:rollout",
                "r1"
            )
            .unwrap(),
            "arn:aws:states:eu-west-1:123456789012:execution:rollout:r1"
        );
        assert!(execution_arn("arn:aws:lambda:eu-west-1:1:function:f", "r1").is_err());
        let a = serde_json::json!({"targets": [{"name": "acme"}]});
        let b = serde_json::json!({"targets": [{"name": "globex"}]});
        assert_eq!(name_of(&a), name_of(&a.clone()));
        assert_ne!(name_of(&a), name_of(&b));
        assert!(name_of(&a).len() <= 80, "Step Functions' limit on names");
    }

    #[test]
    fn a_map_runs_label_is_read_from_its_arn() {
        assert_eq!(
            map_run_label("arn:aws:states:eu-west-1:1:mapRun:rollout/targets:5e1f-77"),
            "targets"
        );
        assert_eq!(
            map_run_label("arn:aws:states:eu-west-1:1:mapRun:rollout/canary:5e1f-77"),
            "canary"
        );
    }
}
