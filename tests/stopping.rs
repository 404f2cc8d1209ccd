//! The task is never left running by accident: timeout and signals stop it.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

/// The task's last status and stopped reason once ECS has finished stopping it (the run exits
/// at its container's exit; the teardown after that takes ECS a moment), up to 10 s.
async fn task_state(app: &App, task_arn: &str) -> (String, Option<String>) {
    let mut tries = 0;
    loop {
        let out = app
            .ecs
            .describe_tasks()
            .cluster("app")
            .tasks(task_arn)
            .send()
            .await
            .unwrap();
        let task = &out.tasks()[0];
        let status = task.last_status().unwrap_or_default().to_owned();
        tries += 1;
        if status == "STOPPED" || tries == 100 {
            return (status, task.stopped_reason().map(str::to_owned));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// On timeout the task is stopped with a reason naming ecs-migrate, and the run exits 4.
#[tokio::test]
async fn timeout_stops_the_task() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("slow", vec![Container::sh("migrate", "sleep 300")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            "slow",
            "--timeout",
            "2s",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(4).json();
    assert_eq!(doc["status"], "timed_out");
    let (status, reason) = task_state(&app, doc["task_arn"].as_str().unwrap()).await;
    assert_eq!(status, "STOPPED");
    assert_eq!(reason.as_deref(), Some("ecs-migrate: timed out after 2s"));
}

async fn a_signal_stops_the_task(signal: i32) {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("slow", vec![Container::sh("migrate", "sleep 300")])
        .await;

    let mut run = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "slow", "--output", "json"])
        .spawn();
    run.wait_for_stderr("task RUNNING").await;
    run.signal(signal);
    let out = run.finish().await;

    let doc = out.status(130).json();
    assert_eq!(doc["status"], "interrupted");
    let (status, reason) = task_state(&app, doc["task_arn"].as_str().unwrap()).await;
    assert_eq!(status, "STOPPED");
    assert!(reason.unwrap().starts_with("ecs-migrate: interrupted"));
}

/// Ctrl-C (SIGINT) stops the task, waits for it, and exits 130.
#[tokio::test]
async fn sigint_stops_the_task() {
    a_signal_stops_the_task(libc::SIGINT).await;
}

/// SIGTERM (a CI runner cancelling the job) does the same.
#[tokio::test]
async fn sigterm_stops_the_task() {
    a_signal_stops_the_task(libc::SIGTERM).await;
}

/// A second signal exits at once and names the task left running.
#[tokio::test]
async fn a_second_signal_exits_at_once_naming_the_task() {
    // A long grace period keeps the task stopping while the second signal arrives.
    let emulator = Emulator::start_with(&[("ECS_EMULATOR_STOP_GRACE", "30")]);
    let app = App::new(&emulator).await;
    app.task_definition(
        "stubborn",
        vec![Container::sh("migrate", "trap '' TERM; sleep 300")],
    )
    .await;

    let mut run = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "stubborn"])
        .spawn();
    let started = run.wait_for_stderr("started task").await;
    let task_arn = started.trim().rsplit(' ').next().unwrap().to_owned();
    run.wait_for_stderr("task RUNNING").await;
    run.signal(libc::SIGINT);
    run.wait_for_stderr("stopping task").await;
    run.signal(libc::SIGINT);
    let out = run.finish().await;

    out.status(130)
        .stderr_has("left running")
        .stderr_has(&task_arn);
}
