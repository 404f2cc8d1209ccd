//! `ecs-migrate rollout`: many tenants' migrations from one targets file — a failing tenant
//! fails alone and the rest succeed, with one DescribeTasks loop for the cluster instead of one
//! per run; a failing canary halts everything; a re-run starts no task for what succeeded; a
//! bad target is named with its key and nothing starts.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::{Output, Test};
use serde_json::{json, Value};

/// `tenants` task definition families `t00`, `t01`… in the cluster, each a migration of
/// `seconds` that exits 0, except those in `failing` (exit 3). Each tenant has its own family,
/// so its own lock, as one stack per customer has.
async fn tenants(emulator: &Emulator, count: usize, seconds: u32, failing: &[usize]) -> App {
    let app = App::new(emulator).await;
    for n in 0..count {
        let exit = if failing.contains(&n) { 3 } else { 0 };
        let script = format!("echo migrating tenant {n}; sleep {seconds}; exit {exit}");
        app.task_definition(&name(n), vec![Container::sh("migrate", &script)])
            .await;
    }
    app
}

fn name(n: usize) -> String {
    format!("t{n:02}")
}

/// A targets file naming each tenant's task definition, written into the emulator's directory.
fn targets_file(emulator: &Emulator, count: usize) -> String {
    let targets: Vec<Value> = (0..count)
        .map(|n| json!({"name": name(n), "task_definition": name(n)}))
        .collect();
    write_targets(
        emulator,
        &json!({"defaults": {"timeout": "5m"}, "targets": targets}),
    )
}

fn write_targets(emulator: &Emulator, document: &Value) -> String {
    let path = emulator.dir.path().join("targets.json");
    std::fs::write(&path, document.to_string()).unwrap();
    path.display().to_string()
}

async fn rollout(emulator: &Emulator, app: &App, file: &str, extra: &[&str]) -> Output {
    Test::new(emulator)
        .args([
            "rollout",
            "--targets",
            file,
            "--cluster",
            &app.cluster,
            "--subnets",
            &app.subnets[0],
            "--output",
            "json",
        ])
        .args(extra.iter().copied())
        .run()
        .await
}

fn calls(emulator: &Emulator) -> Value {
    let text = ureq::get(&format!("{}/ecs-emulator/calls", emulator.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["calls"].clone()
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The first "done when": 24 tenants in one cluster at concurrency 6, one failing.
/// Separate runs would poll their own task once every 1.2 s each: 24 migrations of 4 s make at
/// least 24 × 3 = 72 DescribeTasks for the watches alone. The rollout's runs share one loop
/// for the cluster (6 tasks a call), so it makes far fewer.
#[tokio::test]
async fn one_failing_tenant_of_24_fails_alone_and_the_cluster_is_polled_once_for_all() {
    let emulator = Emulator::start();
    let app = tenants(&emulator, 24, 4, &[5]).await;
    let file = targets_file(&emulator, 24);

    let out = rollout(
        &emulator,
        &app,
        &file,
        &["--concurrency", "6", "--max-failures", "0"],
    )
    .await;

    out.status(1);
    let report = out.json();
    assert_eq!(report["status"], "failed", "{report:#}");
    assert_eq!(report["counts"]["succeeded"], 23, "{report:#}");
    assert_eq!(report["counts"]["failed"], 1, "{report:#}");
    let failed: Vec<_> = statuses(&report)
        .into_iter()
        .filter(|(_, s)| s != "succeeded")
        .collect();
    assert_eq!(failed, [("t05".to_owned(), "failed".to_owned())]);
    assert_eq!(report["targets"][5]["report"]["exit_code"], 3, "{report:#}");
    let calls = calls(&emulator);
    let describe_tasks = calls["ecs:DescribeTasks"].as_u64().unwrap_or(0);
    let run_tasks = calls["ecs:RunTask"].as_u64().unwrap_or(0);
    eprintln!("DescribeTasks: {describe_tasks}, RunTask: {run_tasks}; all calls: {calls}");
    assert_eq!(run_tasks, 24, "one task per tenant: {calls}");
    assert!(
        describe_tasks <= 72 / 2,
        "{describe_tasks} DescribeTasks: not far fewer than the 72 separate runs would make"
    );
    out.stderr_has("t05: FAILED").stderr_has("rollout failed");
}

/// `--canary 1`: the first target runs alone, and when it fails nothing else starts.
#[tokio::test]
async fn a_failing_canary_halts_the_rollout_before_any_other_target_starts() {
    let emulator = Emulator::start();
    let app = tenants(&emulator, 4, 1, &[0]).await;
    let file = targets_file(&emulator, 4);

    let out = rollout(&emulator, &app, &file, &["--canary", "1"]).await;

    out.status(1);
    let report = out.json();
    assert_eq!(report["status"], "halted", "{report:#}");
    assert_eq!(
        statuses(&report)
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        ["failed", "not_started", "not_started", "not_started"]
    );
    assert_eq!(report["targets"][1]["report"], Value::Null);
    assert_eq!(calls(&emulator)["ecs:RunTask"], 1);
}

/// Running the same rollout again resumes it: the targets that succeeded are `skipped` (their
/// outcome is recorded) and start no task; the failed one is retried.
#[tokio::test]
async fn a_rerun_starts_no_task_for_the_targets_that_succeeded() {
    let emulator = Emulator::start();
    let app = tenants(&emulator, 5, 1, &[2]).await;
    let file = targets_file(&emulator, 5);
    let first = rollout(&emulator, &app, &file, &["--max-failures", "0"]).await;
    first.status(1);
    assert_eq!(first.json()["counts"]["succeeded"], 4);
    let before = calls(&emulator)["ecs:RunTask"].as_u64().unwrap();

    let again = rollout(&emulator, &app, &file, &["--max-failures", "0"]).await;

    again.status(1);
    let report = again.json();
    assert_eq!(
        statuses(&report)
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        ["skipped", "skipped", "failed", "skipped", "skipped"],
        "{report:#}"
    );
    let after = calls(&emulator)["ecs:RunTask"].as_u64().unwrap();
    assert_eq!(after - before, 1, "only the failed tenant ran again");
}

/// A targets file with a bad target is refused as a whole, naming each bad target and its key,
/// and nothing starts — not even the good targets.
#[tokio::test]
async fn a_bad_target_is_named_with_its_key_and_nothing_starts() {
    let emulator = Emulator::start();
    let app = tenants(&emulator, 2, 1, &[]).await;
    let file = write_targets(
        &emulator,
        &json!({"targets": [
            {"name": "good", "task_definition": "t00"},
            {"name": "typo", "task_definition": "t01", "servics": ["web"]},
            {"name": "gone", "task_definition": "t01", "services": ["no-such-service"]},
            {"name": "late", "task_definition": "t01", "timeout": "soon"}
        ]}),
    );

    let out = rollout(&emulator, &app, &file, &[]).await;

    out.status(2)
        .stderr_has("target `typo`")
        .stderr_has("unknown field `servics`")
        .stderr_has("target `late`")
        .stderr_has("key `timeout`")
        .stderr_has("nothing was started");
    let seen = calls(&emulator);
    for mutating in ["ecs:RunTask", "ecs:TagResource", "ecs:UpdateService"] {
        assert_eq!(seen[mutating], Value::Null, "{mutating} was called: {seen}");
    }

    // Once the file is right, a service that does not exist is still caught before any change.
    let file = write_targets(
        &emulator,
        &json!({"targets": [
            {"name": "good", "task_definition": "t00"},
            {"name": "gone", "task_definition": "t01", "services": ["no-such-service"]}
        ]}),
    );
    let out = rollout(&emulator, &app, &file, &[]).await;
    out.status(2)
        .stderr_has("target `gone`")
        .stderr_has("no-such-service");
    assert_eq!(calls(&emulator)["ecs:RunTask"], Value::Null);
}
