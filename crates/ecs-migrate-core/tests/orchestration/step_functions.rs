//! Following a rollout run by Step Functions (`rollout/step_functions.rs`,
//! `rollout/map_run_items.rs`) against a scripted Step Functions whose answers come from the
//! paused clock: a canary Map Run, then the targets' Map Run, each child execution running one
//! target.

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::list_executions::{ListExecutionsError, ListExecutionsOutput};
use aws_sdk_sfn::operation::list_map_runs::ListMapRunsOutput;
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus, MapRunListItem};
use aws_sdk_sfn::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use aws_smithy_types::DateTime;
use ecs_migrate_core::rollout::step_functions::{self, Execution, Followed};
use ecs_migrate_core::{RolloutEvent, RolloutProgress, Shutdown};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

const MACHINE: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:rollout";
const EXECUTION: &str = "arn:aws:states:eu-west-1:123456789012:execution:rollout:r1";
const CANARY_RUN: &str = "arn:aws:states:eu-west-1:123456789012:mapRun:rollout/canary:m1";
const TARGETS_RUN: &str = "arn:aws:states:eu-west-1:123456789012:mapRun:rollout/targets:m2";
/// When the execution ends (seconds after it starts).
const EXECUTION_ENDS: f64 = 22.0;

/// One child execution: its target, its Map Run, when it starts and how it ends.
struct Child {
    target: &'static str,
    map_run: &'static str,
    starts: f64,
    ends: Option<(f64, ExecutionStatus, &'static str)>,
}

impl Child {
    fn arn(&self) -> String {
        let run = self.map_run.replace(":mapRun:", ":execution:");
        let (machine, _) = run.rsplit_once(':').unwrap();
        format!("{machine}:{}", self.target)
    }
}

fn children() -> Vec<Child> {
    use ExecutionStatus::{Failed, Succeeded};
    let answer =
        r#"{"statusCode": 200, "status": "succeeded", "reason": "the migration exited 0"}"#;
    let failed = r#"{"errorType": "MigrationFailed", "errorMessage": "target `globex`: the migration exited 3\nlast log lines:\nERROR: duplicate key"}"#;
    let locked =
        r#"{"errorType": "Locked", "errorMessage": "target `initech`: app is locked by run r-9"}"#;
    vec![
        Child {
            target: "acme",
            map_run: CANARY_RUN,
            starts: 0.0,
            ends: Some((7.0, Succeeded, answer)),
        },
        Child {
            target: "umbrella",
            map_run: TARGETS_RUN,
            starts: 8.0,
            ends: Some((21.0, Succeeded, answer)),
        },
        Child {
            target: "globex",
            map_run: TARGETS_RUN,
            starts: 8.0,
            ends: Some((9.0, Failed, failed)),
        },
        Child {
            target: "initech",
            map_run: TARGETS_RUN,
            starts: 12.0,
            ends: Some((14.0, Failed, locked)),
        },
    ]
}

/// `seconds` after the execution's start.
fn at(seconds: f64) -> DateTime {
    DateTime::from_secs_f64(1_700_000_000.0 + seconds)
}

#[derive(Default)]
struct Told(Mutex<Vec<String>>);

impl RolloutProgress for Told {
    fn event(&self, event: RolloutEvent<'_>) {
        let line = match event {
            RolloutEvent::Execution { status } => format!("execution {status}"),
            RolloutEvent::TargetStarted { target, canary } => {
                format!("{target} started{}", if canary { " (canary)" } else { "" })
            }
            RolloutEvent::TargetFinished { target, report } => {
                format!("{target} {}", report.result.status())
            }
            other => format!("{other:?}"),
        };
        self.0.lock().unwrap().push(line);
    }
}

/// A Step Functions running `children()` from now on; ListExecutions of the targets' Map Run
/// fails at 10 s. Also the number of ListExecutions of each Map Run.
fn step_functions() -> (Client, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64();
    let (canary_lists, targets_lists) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (canary_count, targets_count) = (canary_lists.clone(), targets_lists.clone());
    let describe = mock!(Client::describe_execution).then_compute_output(move |input| {
        let arn = input.execution_arn().unwrap();
        let t = now();
        let out = DescribeExecutionOutput::builder()
            .execution_arn(arn)
            .state_machine_arn(MACHINE)
            .start_date(at(0.0));
        if arn == EXECUTION {
            return if t < EXECUTION_ENDS {
                out.status(ExecutionStatus::Running)
            } else {
                out.status(ExecutionStatus::Succeeded)
                    .stop_date(at(EXECUTION_ENDS))
                    .output(r#"{"status": "succeeded", "targets": [], "counts": {}}"#)
            }
            .build()
            .unwrap();
        }
        let all = children();
        let child = all.iter().find(|c| c.arn() == arn).expect("a known child");
        let out = out
            .name(child.target)
            .start_date(at(child.starts))
            .input(format!(
                r#"{{"Target": {{"name": "{}"}}, "Defaults": {{}}}}"#,
                child.target
            ));
        match &child.ends {
            Some((ends, status, text)) if t >= *ends => {
                let out = out.status(status.clone()).stop_date(at(*ends));
                if *status == ExecutionStatus::Succeeded {
                    out.output(*text)
                } else {
                    out.error(if text.contains("Locked") {
                        "Locked"
                    } else {
                        "MigrationFailed"
                    })
                    .cause(*text)
                }
            }
            _ => out.status(ExecutionStatus::Running),
        }
        .build()
        .unwrap()
    });
    let map_runs = mock!(Client::list_map_runs).then_compute_output(move |_| {
        let t = now();
        let run = |arn: &str, starts: f64, stops: f64| {
            MapRunListItem::builder()
                .execution_arn(EXECUTION)
                .map_run_arn(arn)
                .state_machine_arn(format!("{MACHINE}/x"))
                .start_date(at(starts))
                .set_stop_date((t >= stops).then(|| at(stops)))
                .build()
                .unwrap()
        };
        let mut runs = vec![run(CANARY_RUN, 0.0, 7.5)];
        if t >= 8.0 {
            runs.push(run(TARGETS_RUN, 8.0, 21.5));
        }
        ListMapRunsOutput::builder()
            .set_map_runs(Some(runs))
            .build()
            .unwrap()
    });
    let list = mock!(Client::list_executions).then_compute_response(move |input| {
        let map_run = input.map_run_arn().unwrap();
        let t = now();
        if map_run == CANARY_RUN {
            canary_count.fetch_add(1, Ordering::SeqCst);
        } else {
            targets_count.fetch_add(1, Ordering::SeqCst);
            if (10.0..11.0).contains(&t) {
                return MockResponse::Error(ListExecutionsError::generic(
                    aws_sdk_sfn::error::ErrorMetadata::builder()
                        .code("ServiceUnavailable")
                        .build(),
                ));
            }
        }
        let listed = children()
            .iter()
            .filter(|c| c.map_run == map_run && t >= c.starts)
            .map(|c| {
                let status = match &c.ends {
                    Some((ends, status, _)) if t >= *ends => status.clone(),
                    _ => ExecutionStatus::Running,
                };
                ExecutionListItem::builder()
                    .execution_arn(c.arn())
                    .state_machine_arn(format!("{MACHINE}/x"))
                    .name(c.target)
                    .status(status)
                    .start_date(at(c.starts))
                    .build()
                    .unwrap()
            })
            .collect();
        MockResponse::Output(
            ListExecutionsOutput::builder()
                .set_executions(Some(listed))
                .build()
                .unwrap(),
        )
    });
    let client = mock_client!(
        aws_sdk_sfn,
        RuleMode::MatchAny,
        &[describe, map_runs, list],
        |c| c.retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
    );
    (client, canary_lists, targets_lists)
}

#[tokio::test(start_paused = true)]
async fn each_target_is_told_once_as_it_starts_and_once_as_it_ends_and_a_failed_read_loses_none() {
    let (sfn, canary_lists, _) = step_functions();
    let execution = Execution {
        arn: EXECUTION.into(),
        name: "r1".into(),
        attached: false,
    };
    let told = Told::default();

    let followed = step_functions::follow(&sfn, &execution, &told, &mut Shutdown::never())
        .await
        .unwrap();

    assert!(matches!(followed, Followed::Summary(_)));
    // Polls at 0, 5, 10 (the targets' listing fails), 15, 20 and 25 s (the execution ended).
    assert_eq!(
        *told.0.lock().unwrap(),
        [
            "execution RUNNING",
            "acme started (canary)",
            "acme succeeded",
            // At 15 s: globex and initech started and ended since; umbrella runs.
            "umbrella started",
            "globex started",
            "globex failed",
            "initech started",
            "initech error",
            "umbrella succeeded",
            "execution SUCCEEDED",
        ]
        .map(String::from)
    );
    // Listed at 0, 5 and 10 s; ended with its only child at 10 s, not listed again.
    assert_eq!(canary_lists.load(Ordering::SeqCst), 3);
}
