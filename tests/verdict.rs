//! The verdict: exit status 0 only when the deciding container exited 0.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

/// A migration that exits 0 succeeds: exit status 0, JSON status `succeeded`, exit code 0.
#[tokio::test]
async fn a_migration_that_exits_zero_succeeds() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh("migrate", "echo migrating; exit 0")],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td, "--output", "json"])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["task_definition"], td);
    assert_eq!(
        emulator.all_tasks("app").await.len(),
        1,
        "exactly one task started"
    );
}

/// A non-zero exit code fails the run (status 1) and is carried in the verdict.
#[tokio::test]
async fn a_nonzero_exit_code_fails_and_is_reported() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh("migrate", "echo boom >&2; exit 3")],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td])
        .run()
        .await;

    out.status(1)
        .stderr_has("migration FAILED")
        .stderr_has("container `migrate` exited with code 3");
}

/// The command override after `--` replaces the task definition's command, on the deciding
/// container.
#[tokio::test]
async fn the_command_override_runs_instead_of_the_task_definitions() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition("migrate", vec![Container::sh("migrate", "exit 9")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            &td,
            "--output",
            "json",
            "--",
            "sh",
            "-c",
            "exit 0",
        ])
        .run()
        .await;
    assert_eq!(out.status(0).json()["exit_code"], 0);

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td, "--output", "json"])
        .env("ECS_MIGRATE_COMMAND", r#"["sh", "-c", "exit 7"]"#)
        .run()
        .await;
    assert_eq!(out.status(1).json()["exit_code"], 7);
}

/// A task whose image cannot be pulled never started: failure, stop code TaskFailedToStart,
/// the pull error as reason, and no exit code.
#[tokio::test]
async fn a_task_that_failed_to_start_is_a_failure_without_exit_code() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh("migrate", "exit 0").image("registry.invalid/unpullable:1")],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td, "--output", "json"])
        .run()
        .await;

    let doc = out.status(1).json();
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["stop_code"], "TaskFailedToStart");
    assert_eq!(doc["exit_code"], serde_json::Value::Null);
    let reason = doc["reason"].as_str().unwrap();
    assert!(reason.contains("CannotPullContainerError"), "{reason}");
}

/// RunTask `failures[]` (no capacity) is a failure listing each failure; no task exists.
#[tokio::test]
async fn run_task_failures_are_reported_and_nothing_runs() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![Container::sh("migrate", "exit 0").image("example/no-capacity:1")],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td, "--output", "json"])
        .run()
        .await;

    let doc = out.status(1).json();
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["task_arn"], serde_json::Value::Null);
    assert_eq!(doc["failures"][0]["reason"], "RESOURCE:MEMORY");
    assert!(emulator.all_tasks("app").await.is_empty());
}

/// A non-essential sidecar killed when the migration ends (exit 143/137) does not decide.
#[tokio::test]
async fn a_killed_sidecar_does_not_decide() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![
                Container::sh("migrate", "sleep 0.5; exit 0"),
                Container::sh("envoy", "sleep 300").essential(false),
            ],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", &td, "--output", "json"])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["container"], "migrate");
    let task = app
        .ecs
        .describe_tasks()
        .cluster("app")
        .tasks(doc["task_arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let envoy = task.tasks()[0]
        .containers()
        .iter()
        .find(|c| c.name() == Some("envoy"))
        .unwrap()
        .exit_code();
    assert!(
        matches!(envoy, Some(137) | Some(143)),
        "sidecar exit code {envoy:?}"
    );
}

/// With several essential containers, `--container` picks the one that decides.
#[tokio::test]
async fn container_flag_picks_the_deciding_container() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition(
            "migrate",
            vec![
                Container::sh("app", "sleep 300"),
                Container::sh("migrate", "exit 5"),
            ],
        )
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            &td,
            "--container",
            "migrate",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(1).json();
    assert_eq!(
        (doc["container"].as_str(), doc["exit_code"].as_i64()),
        (Some("migrate"), Some(5))
    );
}
