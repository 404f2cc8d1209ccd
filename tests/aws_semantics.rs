//! The promises hold under the stricter semantics of real AWS, switched on in the emulator
//! (its "Strict mode"): a denied call, ECS's tag limits, CloudWatch's ingestion lag. The fault
//! suite (`scripts/fault-suite`) covers throttling storms, lost responses and kill -9.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

/// Switches on strict-mode settings (`POST /ecs-emulator/config`).
pub(crate) fn configure(emulator: &Emulator, config: serde_json::Value) {
    ureq::post(&format!("{}/ecs-emulator/config", emulator.url))
        .set("Content-Type", "application/json")
        .send_string(&config.to_string())
        .expect("the emulator takes the config");
}

async fn app_with_web(emulator: &Emulator, migration: Container) -> App {
    let app = App::new(emulator).await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 2).await;
    app.task_definition("migrate", vec![migration]).await;
    for _ in 0..100 {
        if app.counts("web").await.1 == 2 {
            return app;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("web never reached its 2 tasks");
}

/// A RunTask denied by IAM ends the run with one line (the operation, the cluster, AWS's code
/// and message, the action to allow) and no SDK dump; the paused service is back at its count.
#[tokio::test]
async fn a_denied_run_task_is_one_line_naming_the_action_and_the_service_comes_back() {
    let emulator = Emulator::start();
    let app = app_with_web(&emulator, Container::sh("migrate", "exit 0")).await;
    configure(
        &emulator,
        serde_json::json!({"faults": {"ecs:RunTask": {"access_denied": 1}}}),
    );

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "migrate", "--service", "web"])
        .run()
        .await;

    out.status(3);
    out.stderr_has("AWS ecs:RunTask on cluster `arn:aws:ecs:us-east-1:123456789012:cluster/app` failed: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci/ecs-migrate is not authorized to perform: ecs:RunTask")
        .stderr_has("Allow `ecs:RunTask` on that resource in the IAM policy");
    for dump in [
        "Error {",
        "ErrorMetadata",
        "x-amzn-requestid",
        "headers",
        "body:",
    ] {
        assert!(
            !out.stderr.to_lowercase().contains(&dump.to_lowercase()),
            "SDK dump `{dump}` in the message:\n{}",
            out.stderr
        );
    }
    assert_eq!(app.counts("web").await.0, 2, "web back at its count");
    assert!(app.pause_tags("web").await.is_empty(), "record removed");
    assert!(app.migration_tasks().await.is_empty(), "no task started");
}

/// A cluster with 50 tags cannot take the lock's tag: the run is refused (exit 2) before anything
/// changes, with the limit and the fix; the service was never paused.
#[tokio::test]
async fn a_cluster_with_fifty_tags_is_refused_and_nothing_changes() {
    let emulator = Emulator::start();
    let app = app_with_web(&emulator, Container::sh("migrate", "exit 0")).await;
    let cluster = app.cluster_arn().await;
    for chunk in 0..5 {
        let mut call = app.ecs.tag_resource().resource_arn(&cluster);
        for i in 0..10 {
            call = call.tags(
                ecs_migrate_core::ecs::types::Tag::builder()
                    .key(format!("team-{chunk}-{i}"))
                    .value("x")
                    .build(),
            );
        }
        call.send().await.expect("TagResource");
    }

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "migrate", "--service", "web"])
        .run()
        .await;

    out.status(2)
        .stderr_has("the lock record on cluster")
        .stderr_has("50 tags")
        .stderr_has("Nothing was changed");
    assert_eq!(app.counts("web").await.0, 2);
    assert!(app.pause_tags("web").await.is_empty());
    assert!(app.migration_tasks().await.is_empty());
}

/// With CloudWatch showing each line 2 s after it was put and the migration exiting right after
/// its last line, a settle window longer than that lag (`--log-settle 2500ms`; the default is
/// 1 s) reads every line, the last one included.
#[tokio::test]
async fn no_line_is_lost_at_two_seconds_of_ingestion_lag_with_a_longer_settle_window() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "laggy",
        vec![Container::sh(
            "migrate",
            "seq -f 'line %.0f' 1 3000; echo 'ERROR: the last words'; exit 1",
        )
        .awslogs("/ecs/app", "app")],
    )
    .await;
    configure(
        &emulator,
        serde_json::json!({"log_lag_ms": 2000, "log_empty_page_rate": 0.3, "seed": 7}),
    );

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "laggy", "--output", "json"])
        .args(["--log-settle", "2500ms"])
        .run()
        .await;

    out.status(1);
    let report = out.json();
    assert_eq!(report["log_lines"], 3001, "{report}");
    assert_eq!(
        report["log_tail"].as_array().unwrap().last().unwrap(),
        "ERROR: the last words"
    );
}
