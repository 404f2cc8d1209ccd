//! [`MapRunItems`]: the targets of a rollout run by Step Functions, as they run. Each item of
//! the execution's Map Runs (the module's `canary` and `targets` maps) is a child execution
//! that runs one target; each read lists them (ListMapRuns, ListExecutions by `mapRunArn`) and
//! tells the rollout's progress which targets started and which ended, and how — the same
//! events a local rollout gives, so an edge shows both alike.
//!
//! Each child is described once when first seen (its input names its target) and once when
//! seen ended (its output, or its error and cause: what that means, `child_end.rs`); a Map Run
//! that ended with all its items seen ended is not listed again, and after the execution ended
//! every child seen running is described once more, whatever a lagging listing says. Reads that
//! fail are tried again at the next read: progress is not worth failing the follow for.

use super::child_end::ChildEnd;
use super::progress::{RolloutEvent, RolloutProgress};
use super::report::TargetReport;
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};
use aws_sdk_sfn::Client;
use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The Map Run label of the canary targets (`terraform/modules/ecs-migrate-rollout`).
const CANARY_LABEL: &str = "canary";

/// How many children are described at once.
const DESCRIBE_AT_ONCE: usize = 8;

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
