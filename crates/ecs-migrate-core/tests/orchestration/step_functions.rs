//! Following a rollout run by Step Functions (`rollout/step_functions.rs`,
//! `rollout/map_run_items.rs`) against a scripted Step Functions whose answers come from the
//! paused clock: a canary Map Run, then the targets' Map Run, each child execution running one
//! target, with the listing answering as AWS may (a failed read, a child listed twice, a
//! listing that lags).

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::describe_map_run::DescribeMapRunOutput;
use aws_sdk_sfn::operation::list_executions::{ListExecutionsError, ListExecutionsOutput};
use aws_sdk_sfn::operation::list_map_runs::ListMapRunsOutput;
use aws_sdk_sfn::types::{
    ExecutionListItem, ExecutionStatus, MapRunExecutionCounts, MapRunItemCounts, MapRunListItem,
    MapRunStatus,
};
use aws_sdk_sfn::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use aws_smithy_types::DateTime;
use ecs_migrate_core::rollout::step_functions::{self, Execution, Followed};
use ecs_migrate_core::{RolloutEvent, RolloutProgress, Shutdown};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

const MACHINE: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:rollout";
const EXECUTION: &str = "arn:aws:states:eu-west-1:123456789012:execution:rollout:r1";
const CANARY_RUN: &str = "arn:aws:states:eu-west-1:123456789012:mapRun:rollout/canary:m1";
const TARGETS_RUN: &str = "arn:aws:states:eu-west-1:123456789012:mapRun:rollout/targets:m2";
/// When the execution ends (seconds after it starts).
const EXECUTION_ENDS: f64 = 22.0;
/// When the listing of the targets' Map Run fails.
const LISTING_FAILS: std::ops::Range<f64> = 10.0..11.0;

/// One child execution: its target, its Map Run, when it starts, and when and how it ends
/// (the error it fails with and its cause, or its output).
struct Child {
    target: &'static str,
    map_run: &'static str,
    starts: f64,
    ends: f64,
    status: ExecutionStatus,
    error: Option<&'static str>,
    text: &'static str,
}

impl Child {
    fn arn(&self) -> String {
        let run = self.map_run.replace(":mapRun:", ":execution:");
        let (machine, _) = run.rsplit_once(':').unwrap();
        format!("{machine}:{}", self.target)
    }

    fn status_at(&self, t: f64) -> ExecutionStatus {
        if t >= self.ends {
            self.status.clone()
        } else {
            ExecutionStatus::Running
        }
    }
}

fn children() -> Vec<Child> {
    use ExecutionStatus::{Failed, Succeeded};
    let answer = r#"{"statusCode": 200, "status": "succeeded", "reason": "exited 0"}"#;
    let child = |target, map_run, starts, ends, status, error, text| Child {
        target,
        map_run,
        starts,
        ends,
        status,
        error,
        text,
    };
    vec![
        child("acme", CANARY_RUN, 0.0, 7.0, Succeeded, None, answer),
        child("umbrella", TARGETS_RUN, 8.0, 21.0, Succeeded, None, answer),
        child(
            "globex",
            TARGETS_RUN,
            8.0,
            9.0,
            Failed,
            Some("MigrationFailed"),
            r#"{"errorType": "MigrationFailed", "errorMessage": "target `globex`: exited 3\nlast log lines:\nERROR: duplicate key"}"#,
        ),
        child(
            "initech",
            TARGETS_RUN,
            12.0,
            14.0,
            Failed,
            Some("Locked"),
            r#"{"errorType": "Locked", "errorMessage": "target `initech`: app is locked by run r-9"}"#,
        ),
    ]
}

/// `seconds` after the execution's start.
fn at(seconds: f64) -> DateTime {
    DateTime::from_secs_f64(1_700_000_000.0 + seconds)
}

/// What the follow told, each line with the second (since the start) it was told at.
struct Told {
    start: Instant,
    lines: Mutex<Vec<String>>,
}

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
        let at = self.start.elapsed().as_secs();
        self.lines.lock().unwrap().push(format!("{at}s {line}"));
    }
}

/// How often the fake was asked what.
#[derive(Default)]
struct Asked {
    canary_lists: AtomicUsize,
    /// DescribeExecution of each child, by target.
    describes: Mutex<BTreeMap<&'static str, usize>>,
}

/// A Step Functions running `children()` from now on, as AWS may answer: ListExecutions of the
/// targets' Map Run fails at 10 s, lists `umbrella` twice, and lags: it lists `umbrella`
/// RUNNING to the end.
fn step_functions() -> (Client, Arc<Asked>) {
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64();
    let asked = Arc::new(Asked::default());
    let (asked_describe, asked_list) = (asked.clone(), asked.clone());
    let describe = mock!(Client::describe_execution).then_compute_output(move |input| {
        let arn = input.execution_arn().unwrap();
        let t = now();
        let out = DescribeExecutionOutput::builder()
            .execution_arn(arn)
            .state_machine_arn(MACHINE)
            .start_date(at(0.0));
        if arn == EXECUTION {
            let out = if t < EXECUTION_ENDS {
                out.status(ExecutionStatus::Running)
            } else {
                out.status(ExecutionStatus::Succeeded)
                    .stop_date(at(EXECUTION_ENDS))
                    .output(r#"{"status": "succeeded", "targets": [], "counts": {}}"#)
            };
            return out.build().unwrap();
        }
        let all = children();
        let child = all.iter().find(|c| c.arn() == arn).expect("a known child");
        *asked_describe
            .describes
            .lock()
            .unwrap()
            .entry(child.target)
            .or_default() += 1;
        let out = out
            .name(child.target)
            .start_date(at(child.starts))
            .status(child.status_at(t))
            .input(format!(
                r#"{{"Target": {{"name": "{}"}}, "Defaults": {{}}}}"#,
                child.target
            ));
        let out = match child.status_at(t) {
            ExecutionStatus::Running => out,
            ExecutionStatus::Succeeded => out.stop_date(at(child.ends)).output(child.text),
            _ => out
                .stop_date(at(child.ends))
                .set_error(child.error.map(String::from))
                .cause(child.text),
        };
        out.build().unwrap()
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
    let map_run = mock!(Client::describe_map_run).then_compute_output(|input| {
        let arn = input.map_run_arn().unwrap();
        let total = children().iter().filter(|c| c.map_run == arn).count() as i64;
        let items = MapRunItemCounts::builder().total(total).build();
        let executions = MapRunExecutionCounts::builder().total(total).build();
        DescribeMapRunOutput::builder()
            .map_run_arn(arn)
            .execution_arn(EXECUTION)
            .status(MapRunStatus::Succeeded)
            .start_date(at(0.0))
            .max_concurrency(1)
            .tolerated_failure_percentage(0.0)
            .tolerated_failure_count(0)
            .item_counts(items)
            .execution_counts(executions)
            .build()
            .unwrap()
    });
    let list = mock!(Client::list_executions).then_compute_response(move |input| {
        let map_run = input.map_run_arn().unwrap();
        let t = now();
        if map_run == CANARY_RUN {
            asked_list.canary_lists.fetch_add(1, Ordering::SeqCst);
        } else if LISTING_FAILS.contains(&t) {
            let unavailable = aws_sdk_sfn::error::ErrorMetadata::builder()
                .code("ServiceUnavailable")
                .build();
            return MockResponse::Error(ListExecutionsError::generic(unavailable));
        }
        let mut listed: Vec<ExecutionListItem> = Vec::new();
        for c in children()
            .iter()
            .filter(|c| c.map_run == map_run && t >= c.starts)
        {
            let status = match c.target {
                "umbrella" => ExecutionStatus::Running,
                _ => c.status_at(t),
            };
            let item = ExecutionListItem::builder()
                .execution_arn(c.arn())
                .state_machine_arn(format!("{MACHINE}/x"))
                .name(c.target)
                .status(status)
                .start_date(at(c.starts))
                .build()
                .unwrap();
            if c.target == "umbrella" {
                listed.push(item.clone());
            }
            listed.push(item);
        }
        let out = ListExecutionsOutput::builder()
            .set_executions(Some(listed))
            .build()
            .unwrap();
        MockResponse::Output(out)
    });
    let client = mock_client!(
        aws_sdk_sfn,
        RuleMode::MatchAny,
        &[describe, map_runs, map_run, list],
        |c| c.retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
    );
    (client, asked)
}

/// Each target's start and end are told once, in the order they started, whatever the listing
/// does: a failed read is made up at the next poll, a child listed twice is told once, and a
/// child the listing still shows running when the execution ended is described again.
#[tokio::test(start_paused = true)]
async fn each_target_is_told_once_as_it_starts_and_once_as_it_ends_whatever_the_listing_does() {
    let (sfn, asked) = step_functions();
    let execution = Execution {
        arn: EXECUTION.into(),
        name: "r1".into(),
        attached: false,
    };
    let told = Told {
        start: Instant::now(),
        lines: Mutex::default(),
    };

    let followed = step_functions::follow(&sfn, &execution, &told, &mut Shutdown::never())
        .await
        .unwrap();

    assert!(matches!(followed, Followed::Summary(_)));
    // Polls at 0, 5, 10 (the targets' listing fails), 15, 20 and 25 s (the execution ended).
    assert_eq!(
        *told.lines.lock().unwrap(),
        [
            "0s execution RUNNING",
            "0s acme started (canary)",
            "10s acme succeeded",
            // Not at 10 s: that listing failed. In the order they started (by name at once).
            "15s globex started",
            "15s globex failed",
            "15s umbrella started",
            "15s initech started",
            "15s initech error",
            // Still listed running: described again at the end.
            "25s umbrella succeeded",
            "25s execution SUCCEEDED",
        ]
        .map(String::from)
    );
    // acme when first seen and when seen ended; umbrella when first seen and at the end; the
    // others seen ended at once.
    assert_eq!(
        *asked.describes.lock().unwrap(),
        BTreeMap::from([("acme", 2), ("globex", 1), ("initech", 1), ("umbrella", 2)])
    );
    // Listed at 0, 5 and 10 s; at 10 s it ended with its one item seen ended: not again.
    assert_eq!(asked.canary_lists.load(Ordering::SeqCst), 3);
}
