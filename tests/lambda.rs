//! The Lambda handler: the real `bootstrap` binary, driven through the Runtime API protocol by a
//! fake Runtime API (`runtime_api.rs`), against the emulator.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::runtime_api::{Posted, RuntimeApi};
use serde_json::{json, Value};
use std::time::Duration;

/// Guards against a hung function only; no test waits this long when it passes.
const HANG: Duration = Duration::from_secs(180);

/// The replaced Lambda's payload: comma-separated strings.
fn omni_payload(app: &App, task_definition: &str) -> Value {
    json!({
        "Cluster": app.cluster,
        "TaskDefinition": task_definition,
        "Subnets": app.subnets.join(","),
        "SecurityGroups": app.security_group,
    })
}

/// The payload the replaced Lambda takes, unchanged, runs the migration; the response is the
/// same JSON report as `ecs-migrate run --output json`. Invoking again with the same payload is
/// skipped (run-once), also a success.
#[tokio::test]
async fn the_replaced_lambdas_payload_runs_the_migration_and_returns_the_report() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh("migrate", "echo applied 3 migrations").awslogs("/ecs/app", "app")],
        )
        .await;
    let mut api = RuntimeApi::start();
    let first = api.invoke(omni_payload(&app, &td), Duration::from_secs(900));
    let second = api.invoke(omni_payload(&app, &td), Duration::from_secs(900));
    let _function = api.start_function(&emulator);

    let Posted::Response { id, body } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, first);
    assert_eq!(body["status"], "succeeded", "{body}");
    assert_eq!(
        body["statusCode"], 200,
        "the replaced Lambda's success key: {body}"
    );
    assert_eq!(body["exit_code"], 0);
    assert_eq!(body["task_definition"], td.as_str());
    for key in ["task_arn", "migration", "run_id", "reason", "log_tail"] {
        assert!(!body[key].is_null(), "the report has `{key}`: {body}");
    }
    assert_eq!(body["log_tail"][0], "applied 3 migrations");

    let Posted::Response { id, body: again } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, second);
    assert_eq!(again["status"], "skipped", "{again}");
    assert_eq!(again["statusCode"], 200, "{again}");
    assert_eq!(app.migration_tasks().await.len(), 1, "one task in all");
}

/// Lambda starts the package's `bootstrap`; the same binary started by its own name with no
/// arguments, but with `AWS_LAMBDA_RUNTIME_API` set, serves invocations too (one binary, two
/// faces).
#[tokio::test]
async fn the_cli_binary_serves_as_the_function_under_the_runtime_api() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition("migrate", vec![Container::sh("migrate", "exit 0")])
        .await;
    let mut api = RuntimeApi::start();
    let id = api.invoke(omni_payload(&app, &td), Duration::from_secs(900));
    let _function = api.start_function_as(&emulator, None);

    let Posted::Response { id: answered, body } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(answered, id);
    assert_eq!(body["status"], "succeeded", "{body}");
}

/// A failed migration is a Lambda *error* with errorType `MigrationFailed` (so `aws lambda
/// invoke` shows FunctionError and Terraform fails the apply), carrying the exit code and the
/// last log lines; a bad payload is `InvalidInput` naming the key, and changes nothing; a
/// migration past its `Timeout` is stopped and is `TimedOut`.
#[tokio::test]
async fn failures_are_function_errors_with_stable_types() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh(
                "migrate",
                "echo 'relation users already exists' >&2; exit 3",
            )
            .awslogs("/ecs/app", "app")],
        )
        .await;
    let mut api = RuntimeApi::start();
    let mut bad = omni_payload(&app, &td);
    bad["Timeout"] = json!("soon");
    let bad_id = api.invoke(bad, Duration::from_secs(900));
    let failing = api.invoke(omni_payload(&app, &td), Duration::from_secs(900));
    let slow = app
        .task_definition("slow", vec![Container::sh("migrate", "sleep 60")])
        .await;
    let mut too_slow = omni_payload(&app, &slow);
    too_slow["Timeout"] = json!("2s");
    let too_slow_id = api.invoke(too_slow, Duration::from_secs(900));
    let _function = api.start_function(&emulator);

    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &bad_id);
    assert_eq!(posted.error_type(), Some("InvalidInput"));
    assert!(
        posted.error_message().contains("invalid timeout `soon`")
            && posted.error_message().contains("(payload key `Timeout`)"),
        "{}",
        posted.error_message()
    );
    assert!(
        emulator.all_tasks("app").await.is_empty(),
        "bad input started nothing"
    );

    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &failing);
    assert_eq!(posted.error_type(), Some("MigrationFailed"));
    let message = posted.error_message();
    assert!(message.contains("exited with code 3"), "{message}");
    assert!(
        message.contains("relation users already exists"),
        "{message}"
    );

    // The run's Timeout passed: the task was stopped, and the invocation fails as TimedOut.
    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &too_slow_id);
    assert_eq!(posted.error_type(), Some("TimedOut"));
    assert!(
        posted.error_message().contains("timed out after 2s"),
        "{}",
        posted.error_message()
    );
}

/// An app whose service `web` runs 2 tasks, and the payload of a migration running `script`
/// with `web` paused around it.
async fn web_at_2_and_a_migration(emulator: &Emulator, script: &str) -> (App, Value) {
    let app = App::new(emulator).await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 2).await;
    let td = app
        .task_definition("migrate", vec![Container::sh("migrate", script)])
        .await;
    let mut payload = omni_payload(&app, &td);
    payload["Services"] = json!(["web"]);
    (app, payload)
}

/// The answer after a hand-off: succeeded, on the one migration task (`migration`) started
/// before it, `web` back at its own count and its record gone.
async fn succeeded_on_the_same_task(app: &App, body: &Value, migration: &[String]) {
    assert_eq!(body["status"], "succeeded", "{body}");
    assert_eq!(body["task_arn"], migration[0].as_str(), "the same task");
    assert_eq!(body["services"][0]["desired_after"], 2, "{body}");
    assert_eq!(app.counts("web").await.0, 2, "web back at its own count");
    assert!(app.pause_tags("web").await.is_empty());
    assert_eq!(
        app.migration_tasks().await,
        migration,
        "exactly one migration task was started"
    );
}

/// Near the invocation's deadline the function stops waiting and fails with `StillRunning`
/// naming the task, leaving the task running and the service paused; invoking again with the
/// same payload re-attaches to that same task, reports its verdict and restores the service —
/// one task in all. This is how a migration longer than Lambda's 15 minutes works.
#[tokio::test]
async fn near_the_deadline_it_hands_off_and_the_next_invocation_re_attaches() {
    let emulator = Emulator::start();
    let (app, payload) = web_at_2_and_a_migration(&emulator, "sleep 25; echo migrated").await;

    let mut api = RuntimeApi::start();
    // 12 s left: the function hands off 2 s before the deadline, long before the task ends.
    let first = api.invoke(payload.clone(), Duration::from_secs(12));
    let _function = api.start_function(&emulator);

    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &first);
    assert_eq!(
        posted.error_type(),
        Some("StillRunning"),
        "{}",
        posted.error_message()
    );
    let migration = app.migration_tasks().await;
    assert_eq!(migration.len(), 1);
    assert!(
        posted.error_message().contains(&migration[0]),
        "names the task: {}",
        posted.error_message()
    );
    assert_eq!(app.counts("web").await.0, 0, "web stays paused meanwhile");
    assert!(!app.pause_tags("web").await.is_empty(), "its record stays");

    let second = api.invoke(payload, Duration::from_secs(120));
    let Posted::Response { id, body } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, second);
    succeeded_on_the_same_task(&app, &body, &migration).await;
}

/// A migration that ends after a hand-off and before the next invocation: that invocation finds
/// the lock still leased by the one that handed off and no live task, and answers with the
/// ended task's verdict at once (not `Locked` until the lease lapses, not a second task), the
/// service restored to its recorded count.
#[tokio::test]
async fn a_migration_that_ends_between_a_hand_off_and_the_next_invocation_is_answered_from_its_task(
) {
    let emulator = Emulator::start();
    let (app, payload) = web_at_2_and_a_migration(&emulator, "sleep 8; echo migrated").await;

    let mut api = RuntimeApi::start();
    // 5 s left: the function hands off 2 s before the deadline, while the task still runs.
    api.invoke(payload.clone(), Duration::from_secs(5));
    let _function = api.start_function(&emulator);
    let posted = api.posted(HANG);
    assert_eq!(
        posted.error_type(),
        Some("StillRunning"),
        "{}",
        posted.error_message()
    );
    let migration = app.migration_tasks().await;
    assert_eq!(migration.len(), 1);
    // The task ends while no invocation watches it.
    let mut stopped = false;
    for _ in 0..300 {
        let out = app
            .ecs
            .describe_tasks()
            .cluster(&app.cluster)
            .tasks(&migration[0])
            .send()
            .await
            .expect("DescribeTasks");
        if out.tasks()[0].last_status() == Some("STOPPED") {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped, "the migration task never stopped");
    assert_eq!(app.counts("web").await.0, 0, "web stays paused meanwhile");

    api.invoke(payload, Duration::from_secs(60));
    let posted = api.posted(HANG);
    let Posted::Response { body, .. } = &posted else {
        panic!(
            "expected the ended task's verdict, got {:?}: {}",
            posted.error_type(),
            posted.error_message()
        )
    };
    succeeded_on_the_same_task(&app, body, &migration).await;
}

/// A payload with `Targets` is a rollout. Near the deadline the running targets hand off (their
/// tasks run on) and the invocation fails with `StillRunning`; invoking again with the same
/// payload resumes: what succeeded is skipped, the live task is re-attached to, the target
/// never started runs — one task per target in all — and the answer is the rollout report.
#[tokio::test]
async fn a_rollout_payload_hands_off_near_the_deadline_and_the_next_invocation_resumes_it() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    for (family, seconds) in [("quick", 1), ("slow", 20), ("later", 1)] {
        app.task_definition(
            family,
            vec![Container::sh(
                "migrate",
                &format!("sleep {seconds}; echo {family} done"),
            )],
        )
        .await;
    }
    let payload = json!({
        "Targets": {
            "defaults": {"cluster": app.cluster, "subnets": [app.subnets[0]]},
            "targets": [
                {"name": "quick", "task_definition": "quick"},
                {"name": "slow", "task_definition": "slow"},
                {"name": "later", "task_definition": "later"}
            ]
        },
        "Concurrency": 2
    });

    let mut api = RuntimeApi::start();
    // 12 s left: `quick` ends, `slow` is still running at the hand-off (2 s before the
    // deadline), and `later` is not started... or started and handed off.
    let first = api.invoke(payload.clone(), Duration::from_secs(12));
    let _function = api.start_function(&emulator);
    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &first);
    assert_eq!(
        posted.error_type(),
        Some("StillRunning"),
        "{}",
        posted.error_message()
    );
    assert!(
        posted.error_message().contains("slow"),
        "{}",
        posted.error_message()
    );
    let tasks_then = app.migration_tasks().await;

    let second = api.invoke(payload, Duration::from_secs(120));
    let Posted::Response { id, body } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, second);
    assert_eq!(body["status"], "succeeded", "{body:#}");
    assert_eq!(body["statusCode"], 200, "{body}");
    let statuses: Vec<&str> = body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "skipped", "quick succeeded before: {body:#}");
    assert_eq!(statuses[1], "succeeded", "{body:#}");
    let slow_task = body["targets"][1]["report"]["task_arn"].as_str().unwrap();
    assert!(
        tasks_then.iter().any(|t| t == slow_task),
        "slow's task is the one the first invocation started: {body:#}"
    );
    assert_eq!(
        app.migration_tasks().await.len(),
        3,
        "one task per target in all"
    );
}

/// What a Step Functions item and the state machine's last step send
/// (`terraform/modules/ecs-migrate-rollout`): a payload with `Target` and `Defaults` runs that
/// one target as a run (its answer the run's, with `target`; a failing one the run's
/// `MigrationFailed`), and a payload with `Summarize` answers the rollout document: the
/// answered target from its answer, the failed one — whose answer the fan-out lost — from its
/// outcome record, and with `Halted` the one never invoked `not_started`.
#[tokio::test]
async fn target_payloads_run_one_target_each_and_the_summary_reads_what_their_answers_lost() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    for (family, script) in [
        ("good", "echo good done"),
        ("bad", "echo bad broke; exit 4"),
        ("never", "echo never ran"),
    ] {
        app.task_definition(family, vec![Container::sh("migrate", script)])
            .await;
    }
    let defaults = json!({"cluster": app.cluster, "subnets": [app.subnets[0]]});
    let targets = json!([
        {"name": "good", "task_definition": "good"},
        {"name": "bad", "task_definition": "bad"},
        {"name": "never", "task_definition": "never"}
    ]);
    let since = "2020-01-01T00:00:00.000Z";

    let mut api = RuntimeApi::start();
    let good = api.invoke(
        json!({"Target": targets[0], "Defaults": defaults}),
        Duration::from_secs(300),
    );
    let bad = api.invoke(
        json!({"Target": targets[1], "Defaults": defaults}),
        Duration::from_secs(300),
    );
    let _function = api.start_function(&emulator);
    let Posted::Response { id, body: answer } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, good);
    assert_eq!(answer["status"], "succeeded", "{answer:#}");
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["target"], "good", "{answer}");
    let posted = api.posted(HANG);
    let Posted::Error { id, .. } = &posted else {
        panic!("expected an error, got {posted:?}")
    };
    assert_eq!(id, &bad);
    assert_eq!(posted.error_type(), Some("MigrationFailed"));
    assert!(
        posted.error_message().starts_with("target `bad`: "),
        "{}",
        posted.error_message()
    );

    let summary = api.invoke(
        json!({
            "Summarize": {"defaults": defaults, "targets": targets},
            "Results": [[answer], [null]],
            "Halted": true,
            "Since": since,
        }),
        Duration::from_secs(120),
    );
    let Posted::Response { id, body } = api.posted(HANG) else {
        panic!("expected a response")
    };
    assert_eq!(id, summary);
    assert_eq!(body["status"], "halted", "{body:#}");
    let statuses: Vec<&str> = body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded", "failed", "not_started"], "{body:#}");
    assert_eq!(body["targets"][0]["report"]["task_arn"], answer["task_arn"]);
    assert_eq!(
        body["targets"][1]["report"]["outcome"]["exit_code"], 4,
        "the failed target's exit code, from its outcome record: {body:#}"
    );
    assert_eq!(body["counts"]["failed"], 1, "{body}");
    assert_eq!(
        app.migration_tasks().await.len(),
        2,
        "`never` was never run, and the summary started nothing"
    );
}
