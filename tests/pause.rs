//! Pausing the app's services around the migration, and always putting them back.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};

/// An app with two services (web at 2 tasks, worker at 1) and a migration task definition.
async fn app_with_services(emulator: &Emulator, migration: &str) -> App {
    let app = App::new(emulator).await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 2).await;
    app.service("worker", &web, 1).await;
    app.task_definition("migrate", vec![Container::sh("migrate", migration)])
        .await;
    app.wait_until_running("web", 2).await;
    app.wait_until_running("worker", 1).await;
    app
}

fn pause_args(app: &App) -> Vec<String> {
    let mut args = app.base_args();
    args.extend(
        [
            "--task-definition",
            "migrate",
            "--service",
            "web",
            "--service",
            "worker",
            "--output",
            "json",
        ]
        .map(String::from),
    );
    args
}

async fn assert_restored(app: &App) {
    assert_eq!(app.counts("web").await.0, 2, "web back at its own count");
    assert_eq!(
        app.counts("worker").await.0,
        1,
        "worker back at its own count"
    );
    assert!(
        app.pause_tags("web").await.is_empty(),
        "web's pause record removed"
    );
    assert!(
        app.pause_tags("worker").await.is_empty(),
        "worker's pause record removed"
    );
}

/// Two services are paused at 0, the migration runs only after their old tasks stopped (by the
/// emulator's timestamps), and each comes back at its own previous count.
#[tokio::test]
async fn two_services_are_paused_and_restored_to_their_own_counts() {
    let emulator = Emulator::start_with(&[("ECS_EMULATOR_DRAIN_SECONDS", "2")]);
    let app = app_with_services(&emulator, "exit 0").await;
    let old_tasks: Vec<String> = app
        .service_task_times("web")
        .await
        .into_iter()
        .map(|t| t.0)
        .collect();

    let out = Test::new(&emulator).args(pause_args(&app)).run().await;

    let doc = out.status(0).json();
    let services = doc["services"].as_array().unwrap();
    assert_eq!(services.len(), 2);
    assert_eq!(
        (
            services[0]["name"].as_str(),
            services[0]["desired_before"].as_i64(),
            services[0]["desired_during"].as_i64(),
            services[0]["desired_after"].as_i64()
        ),
        (Some("web"), Some(2), Some(0), Some(2))
    );
    assert_eq!(services[1]["desired_after"], 1);
    assert_restored(&app).await;

    // The migration task was created only after every old service task's containers had
    // stopped (their tasks may still be tearing down: no code of theirs runs).
    let migration = app
        .ecs
        .describe_tasks()
        .cluster("app")
        .tasks(doc["task_arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let created = migration.tasks()[0].created_at().unwrap().as_secs_f64();
    let mut checked = 0;
    for service in ["web", "worker"] {
        for (arn, _, stopped) in app.service_task_times(service).await {
            if service == "web" && !old_tasks.contains(&arn) {
                continue; // a task started by the restore
            }
            if let Some(stopped) = stopped {
                assert!(
                    stopped <= created,
                    "{arn} stopped at {stopped}, after the migration started at {created}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "the old tasks were stopped ({checked})");
}

async fn restored_after(migration: &str, extra: &[&str], status: i32) {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, migration).await;

    let out = Test::new(&emulator)
        .args(pause_args(&app))
        .args(extra)
        .run()
        .await;

    out.status(status);
    assert_restored(&app).await;
}

/// A failing migration: services restored, exit 1.
#[tokio::test]
async fn services_are_restored_after_a_failing_migration() {
    restored_after("exit 2", &[], 1).await;
}

/// A timed-out migration: the task is stopped and the services restored, exit 4.
#[tokio::test]
async fn services_are_restored_after_a_timeout() {
    restored_after("sleep 300", &["--timeout", "4s"], 4).await;
}

/// A migration that could not start: services restored, exit 1.
#[tokio::test]
async fn services_are_restored_when_the_task_fails_to_start() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "exit 0").await;
    app.task_definition(
        "migrate",
        vec![Container::sh("migrate", "exit 0").image("example/unpullable:1")],
    )
    .await;

    let out = Test::new(&emulator).args(pause_args(&app)).run().await;

    out.status(1);
    assert_restored(&app).await;
}

async fn restored_after_signal(signal: i32) {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "sleep 300").await;

    let mut run = Test::new(&emulator).args(pause_args(&app)).spawn();
    run.wait_for_stderr("task RUNNING").await;
    assert_eq!(
        app.counts("web").await.0,
        0,
        "paused while the migration runs"
    );
    run.signal(signal);
    let out = run.finish().await;

    out.status(130);
    assert_restored(&app).await;
}

/// Ctrl-C during the migration: task stopped, services restored.
#[tokio::test]
async fn services_are_restored_after_sigint() {
    restored_after_signal(libc::SIGINT).await;
}

/// SIGTERM during the migration: task stopped, services restored.
#[tokio::test]
async fn services_are_restored_after_sigterm() {
    restored_after_signal(libc::SIGTERM).await;
}

/// `--keep-paused-on-failure` leaves them paused, says so with the restore command, and
/// `ecs-migrate restore` then brings them back to their recorded counts.
#[tokio::test]
async fn keep_paused_on_failure_then_restore() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "exit 1").await;

    let out = Test::new(&emulator)
        .args(pause_args(&app))
        .arg("--keep-paused-on-failure")
        .run()
        .await;

    out.status(1)
        .stderr_has("LEFT PAUSED")
        .stderr_has("ecs-migrate restore --cluster app --service web --service worker");
    assert_eq!(app.counts("web").await.0, 0);
    assert_eq!(app.counts("worker").await.0, 0);
    assert!(
        !app.pause_tags("web").await.is_empty(),
        "the record stays for the restore"
    );

    let out = Test::new(&emulator)
        .args([
            "restore",
            "--cluster",
            "app",
            "--service",
            "web,worker",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["services"][0]["desired_after"], 2);
    assert_restored(&app).await;
}

/// After `--keep-paused-on-failure`, the next run of the app (here with the fix, a new
/// command) is not locked out: it puts the services back to their recorded counts first (never
/// recording the paused 0 as theirs), pauses them again, migrates, and restores them.
#[tokio::test]
async fn after_keep_paused_the_next_run_restores_first_then_migrates() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "exit 1").await;
    Test::new(&emulator)
        .args(pause_args(&app))
        .arg("--keep-paused-on-failure")
        .run()
        .await
        .status(1);
    assert_eq!(app.counts("web").await.0, 0);

    let out = Test::new(&emulator)
        .args(pause_args(&app))
        .args(["--wait-for-lock", "0", "--", "sh", "-c", "echo fixed"])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["services"][0]["desired_before"], 2, "{doc}");
    assert_eq!(doc["services"][1]["desired_before"], 1, "{doc}");
    assert_restored(&app).await;
}

/// After `--keep-paused-on-failure`, running the *same* migration again is a retry: a new task
/// (not the failed one's verdict again, though that task is still listed and carries the run
/// id of the records left on the services), which here succeeds; the services back.
#[tokio::test]
async fn after_keep_paused_the_same_migration_again_is_retried_with_a_new_task() {
    let emulator = Emulator::start();
    let marker = emulator.dir.path().join("failed-once");
    // Fails the first time, succeeds the next.
    let script = format!(
        "test -f {m} || {{ touch {m}; exit 1; }}",
        m = marker.display()
    );
    let app = app_with_services(&emulator, &script).await;
    Test::new(&emulator)
        .args(pause_args(&app))
        .arg("--keep-paused-on-failure")
        .run()
        .await
        .status(1);
    assert_eq!(app.counts("web").await.0, 0);
    let failed = app.migration_tasks().await;
    assert_eq!(failed.len(), 1);

    let out = Test::new(&emulator)
        .args(pause_args(&app))
        .args(["--wait-for-lock", "0"])
        .run()
        .await;
    let doc = out.status(0).json();
    assert_eq!(doc["status"], "succeeded", "{doc}");
    assert_ne!(doc["task_arn"], failed[0].as_str(), "a new task: {doc}");
    assert_eq!(app.migration_tasks().await.len(), 2);
    assert_restored(&app).await;
}

/// A runner killed (SIGKILL) mid-migration leaves the records; the next run of the same
/// migration attaches to the same task (no second task), then restores each service to its
/// *recorded* count (not the paused 0 it now shows).
#[tokio::test]
async fn after_kill_9_the_next_run_attaches_and_restores_the_recorded_counts() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "sleep 6; echo done").await;

    let mut run = Test::new(&emulator).args(pause_args(&app)).spawn();
    let started = run.wait_for_stderr("started task").await;
    let task_arn = started.trim().rsplit(' ').next().unwrap().to_owned();
    run.wait_for_stderr("task RUNNING").await;
    run.signal(libc::SIGKILL);
    let _ = run.finish().await;
    assert_eq!(
        app.counts("web").await.0,
        0,
        "left paused by the killed run"
    );
    assert!(!app.pause_tags("web").await.is_empty());

    let out = Test::new(&emulator).args(pause_args(&app)).run().await;

    let doc = out.status(0).json();
    out.stderr_has("joining it").stderr_has("attaching to it");
    assert_eq!(
        doc["task_arn"],
        task_arn.as_str(),
        "attached to the same task"
    );
    assert_eq!(doc["services"][0]["desired_before"], 2);
    assert_restored(&app).await;
    // Counted by their `startedBy`: the services' new tasks, started by the restore a moment
    // ago, may not be listed yet (the emulator's describe lag), so "all tasks minus the
    // services' tasks" can come out below zero.
    assert_eq!(
        app.migration_tasks().await.len(),
        1,
        "exactly one migration task was ever started"
    );
}

/// Application Auto Scaling: suspended with the minimum lowered during the migration, and its
/// bounds and suspended state put back exactly afterwards.
#[tokio::test]
async fn auto_scaling_is_suspended_and_restored_exactly() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "sleep 3").await;
    let autoscaling = emulator.autoscaling();
    autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/app/web")
        .min_capacity(2)
        .max_capacity(6)
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(false)
                .dynamic_scaling_out_suspended(true)
                .scheduled_scaling_suspended(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let target = || async {
        let out = emulator
            .autoscaling()
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids("service/app/web")
            .send()
            .await
            .unwrap();
        let t = out.scalable_targets()[0].clone();
        let s = t.suspended_state().unwrap();
        (
            t.min_capacity(),
            t.max_capacity(),
            s.dynamic_scaling_in_suspended(),
            s.dynamic_scaling_out_suspended(),
            s.scheduled_scaling_suspended(),
        )
    };

    let mut run = Test::new(&emulator).args(pause_args(&app)).spawn();
    run.wait_for_stderr("task RUNNING").await;
    assert_eq!(
        target().await,
        (0, 6, Some(true), Some(true), Some(true)),
        "during"
    );
    let out = run.finish().await;

    let doc = out.status(0).json();
    assert_eq!(doc["services"][0]["autoscaling_suspended"], true);
    assert_eq!(doc["services"][0]["autoscaling_restored"], true);
    assert_eq!(
        target().await,
        (2, 6, Some(false), Some(true), Some(false)),
        "after"
    );
    assert_restored(&app).await;
}

/// One unknown service refuses the whole run before anything is written: no record, no
/// count changed, no task.
#[tokio::test]
async fn an_unknown_service_refuses_the_run_and_changes_nothing() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "exit 0").await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            "migrate",
            "--service",
            "web",
            "--service",
            "wbe",
        ])
        .run()
        .await;

    out.status(3)
        .stderr_has("service `wbe` not found in cluster `app`");
    assert_eq!(app.counts("web").await.0, 2);
    assert!(app.pause_tags("web").await.is_empty());
    let tasks = emulator.all_tasks("app").await;
    let services: usize =
        app.service_task_times("web").await.len() + app.service_task_times("worker").await.len();
    assert_eq!(tasks.len(), services, "no migration task was started");
}

/// `--dry-run` shows the pause and restore plan and changes nothing.
#[tokio::test]
async fn dry_run_shows_the_pause_plan() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "exit 0").await;

    let out = Test::new(&emulator)
        .args(pause_args(&app))
        .args(["--dry-run", "--min-capacity", "1", "--desired-count", "3"])
        .run()
        .await;

    let pause = &out.status(0).json()["plan"]["pause"];
    assert_eq!(pause["min_capacity"], 1);
    assert_eq!(pause["restore_to"], 3);
    assert_eq!(pause["services"][0]["name"], "web");
    assert_eq!(pause["services"][0]["desired_count"], 2);
    assert_eq!(app.counts("web").await.0, 2);
    assert!(app.pause_tags("web").await.is_empty());
}

/// `--min-capacity` and `--desired-count`: paused at 1, brought back at 3.
#[tokio::test]
async fn min_capacity_and_desired_count_are_honoured() {
    let emulator = Emulator::start();
    let app = app_with_services(&emulator, "sleep 2").await;

    let mut run = Test::new(&emulator)
        .args(pause_args(&app))
        .args(["--min-capacity", "1", "--desired-count", "3"])
        .spawn();
    run.wait_for_stderr("task RUNNING").await;
    assert_eq!(
        app.counts("web").await,
        (1, 1),
        "paused at 1 with one task left"
    );
    let out = run.finish().await;

    out.status(0);
    assert_eq!(app.counts("web").await.0, 3);
    assert_eq!(app.counts("worker").await.0, 3);
}

/// A run taken for dead while it drained (its renewals failed for a whole lease; here the run
/// that took over is simulated by its lock on the cluster and its record on `web`) finds out
/// before RunTask: it starts nothing, leaves `web` to the run that holds it now, puts back only
/// `worker`, whose record is still its own, and leaves the other run's lock alone. Exit 5.
#[tokio::test]
async fn a_run_that_lost_its_lock_while_draining_starts_nothing_and_leaves_the_other_runs_services()
{
    let emulator = Emulator::start_with(&[("ECS_EMULATOR_DRAIN_SECONDS", "4")]);
    let app = app_with_services(&emulator, "exit 0").await;
    let mut run = Test::new(&emulator).args(pause_args(&app)).spawn();
    run.wait_for_stderr("waiting for").await;

    let tag = |k: &str, v: &str| {
        ecs_migrate_core::ecs::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    };
    let cluster_arn = app.cluster_arn().await;
    let web_arn = app.service_arn("web").await;
    app.ecs
        .tag_resource()
        .resource_arn(&cluster_arn)
        .tags(tag(
            "ecs-migrate:lock:migrate",
            "run=r-0ther0000001 since=2026-01-01T00:00:00Z expires=2999-01-01T00:00:00Z migration=ffffffffffffffff",
        ))
        .send()
        .await
        .unwrap();
    app.ecs
        .tag_resource()
        .resource_arn(&web_arn)
        .tags(tag("ecs-migrate:run", "r-0ther0000001"))
        .send()
        .await
        .unwrap();

    let out = run.finish().await;

    out.status(5)
        .stderr_has("lost the lock")
        .stderr_has("r-0ther0000001");
    assert!(app.migration_tasks().await.is_empty(), "no task started");
    assert_eq!(
        app.counts("web").await.0,
        0,
        "web is the other run's to restore"
    );
    assert!(app
        .pause_tags("web")
        .await
        .contains(&("ecs-migrate:run".into(), "r-0ther0000001".into())));
    assert_eq!(
        app.counts("worker").await.0,
        1,
        "worker, still ours, put back"
    );
    assert!(app.pause_tags("worker").await.is_empty());
    let lock = app
        .ecs
        .list_tags_for_resource()
        .resource_arn(&cluster_arn)
        .send()
        .await
        .unwrap();
    assert!(
        lock.tags().iter().any(|t| t
            .value()
            .unwrap_or_default()
            .starts_with("run=r-0ther0000001")),
        "the other run's lock stays"
    );
}
