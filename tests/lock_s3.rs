//! The S3 lock (`--lock s3://BUCKET/PREFIX`): runs of different migrations of one app started at
//! the same instant run one after another; a dead run's lock is taken over; `unlock` clears it; a
//! bucket that does not exist is refused before anything changes. And what the tag lock does not
//! guarantee, measured the same way.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::{Output, Test};

const BUCKET: &str = "ecs-migrate-locks";
const LOCK: &str = "s3://ecs-migrate-locks/team-a";
/// Where the lock of family `migrate` on cluster `app` is.
const OBJECT: &str = "team-a/app/migrate.json";

/// One S3 REST call on the emulator (path-style), as (status, body).
fn s3(emulator: &Emulator, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let request = ureq::request(method, &format!("{}/{path}", emulator.url)).set(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
    );
    let response = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    match response {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(status, r)) => (status, r.into_string().unwrap_or_default()),
        Err(err) => panic!("S3 {method} {path}: {err}"),
    }
}

fn lock_object(emulator: &Emulator) -> Option<String> {
    match s3(emulator, "GET", &format!("{BUCKET}/{OBJECT}"), None) {
        (200, body) => Some(body),
        (404, _) => None,
        (status, body) => panic!("GET the lock object: {status} {body}"),
    }
}

/// An app whose migration appends `start` and `end` to `journal` around a short sleep (tasks
/// run as local processes, so they share the file), with a service `web` of 2 tasks to pause.
async fn journaled_app(emulator: &Emulator, journal: &std::path::Path) -> App {
    let app = App::new(emulator).await;
    let journal = journal.display();
    let script = format!("echo start >> {journal}; sleep 1; echo end >> {journal}");
    app.task_definition("migrate", vec![Container::sh("migrate", &script)])
        .await;
    let web = app
        .task_definition("web", vec![Container::sh("web", "sleep 3600")])
        .await;
    app.service("web", &web, 2).await;
    app.wait_until_running("web", 2).await;
    app
}

fn args(app: &App, key: &str) -> Vec<String> {
    let mut args = app.base_args();
    args.extend(
        [
            "--task-definition",
            "migrate",
            "--service",
            "web",
            "--key",
            key,
        ]
        .map(String::from),
    );
    args
}

/// Starts `runs` runs of as many different migrations (`--key m0`, `m1`…) at once, with
/// `lock` as given, and waits for them all.
async fn start_together(emulator: &Emulator, app: &App, runs: usize, lock: &str) -> Vec<Output> {
    let started: Vec<_> = (0..runs)
        .map(|n| {
            Test::new(emulator)
                .args(args(app, &format!("m{n}")))
                .args(["--wait-for-lock", "10m", "--output", "json"])
                .env("ECS_MIGRATE_LOCK", lock)
                .spawn()
        })
        .collect();
    let mut outputs = Vec::new();
    for run in started {
        outputs.push(run.finish().await);
    }
    outputs
}

/// How many migrations were running at the same time at most, from the journal.
fn most_at_once(journal: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    let (mut now, mut most) = (0usize, 0usize);
    for line in text.lines() {
        match line {
            "start" => now += 1,
            "end" => now = now.saturating_sub(1),
            other => panic!("unexpected journal line {other:?}"),
        }
        most = most.max(now);
    }
    most
}

fn create_bucket(emulator: &Emulator) {
    let (status, body) = s3(emulator, "PUT", BUCKET, None);
    assert_eq!(status, 200, "CreateBucket: {body}");
}

/// An emulator with the lock's bucket, and a [`journaled_app`] whose journal is in the temporary
/// directory returned.
async fn with_bucket() -> (Emulator, tempfile::TempDir, App) {
    let emulator = Emulator::start();
    create_bucket(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let app = journaled_app(&emulator, &dir.path().join("journal")).await;
    (emulator, dir, app)
}

/// The issue's bar: 5 runs of 5 different migrations of one app, started together with
/// `--lock s3://…`, run one after another (never two migration tasks at once), all exit 0
/// (`--wait-for-lock` is long enough), and web ends at its 2 tasks with no record left.
#[tokio::test]
async fn five_different_migrations_started_together_with_the_s3_lock_run_one_after_another() {
    let (emulator, dir, app) = with_bucket().await;
    let journal = dir.path().join("journal");

    let outputs = start_together(&emulator, &app, 5, LOCK).await;

    for out in &outputs {
        assert_eq!(out.status(0).json()["status"], "succeeded");
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(
        text.lines().count(),
        10,
        "each of the 5 migrations ran once:\n{text}"
    );
    assert_eq!(
        most_at_once(&journal),
        1,
        "no two migrations at once:\n{text}"
    );
    assert_eq!(app.migration_tasks().await.len(), 5);
    assert_eq!(app.counts("web").await.0, 2, "web back at its 2 tasks");
    assert!(app.pause_tags("web").await.is_empty());
    assert_eq!(lock_object(&emulator), None, "the last run let go");
    let cluster_tags = app.ecs_migrate_tags(&app.cluster_arn().await).await;
    assert!(
        cluster_tags.is_empty(),
        "the S3 lock writes no tag on the cluster: {cluster_tags:?}"
    );
}

/// The tag lock, measured the same way: it does not serialise different migrations started at
/// the same instant (tags have no compare-and-swap), so this test does not assert the overlap;
/// it prints it. What the tag lock does guarantee still holds: every run ends (0, or 5 for a
/// run whose lock another run overwrote before its RunTask) and web ends at its 2 tasks.
#[tokio::test]
async fn the_tag_lock_still_restores_every_service_when_different_migrations_race() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let app = journaled_app(&emulator, &journal).await;

    let outputs = start_together(&emulator, &app, 5, "").await;

    let statuses: Vec<i32> = outputs.iter().map(|o| o.status).collect();
    for out in &outputs {
        assert!(
            matches!(out.status, 0 | 5),
            "{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    eprintln!(
        "tag lock, 5 different migrations at once: exit statuses {statuses:?}, at most {} migrations at the same time",
        most_at_once(&journal)
    );
    assert_eq!(app.counts("web").await.0, 2, "web back at its 2 tasks");
    assert!(app.pause_tags("web").await.is_empty());
}

/// A lock object whose holder is gone (its lease ran out long ago, no task of its migration)
/// is taken over: the run says so, migrates, and lets go.
#[tokio::test]
async fn a_dead_runs_s3_lock_is_taken_over() {
    let (emulator, _dir, app) = with_bucket().await;
    let dead = r#"{"run": "r-deadbeef0001", "since": "2026-01-01T00:00:00Z",
        "expires": "2026-01-01T00:02:00Z", "migration": "0123456789abcdef",
        "pause_records": {"cluster": "app", "services": ["web"], "tags": []}, "write": "r-deadbeef0001-0"}"#;
    let (status, body) = s3(&emulator, "PUT", &format!("{BUCKET}/{OBJECT}"), Some(dead));
    assert_eq!(status, 200, "{body}");

    let out = Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", LOCK])
        .run()
        .await;

    out.status(0)
        .stderr_has("r-deadbeef0001")
        .stderr_has("taking over");
    assert_eq!(lock_object(&emulator), None);
    assert_eq!(app.counts("web").await.0, 2);
}

/// A live run's lock (its lease renewed a moment ago) makes another run wait, then exit 5 with
/// the unlock command that names the S3 lock; that command clears it, and the next run goes.
#[tokio::test]
async fn a_held_s3_lock_makes_a_run_exit_5_and_unlock_clears_it() {
    let (emulator, _dir, app) = with_bucket().await;
    let live = r#"{"run": "r-00000000a11e", "since": "2026-01-01T00:00:00Z",
        "expires": "2999-01-01T00:00:00Z", "migration": "0123456789abcdef",
        "pause_records": {"cluster": "app", "services": [], "tags": []}, "write": "r-00000000a11e-0"}"#;
    s3(&emulator, "PUT", &format!("{BUCKET}/{OBJECT}"), Some(live));

    let out = Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", LOCK, "--wait-for-lock", "3s", "--output", "json"])
        .run()
        .await;
    let doc = out.status(5).json();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("r-00000000a11e") && message.contains(&format!("--lock {LOCK}")),
        "{message}"
    );
    assert!(app.migration_tasks().await.is_empty());
    assert_eq!(app.counts("web").await.0, 2, "nothing was paused");

    Test::new(&emulator)
        .args(["unlock", "--cluster", "app", "--task-definition", "migrate"])
        .args(["--lock", LOCK])
        .run()
        .await
        .status(0);
    assert_eq!(lock_object(&emulator), None);
    Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", LOCK])
        .run()
        .await
        .status(0);
}

/// A lock in a bucket that does not exist is refused before anything changes: exit 2, naming
/// the bucket and the flag; web is not paused and no task starts. A dry run says which lock.
#[tokio::test]
async fn a_missing_lock_bucket_is_refused_before_any_change_and_a_dry_run_names_the_lock() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let app = journaled_app(&emulator, &dir.path().join("journal")).await;

    let out = Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", "s3://no-such-bucket/x", "--output", "json"])
        .run()
        .await;
    let doc = out.status(2).json();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`no-such-bucket`") && message.contains("--lock"),
        "{message}"
    );
    assert!(app.migration_tasks().await.is_empty());
    assert_eq!(app.counts("web").await.0, 2);
    assert!(app.pause_tags("web").await.is_empty());

    create_bucket(&emulator);
    Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", LOCK, "--dry-run"])
        .run()
        .await
        .status(0)
        .stderr_has(&format!("lock s3://{BUCKET}/{OBJECT} (conditional writes)"));
    Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--dry-run"])
        .run()
        .await
        .status(0)
        .stderr_has("lock tag ecs-migrate:lock:migrate on the cluster");
}

/// A lock the run may not use (S3 denies its calls: no IAM permission on the bucket) is refused
/// before anything changes: exit 3 naming the S3 action to allow; web is not paused, no task
/// starts. (The emulator's faults reach S3 as a whole, so this denies the read that comes first;
/// a write denied after it fails the take the same way, before any pause.)
#[tokio::test]
async fn an_s3_lock_the_run_may_not_use_is_refused_before_any_change() {
    let (emulator, _dir, app) = with_bucket().await;
    crate::aws_semantics::configure(
        &emulator,
        serde_json::json!({"faults": {"s3": {"access_denied": 1}}}),
    );

    let out = Test::new(&emulator)
        .args(args(&app, "m0"))
        .args(["--lock", LOCK])
        .run()
        .await;

    out.status(3).stderr_has("Allow `s3:GetObject`");
    assert!(app.migration_tasks().await.is_empty());
    assert_eq!(app.counts("web").await.0, 2);
    assert!(app.pause_tags("web").await.is_empty());
}
