//! Run once per revision, re-attach instead of starting twice, lock against concurrent runs.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::{Output, Test};

async fn app(emulator: &Emulator, migration: &str) -> App {
    let app = App::new(emulator).await;
    app.task_definition("migrate", vec![Container::sh("migrate", migration)])
        .await;
    app
}

fn tag(key: &str, value: &str) -> ecs_migrate_core::ecs::types::Tag {
    ecs_migrate_core::ecs::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

fn args(app: &App) -> Vec<String> {
    let mut args = app.base_args();
    args.extend(["--task-definition", "migrate", "--output", "json"].map(String::from));
    args
}

/// A second run of a migration that succeeded prints that it already did (when, which task),
/// exits 0 with status `skipped`, and starts nothing; `--force` runs it again.
#[tokio::test]
async fn a_succeeded_migration_is_skipped_unless_forced() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    let first = Test::new(&emulator).args(args(&app)).run().await;
    let first_task = first.status(0).json()["task_arn"]
        .as_str()
        .unwrap()
        .to_owned();

    let out = Test::new(&emulator).args(args(&app)).run().await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "skipped");
    let task_id = first_task.rsplit('/').next().unwrap();
    assert!(
        doc["reason"].as_str().unwrap().contains(task_id),
        "{}",
        doc["reason"]
    );
    assert_eq!(app.migration_tasks().await.len(), 1, "nothing started");

    let out = Test::new(&emulator)
        .args(args(&app))
        .arg("--force")
        .run()
        .await;
    assert_eq!(out.status(0).json()["status"], "succeeded");
    assert_eq!(app.migration_tasks().await.len(), 2, "--force ran it again");
}

/// Another command on the same revision is another migration: not skipped.
#[tokio::test]
async fn another_command_is_another_migration() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    Test::new(&emulator).args(args(&app)).run().await.status(0);

    let out = Test::new(&emulator)
        .args(args(&app))
        .args(["--", "sh", "-c", "exit 0"])
        .run()
        .await;

    assert_eq!(out.status(0).json()["status"], "succeeded");
}

/// A failed migration is not recorded as done: the next run runs it again.
#[tokio::test]
async fn a_failed_migration_is_not_skipped() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 3").await;
    Test::new(&emulator).args(args(&app)).run().await.status(1);

    let out = Test::new(&emulator).args(args(&app)).run().await;

    assert_eq!(out.status(1).json()["exit_code"], 3);
    assert_eq!(app.migration_tasks().await.len(), 2, "it ran again");
}

/// Two runs started at the same instant: one task is started, both report the same outcome,
/// and the service ends at its original count.
#[tokio::test]
async fn two_concurrent_runs_start_one_task_and_agree() {
    let emulator = Emulator::start();
    let app = app(&emulator, "sleep 3; exit 0").await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 2).await;
    let mut args = args(&app);
    args.extend(["--service", "web"].map(String::from));

    let (a, b) = tokio::join!(
        Test::new(&emulator).args(args.clone()).run(),
        Test::new(&emulator).args(args.clone()).run()
    );

    let (a, b) = (a.status(0).json(), b.status(0).json());
    let tasks = app.migration_tasks().await;
    assert_eq!(tasks.len(), 1, "one migration task");
    // Each run either watched that task to its success, or found the other run's success
    // recorded meanwhile (then it names that task); at least one watched it.
    let task_id = tasks[0].rsplit('/').next().unwrap();
    for doc in [&a, &b] {
        match doc["status"].as_str() {
            Some("succeeded") => {
                assert_eq!(doc["task_arn"], tasks[0].as_str(), "{doc}");
                assert_eq!(doc["exit_code"], 0, "{doc}");
            }
            Some("skipped") => {
                let reason = doc["reason"].as_str().unwrap();
                assert!(
                    reason.contains(task_id) && reason.contains("succeeded"),
                    "{doc}"
                );
            }
            _ => panic!("neither succeeded nor skipped: {doc}"),
        }
    }
    assert!(
        a["status"] == "succeeded" || b["status"] == "succeeded",
        "one of them watched the task: {a}\n{b}"
    );
    assert_eq!(
        app.counts("web").await.0,
        2,
        "web back at its original count"
    );
    assert!(app.pause_tags("web").await.is_empty());
}

/// While another run holds the app for a different migration, a run waits for it and then, past
/// `--wait-for-lock`, exits 5 naming the run that holds it.
#[tokio::test]
async fn a_held_lock_makes_the_other_run_wait_then_exit_5() {
    let emulator = Emulator::start();
    let app = app(&emulator, "sleep 20").await;

    let mut first = Test::new(&emulator).args(args(&app)).spawn();
    first.wait_for_stderr("task RUNNING").await;
    let out = Test::new(&emulator)
        .args(args(&app))
        .args(["--wait-for-lock", "3s", "--", "sh", "-c", "exit 0"])
        .run()
        .await;

    let doc = out.status(5).json();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("locked by run r-") && message.contains("(task arn:"),
        "{message}"
    );
    first.signal(libc::SIGINT);
    first.finish().await.status(130);
}

/// A run that waits for another run of the same migration sees its result: skipped when it
/// succeeded.
#[tokio::test]
async fn a_waiting_run_sees_the_other_runs_success() {
    let emulator = Emulator::start();
    let app = app(&emulator, "sleep 2; exit 0").await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 1).await;
    let mut args = args(&app);
    args.extend(["--service", "web"].map(String::from));

    let mut first = Test::new(&emulator).args(args.clone()).spawn();
    first.wait_for_stderr("task RUNNING").await;
    // Same migration, task alive: the second joins; once the first is done, either way the
    // second must not start another task and must agree.
    let second = Test::new(&emulator).args(args.clone()).run().await;
    let first = first.finish().await;

    first.status(0);
    let doc = second.status(0).json();
    assert!(
        matches!(doc["status"].as_str(), Some("succeeded") | Some("skipped")),
        "{doc}"
    );
    assert_eq!(app.migration_tasks().await.len(), 1);
    assert_eq!(app.counts("web").await.0, 1);
}

/// Leaves on `app` what a run killed while it held the app leaves behind: web paused at 0 (it had
/// 3) with its pause record (which says `record_expires`), and the family lock, whose lease runs
/// until `lease_expires`. Returns the cluster's ARN.
async fn leave_a_killed_run(app: &App, record_expires: &str, lease_expires: &str) -> String {
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 0).await;
    let cluster_arn = app.cluster_arn().await;
    let web_arn = app.service_arn("web").await;
    let tag = |k: &str, v: &str| {
        ecs_migrate_core::ecs::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    };
    app.ecs
        .tag_resource()
        .resource_arn(&web_arn)
        .tags(tag("ecs-migrate:run", "r-deadbeef0001"))
        .tags(tag("ecs-migrate:paused-at", "2020-01-01T00:00:00Z"))
        .tags(tag("ecs-migrate:desired-count", "3"))
        .tags(tag("ecs-migrate:autoscaling", "none"))
        .tags(tag("ecs-migrate:migration", "0000000000000000"))
        .tags(tag("ecs-migrate:expires", record_expires))
        .send()
        .await
        .unwrap();
    app.ecs
        .tag_resource()
        .resource_arn(&cluster_arn)
        .tags(tag(
            "ecs-migrate:lock:migrate",
            &format!("run=r-deadbeef0001 since=2020-01-01T00:00:00Z expires={lease_expires} migration=0000000000000000"),
        ))
        .send()
        .await
        .unwrap();
    cluster_arn
}

async fn lock_tags(app: &App, cluster_arn: &str) -> Vec<String> {
    let tags = app
        .ecs
        .list_tags_for_resource()
        .resource_arn(cluster_arn)
        .send()
        .await
        .unwrap();
    tags.tags()
        .iter()
        .filter_map(|t| t.key())
        .filter(|k| k.starts_with("ecs-migrate:lock:"))
        .map(str::to_owned)
        .collect()
}

/// `ecs-migrate run` of the app's migration, pausing web, not waiting for any lock.
async fn run_pausing_web_without_waiting(emulator: &Emulator, app: &App) -> Output {
    Test::new(emulator)
        .args(args(app))
        .args(["--service", "web", "--wait-for-lock", "0"])
        .run()
        .await
}

/// A run killed while draining, before its task started (so no task is alive), with
/// `--timeout 0`: its pause record never expires by age, but its lock's lease is no longer
/// renewed, so the next run takes over at once, puts web back to its recorded count and
/// migrates (a lock could otherwise hold the app down until someone runs `unlock`).
#[tokio::test]
async fn a_run_killed_before_its_task_started_is_taken_over_once_its_lease_lapses() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    let cluster_arn = leave_a_killed_run(&app, "never", "2020-01-01T00:02:00Z").await;

    let out = run_pausing_web_without_waiting(&emulator, &app).await;

    let doc = out.status(0).json();
    out.stderr_has("r-deadbeef0001").stderr_has("taking over");
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["services"][0]["desired_before"], 3);
    assert_eq!(app.counts("web").await.0, 3, "back at the recorded count");
    assert!(app.pause_tags("web").await.is_empty());
    assert!(lock_tags(&app, &cluster_arn).await.is_empty());
}

/// A lock whose lease is still renewed is another run's, alive: the app is not touched, and
/// the error names the run and the exact `unlock` command.
#[tokio::test]
async fn a_lock_with_a_live_lease_holds_the_app() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    let cluster_arn = leave_a_killed_run(&app, "never", "2999-01-01T00:00:00Z").await;

    let out = run_pausing_web_without_waiting(&emulator, &app).await;

    out.status(5)
        .stderr_has("locked by run r-deadbeef0001")
        .stderr_has("ecs-migrate unlock --cluster app --task-definition migrate --service web");
    assert_eq!(app.counts("web").await.0, 0, "left as the other run has it");
    assert_eq!(app.pause_tags("web").await.len(), 6, "its record stands");
    assert_eq!(lock_tags(&app, &cluster_arn).await.len(), 1);
    assert!(app.migration_tasks().await.is_empty(), "nothing started");
}

/// A lock left by a run that is gone (no live task, its lease lapsed long ago) is taken over:
/// the services go back to their recorded counts first, then the migration runs.
#[tokio::test]
async fn an_expired_lock_is_taken_over() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    let cluster_arn =
        leave_a_killed_run(&app, "2020-01-01T01:10:00Z", "2020-01-01T01:10:00Z").await;

    let out = run_pausing_web_without_waiting(&emulator, &app).await;

    let doc = out.status(0).json();
    out.stderr_has("which is gone").stderr_has("taking over");
    assert_eq!(doc["services"][0]["desired_before"], 3);
    assert_eq!(
        app.counts("web").await.0,
        3,
        "restored to the recorded count"
    );
    assert!(app.pause_tags("web").await.is_empty());
    assert!(lock_tags(&app, &cluster_arn).await.is_empty());
}

/// `history` lists what happened to a family's migrations, from what is recorded in AWS,
/// including revisions deregistered since (their tags stay).
#[tokio::test]
async fn history_lists_the_recorded_outcomes() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 2").await;
    Test::new(&emulator).args(args(&app)).run().await.status(1);
    app.task_definition("migrate", vec![Container::sh("migrate", "exit 0")])
        .await;
    Test::new(&emulator).args(args(&app)).run().await.status(0);
    app.ecs
        .deregister_task_definition()
        .task_definition("migrate:1")
        .send()
        .await
        .unwrap();

    let out = Test::new(&emulator)
        .args([
            "history",
            "--cluster",
            "app",
            "--task-definition",
            "migrate",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(0).json();
    let rows: Vec<(i64, String, Option<i64>)> = doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["revision"].as_i64().unwrap(),
                m["status"].as_str().unwrap().to_owned(),
                m["exit_code"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (2, "succeeded".to_owned(), Some(0)),
            (1, "failed".to_owned(), Some(2))
        ]
    );

    let text = Test::new(&emulator)
        .args([
            "history",
            "--cluster",
            "app",
            "--task-definition",
            "migrate",
        ])
        .run()
        .await;
    assert!(
        text.status(0)
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2 "),
        "{}",
        text.stdout
    );
}

/// `--assume-role-arn` makes every call with the role's credentials (STS AssumeRole at the
/// emulator), and the run works.
#[tokio::test]
async fn assume_role_is_used_for_the_run() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;

    let out = Test::new(&emulator)
        .args(args(&app))
        .args([
            "--assume-role-arn",
            "arn:aws:iam::123456789012:role/migrator",
            "--external-id",
            "x-1",
        ])
        .run()
        .await;

    out.status(0);
    let calls: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{}/ecs-emulator/calls", emulator.url))
            .call()
            .unwrap()
            .into_string()
            .unwrap(),
    )
    .unwrap();
    assert!(
        calls["calls"]["sts:AssumeRole"].as_i64().unwrap_or(0) >= 1,
        "{calls}"
    );

    let out = Test::new(&emulator)
        .args(args(&app))
        .args(["--assume-role-arn", "migrator"])
        .run()
        .await;
    out.status(2).stderr_has("not an IAM role ARN");
}

/// `--key` is part of the migration's identity: a new key runs the same revision again (the
/// SQL files changed under a `:latest` image), the same key is skipped.
#[tokio::test]
async fn a_new_key_runs_the_revision_again_and_the_same_key_is_skipped() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    let keyed = |key: &str| {
        let mut args = args(&app);
        args.extend(["--key".to_owned(), key.to_owned()]);
        args
    };
    Test::new(&emulator).args(args(&app)).run().await.status(0);

    let first = Test::new(&emulator).args(keyed("sql=aaa")).run().await;
    let again = Test::new(&emulator).args(keyed("sql=aaa")).run().await;
    let changed = Test::new(&emulator).args(keyed("sql=bbb")).run().await;

    assert_eq!(first.status(0).json()["status"], "succeeded");
    assert_eq!(again.status(0).json()["status"], "skipped");
    assert_eq!(changed.status(0).json()["status"], "succeeded");
    assert_eq!(
        app.migration_tasks().await.len(),
        3,
        "one task per key, and none without one twice"
    );
}

/// `--adopt` records a migration the replaced tool already ran as succeeded, starting no task and
/// pausing nothing; the next run of it is skipped, and a later revision runs normally.
#[tokio::test]
async fn an_adopted_migration_starts_nothing_and_its_next_run_is_skipped() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    app.service("web", "migrate", 2).await;
    let paused = |extra: &[&str]| {
        let mut args = args(&app);
        args.extend(["--service", "web"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let adopted = Test::new(&emulator).args(paused(&["--adopt"])).run().await;

    let doc = adopted.status(0).json();
    assert_eq!(doc["status"], "skipped");
    assert!(
        doc["reason"].as_str().unwrap().contains("adopted"),
        "{}",
        doc["reason"]
    );
    assert!(app.migration_tasks().await.is_empty(), "no task");
    assert_eq!(app.counts("web").await.0, 2, "web never paused");
    let arn = doc["task_definition"].as_str().unwrap();
    let records = app.outcome_records(arn).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].1["status"], "succeeded");
    assert_eq!(records[0].1["adopted"], true);

    let next = Test::new(&emulator).args(paused(&[])).run().await;
    assert_eq!(next.status(0).json()["status"], "skipped");
    assert!(app.migration_tasks().await.is_empty(), "still no task");

    app.task_definition("migrate", vec![Container::sh("migrate", "exit 0")])
        .await;
    let later = Test::new(&emulator).args(paused(&["--adopt"])).run().await;
    assert_eq!(
        later.status(0).json()["status"],
        "skipped",
        "--adopt adopts every revision it is given"
    );
    let new_revision = Test::new(&emulator).args(paused(&["--force"])).run().await;
    assert_eq!(new_revision.status(0).json()["status"], "succeeded");
    assert_eq!(app.migration_tasks().await.len(), 1);
}

/// The outcome is an SSM parameter, not a tag: after a run, no `ecs-migrate:` tag is left on the
/// task definition, the cluster or the paused service — nothing a Terraform plan would show.
#[tokio::test]
async fn a_run_leaves_no_ecs_migrate_tag_on_what_terraform_manages() {
    let emulator = Emulator::start();
    let app = app(&emulator, "exit 0").await;
    app.service("web", "migrate", 1).await;
    let mut args = args(&app);
    args.extend(["--service", "web"].map(String::from));

    let out = Test::new(&emulator).args(args).run().await;

    let doc = out.status(0).json();
    let task_definition = doc["task_definition"].as_str().unwrap();
    let cluster = doc["cluster"].as_str().unwrap();
    let service = app.service_arn("web").await;
    for arn in [task_definition, cluster, service.as_str()] {
        assert_eq!(app.ecs_migrate_tags(arn).await, vec![], "on {arn}");
    }
    let records = app.outcome_records(task_definition).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].0, doc["migration"].as_str().unwrap());
    assert_eq!(records[0].1["status"], "succeeded");
    assert_eq!(records[0].1["exit_code"], 0);
}

/// Outcome tags an earlier version left on the revision count as records (a success there is
/// skipped), and the first run that reads them moves them to Parameter Store and removes them.
#[tokio::test]
async fn outcome_tags_of_an_earlier_version_move_to_parameter_store() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let arn = app
        .task_definition("migrate", vec![Container::sh("migrate", "exit 0")])
        .await;
    let id = ecs_migrate_core::MigrationId::new(&arn, "migrate", None, None);
    let legacy = "status=succeeded at=2026-11-01T10:00:00Z task=0123abcd exit=0 run=r-0ld000000001 container=migrate";
    app.ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag(&format!("ecs-migrate:outcome:{id}"), legacy))
        .tags(tag("ecs-migrate:outcome:00000000000000ff", "status=failed at=2026-10-01T10:00:00Z task=none exit=none run=r-0ld000000000 container=migrate"))
        .tags(tag("team", "payments"))
        .send()
        .await
        .unwrap();

    let dry = Test::new(&emulator)
        .args(args(&app))
        .arg("--dry-run")
        .run()
        .await;
    dry.status(0);
    assert_eq!(
        app.ecs_migrate_tags(&arn).await.len(),
        2,
        "a dry run moves nothing"
    );

    let out = Test::new(&emulator).args(args(&app)).run().await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "skipped");
    assert!(
        doc["reason"].as_str().unwrap().contains("0123abcd"),
        "{}",
        doc["reason"]
    );
    assert!(app.migration_tasks().await.is_empty());
    assert_eq!(
        app.ecs_migrate_tags(&arn).await,
        vec![],
        "the old records are untagged"
    );
    let tags = app
        .ecs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1, "the user's own tag stays");
    let mut records = app.outcome_records(&arn).await;
    records.sort_by(|a, b| a.0.cmp(&b.0));
    let moved: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|(id, r)| {
            (
                id.as_str(),
                r["status"].as_str().unwrap(),
                r["run_id"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        (id.as_str(), "succeeded", "r-0ld000000001"),
        ("00000000000000ff", "failed", "r-0ld000000000"),
    ];
    expected.sort();
    assert_eq!(moved, expected);
    out.stderr_has("moved 2 outcome record(s)");
}
