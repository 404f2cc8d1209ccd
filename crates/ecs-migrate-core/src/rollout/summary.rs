//! [`summarize`]: the report of a rollout whose targets were run elsewhere — one Lambda
//! invocation per target, fanned out by a Step Functions state machine — from what those runs
//! answered and, for the targets whose answer is lost (a failed item's output is not kept),
//! from their records in AWS: each target is resolved read-only and its migration's outcome
//! record read, so the summary holds whatever the fan-out kept.
//!
//! | what is known of a target | its status |
//! |---|---|
//! | its run's answer | the answer's status (`succeeded`, `skipped`) |
//! | an outcome recorded since the rollout began | the outcome's (`failed`, `timed_out`, …) |
//! | it cannot be resolved | `error`, with the reason |
//! | nothing, and the rollout halted | `not_started` |
//! | nothing, and every target had its turn | `error`: its run failed before recording an outcome (another run's lock, an AWS error) |

use super::report::{RolloutReport, RolloutStatus, TargetReport, TargetResult};
use super::{connect, Target, VALIDATE_AT_ONCE};
use crate::aws::AwsOptions;
use crate::resolve::shared_reads::SharedReads;
use crate::{Error, Status, Timestamp};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a rollout run elsewhere leaves to summarize.
#[derive(Debug)]
pub struct Summary {
    pub targets: Vec<Target>,
    /// When the rollout began: an outcome recorded earlier is not this rollout's.
    pub since: Timestamp,
    /// Whether it stopped starting targets after too many failures.
    pub halted: bool,
    /// The answers of the runs that answered, by target name.
    pub answered: BTreeMap<String, Answered>,
}

/// A run's answer: its status and its JSON report, as the run gave them.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub status: Status,
    pub report: serde_json::Value,
    pub elapsed: Duration,
}

pub async fn summarize(base: &AwsOptions, summary: Summary) -> Result<RolloutReport, Error> {
    let Summary {
        targets,
        since,
        halted,
        mut answered,
    } = summary;
    let clients = &connect(base, &targets).await?;
    let shared = &SharedReads::default();
    let known: Vec<(Target, Option<Answered>)> = targets
        .into_iter()
        .map(|target| {
            let answer = answered.remove(&target.name);
            (target, answer)
        })
        .collect();
    let reports: Vec<TargetReport> = stream::iter(known)
        .map(|(target, answer)| async move {
            let (result, elapsed) = match answer {
                Some(answer) => {
                    let elapsed = answer.elapsed;
                    (TargetResult::Answered(answer), elapsed)
                }
                None => {
                    let clients = &clients[&target.connection];
                    let resolved =
                        crate::resolve::resolve_sharing(clients, &target.request, Some(shared))
                            .await;
                    let result = match resolved {
                        Err(err) => TargetResult::Error(err),
                        Ok((_, plan)) => from_record(plan.previous, since, halted),
                    };
                    (result, Duration::ZERO)
                }
            };
            TargetReport {
                name: target.name,
                result,
                elapsed,
            }
        })
        .buffered(VALIDATE_AT_ONCE)
        .collect()
        .await;
    let status = if halted {
        RolloutStatus::Halted
    } else if reports.iter().all(|t| t.result.succeeded()) {
        RolloutStatus::Succeeded
    } else {
        RolloutStatus::Failed
    };
    let elapsed = Timestamp::now()
        .as_system_time()
        .duration_since(since.as_system_time())
        .unwrap_or_default();
    Ok(RolloutReport::new(status, reports, elapsed))
}

/// A target with no answer, from its migration's outcome record.
fn from_record(outcome: Option<crate::Outcome>, since: Timestamp, halted: bool) -> TargetResult {
    match outcome {
        Some(outcome) if outcome.at >= since => TargetResult::Recorded(outcome),
        _ if halted => TargetResult::NotStarted,
        _ => TargetResult::Unrecorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Status, at: &str) -> crate::Outcome {
        crate::Outcome {
            migration: "0123456789abcdef".parse().unwrap(),
            status,
            at: at.parse().unwrap(),
            task: Some("abc".into()),
            exit_code: Some(3),
            run_id: "r-1".into(),
            container: "migrate".into(),
            adopted: false,
        }
    }

    #[test]
    fn a_target_without_an_answer_is_what_its_record_says_since_the_rollout_began() {
        let since: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let failed = from_record(
            Some(outcome(Status::Failed, "2026-12-01T10:05:00Z")),
            since,
            false,
        );
        assert_eq!(failed.status(), "failed");
        assert!(failed.failed());
        // An outcome of an earlier rollout says nothing of this one.
        let earlier = Some(outcome(Status::Failed, "2026-12-01T09:00:00Z"));
        assert_eq!(
            from_record(earlier.clone(), since, true).status(),
            "not_started"
        );
        let lost = from_record(earlier, since, false);
        assert_eq!(lost.status(), "error");
        assert!(lost.failed());
        assert_eq!(from_record(None, since, true).status(), "not_started");
    }
}
