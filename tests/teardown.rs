//! The verdict at the migration container's exit, against an emulator that tears each task down
//! for 15 s as Fargate does (DEACTIVATING, STOPPING, DEPROVISIONING, then STOPPED): the run
//! exits, and the paused service is back, while the task is still tearing down.

use crate::emulator::{Emulator, REALISTIC};
use crate::fixtures::{App, Container};
use crate::test::Test;
use ecs_migrate_core::ecs::types::Task;
use std::time::Duration;

/// Fargate-like: 15 s from the containers' exit to the task's STOPPED.
const TEARDOWN_SECONDS: u64 = 15;

/// An emulator under the realistic strict settings plus a 15 s teardown; `env` adds to it.
fn tearing_down(env: &[(&str, &str)]) -> Emulator {
    let mut config: serde_json::Value = serde_json::from_str(REALISTIC).unwrap();
    config["task_teardown_seconds"] = TEARDOWN_SECONDS.into();
    let config = config.to_string();
    let mut all = vec![("ECS_EMULATOR_CONFIG", config.as_str())];
    all.extend_from_slice(env);
    Emulator::start_with(&all)
}

/// An app whose service `web` runs 1 task, and a `migrate` task definition of `containers`.
async fn app_with_web(emulator: &Emulator, containers: Vec<Container>) -> App {
    let app = App::new(emulator).await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 1).await;
    app.task_definition("migrate", containers).await;
    app.wait_until_running("web", 1).await;
    app
}

fn args(app: &App) -> Vec<String> {
    let mut args = app.base_args();
    args.extend(
        [
            "--task-definition",
            "migrate",
            "--service",
            "web",
            "--output",
            "json",
        ]
        .map(String::from),
    );
    args
}

async fn describe(app: &App, task_arn: &str) -> Task {
    let out = app
        .ecs
        .describe_tasks()
        .cluster(&app.cluster)
        .tasks(task_arn)
        .send()
        .await
        .expect("DescribeTasks");
    out.tasks()[0].clone()
}

/// What ECS showed of the migration task right after the run exited, and of `web`.
async fn assert_exited_during_the_teardown(app: &App, doc: &serde_json::Value) -> Task {
    let task = describe(app, doc["task_arn"].as_str().unwrap()).await;
    assert_ne!(
        task.last_status(),
        Some("STOPPED"),
        "the run exited only once the task was STOPPED"
    );
    assert!(
        ["RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING"]
            .contains(&doc["task_status"].as_str().unwrap()),
        "{}",
        doc["task_status"]
    );
    assert_eq!(
        app.counts("web").await.0,
        1,
        "web scaled back up before the task was STOPPED"
    );
    task
}

/// Exit 0: succeeded, the service back, while ECS still tears the task down; the report carries
/// the stop code ECS set as the task started stopping, and says the task was still tearing down.
#[tokio::test]
async fn a_migration_that_exits_zero_succeeds_before_its_task_is_torn_down() {
    let emulator = tearing_down(&[]);
    let app = app_with_web(&emulator, vec![Container::sh("migrate", "echo migrated")]).await;

    let out = Test::new(&emulator).args(args(&app)).run().await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "succeeded");
    assert_exited_during_the_teardown(&app, &doc).await;
    assert_eq!(doc["stop_code"], "EssentialContainerExited");
    assert!(doc["stopped_at"].is_string(), "{}", doc["stopped_at"]);
    out.stderr_has("still tearing down");
    assert_eq!(app.migration_tasks().await.len(), 1);
}

/// A non-zero exit fails just as early, with its exit code.
#[tokio::test]
async fn a_nonzero_exit_fails_while_the_task_tears_down() {
    let emulator = tearing_down(&[]);
    let app = app_with_web(&emulator, vec![Container::sh("migrate", "exit 3")]).await;

    let out = Test::new(&emulator).args(args(&app)).run().await;

    let doc = out.status(1).json();
    assert_eq!(doc["exit_code"], 3);
    assert_exited_during_the_teardown(&app, &doc).await;
}

/// An essential sidecar that ignores SIGTERM (stopped with SIGKILL 120 s later) does not delay
/// the verdict: the run exits while the sidecar still runs.
#[tokio::test]
async fn a_sidecar_still_running_does_not_delay_the_verdict() {
    let emulator = tearing_down(&[("ECS_EMULATOR_STOP_GRACE", "120")]);
    let app = app_with_web(
        &emulator,
        vec![
            // The migration exits once the sidecar ignores SIGTERM (it says so with a file).
            Container::sh(
                "migrate",
                "until [ -f envoy-ready ]; do sleep 0.1; done; echo migrated",
            ),
            Container::sh("envoy", "trap '' TERM; touch envoy-ready; sleep 3600"),
        ],
    )
    .await;
    let mut args = args(&app);
    args.extend(["--container".into(), "migrate".into()]);

    let out = Test::new(&emulator).args(args).run().await;

    let doc = out.status(0).json();
    let task = assert_exited_during_the_teardown(&app, &doc).await;
    let envoy = task
        .containers()
        .iter()
        .find(|c| c.name() == Some("envoy"))
        .unwrap();
    assert_eq!(
        envoy.last_status(),
        Some("RUNNING"),
        "the sidecar was still running when the run exited"
    );
}

/// A task that never started (its image cannot be pulled) is a failure decided when ECS says so,
/// with its stop code and no exit code, and the service is restored.
#[tokio::test]
async fn a_task_that_never_started_fails_when_ecs_says_so() {
    let emulator = tearing_down(&[]);
    let app = app_with_web(
        &emulator,
        vec![Container::sh("migrate", "exit 0").image("registry.invalid/unpullable:1")],
    )
    .await;

    let out = Test::new(&emulator).args(args(&app)).run().await;

    let doc = out.status(1).json();
    assert_eq!(doc["stop_code"], "TaskFailedToStart");
    assert_eq!(doc["exit_code"], serde_json::Value::Null);
    assert!(
        doc["reason"]
            .as_str()
            .unwrap()
            .contains("CannotPullContainerError"),
        "{}",
        doc["reason"]
    );
    assert_eq!(app.counts("web").await.0, 1, "web restored");
}

/// A runner killed (SIGKILL) while its migration ran, its lock cleared by the operator: the
/// next run finds the task still tearing down, gets it back from RunTask's token, treats it as
/// stopped (its verdict stands at once) and starts no second task.
#[tokio::test]
async fn a_rerun_that_finds_the_task_tearing_down_takes_its_verdict() {
    let emulator = tearing_down(&[]);
    let app = app_with_web(&emulator, vec![Container::sh("migrate", "sleep 2; exit 0")]).await;
    let mut first = Test::new(&emulator)
        .args(["run", "--cluster", "app", "--subnets", &app.subnets[0]])
        .args(["--task-definition", "migrate", "--output", "json"])
        .spawn();
    let started = first.wait_for_stderr("started task").await;
    let task_arn = started.trim().rsplit(' ').next().unwrap().to_owned();
    first.wait_for_stderr("task RUNNING").await;
    first.signal(libc::SIGKILL);
    let _ = first.finish().await;
    // Wait until its container has exited and the task is tearing down.
    let mut task = describe(&app, &task_arn).await;
    for _ in 0..100 {
        let exited = task
            .containers()
            .iter()
            .any(|c| c.last_status() == Some("STOPPED"));
        if exited && task.last_status() != Some("STOPPED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        task = describe(&app, &task_arn).await;
    }
    assert_ne!(task.last_status(), Some("STOPPED"), "{task:?}");
    Test::new(&emulator)
        .args(["unlock", "--cluster", "app", "--task-definition", "migrate"])
        .run()
        .await
        .status(0);

    let out = Test::new(&emulator)
        .args(["run", "--cluster", "app", "--subnets", &app.subnets[0]])
        .args(["--task-definition", "migrate", "--output", "json"])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["task_arn"], task_arn.as_str(), "the same task");
    assert_eq!(doc["status"], "succeeded");
    assert_ne!(
        describe(&app, &task_arn).await.last_status(),
        Some("STOPPED")
    );
    assert_eq!(app.migration_tasks().await.len(), 1, "no second task");
}

/// `--wait-for-stopped` keeps the old behaviour: the run decides, and restores `web`, only once
/// the task is STOPPED after its teardown.
#[tokio::test]
async fn waiting_for_stopped_decides_after_the_teardown() {
    let emulator = tearing_down(&[]);
    let app = app_with_web(&emulator, vec![Container::sh("migrate", "echo migrated")]).await;
    let mut args = args(&app);
    args.push("--wait-for-stopped".into());

    let out = Test::new(&emulator).args(args).run().await;

    let doc = out.status(0).json();
    assert_eq!(doc["task_status"], "STOPPED");
    let task = describe(&app, doc["task_arn"].as_str().unwrap()).await;
    assert_eq!(task.last_status(), Some("STOPPED"));
    let torn_down = task.stopped_at().unwrap().as_secs_f64()
        - task.execution_stopped_at().unwrap().as_secs_f64();
    assert!(
        torn_down >= TEARDOWN_SECONDS as f64 - 0.5,
        "the task was STOPPED {torn_down:.1} s after its containers"
    );
    assert_eq!(app.counts("web").await.0, 1, "web restored");
    // web's new task was created only after the migration task was STOPPED.
    let created = task.created_at().unwrap().as_secs_f64();
    let stopped = task.stopped_at().unwrap().as_secs_f64();
    // (ListTasks shows a new task a moment after it exists.)
    let mut new_tasks: Vec<f64> = Vec::new();
    for _ in 0..100 {
        new_tasks = app
            .service_task_times("web")
            .await
            .into_iter()
            .map(|(_, created_at, _)| created_at)
            .filter(|at| *at > created)
            .collect();
        if !new_tasks.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!new_tasks.is_empty(), "web has a new task");
    assert!(
        new_tasks.iter().all(|at| *at >= stopped),
        "web's new task created at {new_tasks:?}, the migration task STOPPED at {stopped}"
    );
}
