//! The verdict: turn what ECS says about a task into a [`Report`].
//!
//! The rules every glue script gets wrong live here and only here:
//! - only the deciding container's exit code decides; sidecars killed with 137/143 do not;
//! - `TaskFailedToStart` (image pull, ENI, secrets) is a failure, whatever else the task says;
//! - a missing exit code is never success.
//!
//! It is given at the deciding container's exit (`watch/decide_at.rs`): the task may still be tearing
//! down, and its `stopCode` / `stoppedReason` are what ECS shows then (ECS sets them as the task
//! starts stopping).

use crate::report::{Report, RunTaskFailure, Status};
use crate::Plan;
use aws_sdk_ecs::types::{Task, TaskStopCode};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::time::Duration;

/// How the wait for the task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// ECS stopped the task on its own (the container exited, or the task failed to start).
    Stopped,
    /// The run's timeout passed and ecs-migrate stopped the task.
    TimedOut(Duration),
    /// The caller's shutdown fired and ecs-migrate stopped the task.
    Interrupted,
}

fn timestamp(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
}

/// RunTask placed no task: its `failures[]` say why.
pub(crate) fn refused(plan: &Plan, failures: Vec<RunTaskFailure>) -> Report {
    let reason = if failures.is_empty() {
        "RunTask returned no task and no failure; nothing was started".to_owned()
    } else {
        let each: Vec<String> = failures
            .iter()
            .map(|f| {
                let mut text = f.reason.clone().unwrap_or_else(|| "unknown reason".into());
                if let Some(detail) = &f.detail {
                    text.push_str(&format!(" ({detail})"));
                }
                if let Some(arn) = &f.arn {
                    text.push_str(&format!(" on {arn}"));
                }
                text
            })
            .collect();
        format!("ECS could not start the task: {}", each.join("; "))
    };
    Report {
        failures,
        ..Report::new(plan, Status::Failed, reason)
    }
}

/// The shutdown fired before RunTask: no task was started.
pub(crate) fn interrupted_before_start(plan: &Plan) -> Report {
    Report::new(
        plan,
        Status::Interrupted,
        "interrupted before the migration task was started".to_owned(),
    )
}

/// The outcome of this migration that another run recorded (an earlier success, or a
/// concurrent run we waited for): nothing is run again.
pub(crate) fn recorded(plan: &Plan, outcome: &crate::Outcome, concurrent: bool) -> Report {
    let task = outcome.task.as_deref().unwrap_or("no task");
    let (status, reason) = if outcome.succeeded() && !concurrent {
        (
            Status::Skipped,
            format!(
                "this migration already succeeded at {} (task {task}, run {}); nothing to do — pass --force to run it again",
                outcome.at, outcome.run_id
            ),
        )
    } else if outcome.succeeded() {
        (
            Status::Skipped,
            format!(
                "run {} ran this migration meanwhile and it succeeded at {} (task {task})",
                outcome.run_id, outcome.at
            ),
        )
    } else {
        (
            Status::Failed,
            format!(
                "run {} ran this migration meanwhile and it ended {} at {} (task {task}, exit code {})",
                outcome.run_id,
                outcome.status,
                outcome.at,
                outcome.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
            ),
        )
    };
    Report {
        exit_code: outcome.exit_code,
        ..Report::new(plan, status, reason)
    }
}

/// The migration was adopted: recorded as succeeded without running (it already ran by other
/// means, e.g. the tool ecs-migrate replaces).
pub(crate) fn adopted(plan: &Plan, outcome: &crate::Outcome) -> Report {
    Report::new(
        plan,
        Status::Skipped,
        format!(
            "recorded this migration as already run (adopted at {}, run {}); nothing was run, and later runs of it are skipped",
            outcome.at, outcome.run_id
        ),
    )
}

/// The timeout passed while the services were draining: no task was started.
pub(crate) fn timed_out_before_start(plan: &Plan, after: Duration) -> Report {
    Report::new(
        plan,
        Status::TimedOut,
        format!(
            "timed out after {} while waiting for the services' tasks to stop; the migration task was not started",
            humantime::format_duration(after)
        ),
    )
}

pub(crate) fn judge(plan: &Plan, task: &Task, ending: Ending) -> Report {
    let container = task
        .containers()
        .iter()
        .find(|c| c.name() == Some(plan.container.as_str()));
    let exit_code = container.and_then(|c| c.exit_code());
    let container_reason = container.and_then(|c| c.reason()).map(str::to_owned);
    let stop_code = task.stop_code();
    let stopped_reason = task.stopped_reason().map(str::to_owned);
    let exited = container.is_some_and(|c| c.last_status() == Some("STOPPED"));
    let still_stopping = crate::watch::decide_at::tearing_down(task) && !exited;
    let name = &plan.container;

    let exit_text = match exit_code {
        Some(code) => format!("container `{name}` exited with code {code}"),
        None => format!("container `{name}` has no exit code"),
    };
    let (status, reason) = match ending {
        Ending::TimedOut(after) => (
            Status::TimedOut,
            format!(
                "timed out after {}; ecs-migrate stopped the task ({})",
                humantime::format_duration(after),
                if still_stopping {
                    "it is still stopping".to_owned()
                } else {
                    exit_text
                },
            ),
        ),
        Ending::Interrupted => (
            Status::Interrupted,
            format!(
                "interrupted; ecs-migrate stopped the task ({})",
                if still_stopping {
                    "it is still stopping".to_owned()
                } else {
                    exit_text
                },
            ),
        ),
        Ending::Stopped if stop_code == Some(&TaskStopCode::TaskFailedToStart) => {
            let why = stopped_reason
                .clone()
                .or_else(|| container_reason.clone())
                .unwrap_or_else(|| "no reason given".into());
            let mut reason = format!("the task failed to start: {why}");
            if let Some(cr) = &container_reason {
                if Some(cr) != stopped_reason.as_ref() {
                    reason.push_str(&format!("; container `{name}`: {cr}"));
                }
            }
            (Status::Failed, reason)
        }
        Ending::Stopped => match (container, exit_code) {
            (None, _) => (
                Status::Failed,
                format!(
                    "the stopped task has no container `{name}`: {}",
                    stopped_reason.as_deref().unwrap_or("no reason given")
                ),
            ),
            (Some(_), Some(0)) => (Status::Succeeded, exit_text),
            (Some(_), Some(_)) => {
                let mut reason = exit_text;
                if let Some(cr) = &container_reason {
                    reason.push_str(&format!(" ({cr})"));
                }
                if stop_code != Some(&TaskStopCode::EssentialContainerExited) {
                    if let Some(sr) = &stopped_reason {
                        reason.push_str(&format!("; task stopped: {sr}"));
                    }
                }
                (Status::Failed, reason)
            }
            (Some(_), None) => (
                Status::Failed,
                format!(
                    "{exit_text} ({}); a missing exit code is never success",
                    container_reason
                        .clone()
                        .or_else(|| stopped_reason.clone())
                        .unwrap_or_else(|| "no reason given".into())
                ),
            ),
        },
    };

    let begin = task.started_at().or(task.created_at());
    // The containers' end (the task may still be tearing down), else the task's.
    let end = task.execution_stopped_at().or(task.stopped_at());
    let duration_seconds = match (begin, end) {
        (Some(begin), Some(end)) => {
            Some(((end.as_secs_f64() - begin.as_secs_f64()) * 1000.0).round() / 1000.0)
                .filter(|d| *d >= 0.0)
        }
        _ => None,
    };
    Report {
        task_arn: task.task_arn().map(str::to_owned),
        exit_code,
        stop_code: stop_code.map(|c| c.as_str().to_owned()),
        stopped_reason,
        container_reason,
        task_status: task.last_status().map(str::to_owned),
        started_at: timestamp(task.started_at()),
        stopped_at: timestamp(end),
        duration_seconds,
        ..Report::new(plan, status, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{plan, stopped_task};
    use aws_sdk_ecs::types::Container;
    use aws_smithy_types::DateTime;

    #[test]
    fn exit_code_zero_of_the_deciding_container_succeeds_even_if_a_sidecar_was_killed() {
        let task = stopped_task(
            TaskStopCode::EssentialContainerExited,
            vec![
                Container::builder().name("migrate").exit_code(0).build(),
                Container::builder().name("envoy").exit_code(137).build(),
            ],
        );
        let report = judge(&plan(), &task, Ending::Stopped);
        assert_eq!(report.status, Status::Succeeded);
        assert_eq!(report.exit_code, Some(0));
        assert_eq!(report.duration_seconds, Some(60.0));
    }

    #[test]
    fn a_verdict_during_the_teardown_carries_the_stop_code_and_the_containers_end() {
        let mut task = stopped_task(
            TaskStopCode::EssentialContainerExited,
            vec![Container::builder()
                .name("migrate")
                .last_status("STOPPED")
                .exit_code(0)
                .build()],
        );
        task.last_status = Some("DEPROVISIONING".into());
        task.stopped_at = None;
        task.execution_stopped_at = Some(DateTime::from_secs(1_700_000_030));
        task.stopped_reason = Some("Essential container in task exited".into());
        let report = judge(&plan(), &task, Ending::Stopped);
        assert_eq!(report.status, Status::Succeeded);
        assert_eq!(report.task_status.as_deref(), Some("DEPROVISIONING"));
        assert_eq!(
            report.stop_code.as_deref(),
            Some("EssentialContainerExited")
        );
        assert_eq!(report.duration_seconds, Some(30.0));
        assert_eq!(report.stopped_at.as_deref(), Some("2023-11-14T22:13:50Z"));
    }

    #[test]
    fn a_timeout_reports_the_exit_code_once_the_container_exited_even_while_tearing_down() {
        let mut task = stopped_task(
            TaskStopCode::UserInitiated,
            vec![Container::builder()
                .name("migrate")
                .last_status("STOPPED")
                .exit_code(143)
                .build()],
        );
        task.last_status = Some("STOPPING".into());
        let report = judge(&plan(), &task, Ending::TimedOut(Duration::from_secs(60)));
        assert_eq!(report.status, Status::TimedOut);
        assert!(
            report.reason.contains("exited with code 143"),
            "{}",
            report.reason
        );
    }

    #[test]
    fn a_nonzero_exit_code_fails_and_is_carried() {
        let task = stopped_task(
            TaskStopCode::EssentialContainerExited,
            vec![Container::builder().name("migrate").exit_code(3).build()],
        );
        let report = judge(&plan(), &task, Ending::Stopped);
        assert_eq!((report.status, report.exit_code), (Status::Failed, Some(3)));
        assert!(
            report.reason.contains("exited with code 3"),
            "{}",
            report.reason
        );
    }

    #[test]
    fn a_missing_exit_code_is_never_success() {
        let task = stopped_task(
            TaskStopCode::EssentialContainerExited,
            vec![Container::builder().name("migrate").build()],
        );
        let report = judge(&plan(), &task, Ending::Stopped);
        assert_eq!((report.status, report.exit_code), (Status::Failed, None));
        assert!(report.reason.contains("never success"), "{}", report.reason);
    }

    #[test]
    fn failed_to_start_is_a_failure_with_the_reasons() {
        let task = stopped_task(
            TaskStopCode::TaskFailedToStart,
            vec![Container::builder()
                .name("migrate")
                .reason("CannotPullContainerError: not found")
                .build()],
        );
        let mut task = task;
        task.stopped_reason = Some("ResourceInitializationError: unable to pull secrets".into());
        let report = judge(&plan(), &task, Ending::Stopped);
        assert_eq!(report.status, Status::Failed);
        assert_eq!(report.stop_code.as_deref(), Some("TaskFailedToStart"));
        assert!(report
            .reason
            .contains("failed to start: ResourceInitializationError"));
        assert!(
            report.reason.contains("CannotPullContainerError"),
            "{}",
            report.reason
        );
    }

    #[test]
    fn run_task_failures_are_listed() {
        let report = refused(
            &plan(),
            vec![RunTaskFailure {
                arn: Some("arn:aws:ecs:eu-west-1:123456789012:cluster/prod".into()),
                reason: Some("RESOURCE:MEMORY".into()),
                detail: None,
            }],
        );
        assert_eq!(report.status, Status::Failed);
        assert!(
            report.reason.contains("RESOURCE:MEMORY on arn:aws:ecs"),
            "{}",
            report.reason
        );
    }
}
