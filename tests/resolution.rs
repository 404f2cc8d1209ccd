//! Resolution: `--from-service`, `--revision`, and `--dry-run`, which resolves everything and
//! changes nothing.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

/// `--from-service` takes the service's task definition, subnets, security groups and launch
/// type; explicit flags win over it.
#[tokio::test]
async fn from_service_supplies_what_was_not_given() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition("web", vec![Container::sh("web", "exit 0")])
        .await;
    app.service("web", &td, 0).await;

    let out = Test::new(&emulator)
        .args([
            "run",
            "--cluster",
            "app",
            "--from-service",
            "web",
            "--dry-run",
            "--output",
            "json",
        ])
        .run()
        .await;

    let plan = &out.status(0).json()["plan"];
    assert_eq!(plan["task_definition"], td);
    let run_task = &plan["run_task"];
    let vpc = &run_task["networkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(vpc["subnets"][0], app.subnets[0]);
    assert_eq!(vpc["securityGroups"][0], app.security_group.as_str());
    assert_eq!(run_task["launchType"], "FARGATE");

    let out = Test::new(&emulator)
        .args([
            "run",
            "--cluster",
            "app",
            "--from-service",
            "web",
            "--dry-run",
            "--output",
            "json",
        ])
        .args(["--security-groups", "sg-override"])
        .run()
        .await;
    let vpc =
        &out.status(0).json()["plan"]["run_task"]["networkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(vpc["securityGroups"][0], "sg-override");
    assert_eq!(vpc["subnets"][0], app.subnets[0]);

    // And it really runs with what the service runs.
    let out = Test::new(&emulator)
        .args([
            "run",
            "--cluster",
            "app",
            "--from-service",
            "web",
            "--output",
            "json",
        ])
        .run()
        .await;
    assert_eq!(out.status(0).json()["task_definition"], td);
}

/// `--task-definition <revision-less ARN> --revision N` runs revision N, the way Terraform holds it.
#[tokio::test]
async fn revision_completes_a_revisionless_arn() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let first = app
        .task_definition("fleet", vec![Container::sh("fleet", "exit 1")])
        .await;
    let second = app
        .task_definition("fleet", vec![Container::sh("fleet", "exit 0")])
        .await;
    let base = first.rsplit_once(':').unwrap().0;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            base,
            "--revision",
            "2",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["task_definition"], second);
}

/// An empty `ECS_MIGRATE_*` variable is the same as an unset one (how the Terraform module
/// keeps its caller's settings out), while a set one is read.
#[tokio::test]
async fn empty_ecs_migrate_variables_count_as_unset() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("one", vec![Container::sh("migrate", "exit 0")])
        .await;
    let dry_run = |launch_type: &str| {
        Test::new(&emulator)
            .env("ECS_MIGRATE_LAUNCH_TYPE", launch_type)
            .env("ECS_MIGRATE_TIMEOUT", "")
            .env("ECS_MIGRATE_CAPACITY_PROVIDER", "")
            .args(app.base_args())
            .args(["--task-definition", "one", "--dry-run", "--output", "json"])
            .run()
    };

    let doc = dry_run("").await.status(0).json();
    assert_eq!(doc["plan"]["run_task"]["launchType"], "FARGATE", "{doc}");
    assert_eq!(doc["plan"]["timeout"], 3600, "the default timeout");

    dry_run("EC3").await.status(2).stderr_has("EC3");
}

/// `--dry-run` prints the exact RunTask request (env values redacted) and starts nothing.
#[tokio::test]
async fn dry_run_prints_the_request_and_changes_nothing() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let td = app
        .task_definition("one", vec![Container::sh("migrate", "exit 0")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "one", "--dry-run", "--output", "json"])
        .args([
            "--tag",
            "team=db",
            "--env",
            "RAILS_ENV=production",
            "--timeout",
            "15m",
        ])
        .args(["--", "bin/rails", "db:migrate"])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "dry_run");
    let plan = &doc["plan"];
    assert_eq!(plan["timeout"], 900);
    let run_task = &plan["run_task"];
    assert_eq!(run_task["taskDefinition"], td);
    // startedBy names the migration, so a later run can find its live task and attach to it.
    let started_by = run_task["startedBy"].as_str().unwrap();
    assert!(
        started_by.starts_with("ecs-migrate/") && started_by.len() <= 36,
        "{started_by}"
    );
    assert!(run_task["clientToken"]
        .as_str()
        .unwrap()
        .starts_with("ecs-migrate-"));
    assert_eq!(
        run_task["tags"][0],
        serde_json::json!({"key": "team", "value": "db"})
    );
    let container = &run_task["overrides"]["containerOverrides"][0];
    assert_eq!(container["name"], "migrate");
    assert_eq!(
        container["command"],
        serde_json::json!(["bin/rails", "db:migrate"])
    );
    assert_eq!(
        container["environment"][0],
        serde_json::json!({"name": "RAILS_ENV", "value": "<redacted>"})
    );
    assert!(
        emulator.all_tasks("app").await.is_empty(),
        "dry run started a task"
    );

    // Text mode prints the request for a person, still starting nothing.
    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "one", "--dry-run"])
        .run()
        .await;
    assert!(
        out.status(0).stdout.contains("\"taskDefinition\""),
        "{}",
        out.stdout
    );
    assert!(emulator.all_tasks("app").await.is_empty());
}

/// Every flag can come from `ECS_MIGRATE_<NAME>`, as Terraform's local-exec passes them.
#[tokio::test]
async fn flags_can_come_from_the_environment() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("one", vec![Container::sh("migrate", "exit 4")])
        .await;

    let out = Test::new(&emulator)
        .args(["run"])
        .env("ECS_MIGRATE_CLUSTER", "app")
        .env("ECS_MIGRATE_TASK_DEFINITION", "one")
        .env("ECS_MIGRATE_REVISION", "1")
        .env("ECS_MIGRATE_SUBNETS", &app.subnets.join(","))
        .env("ECS_MIGRATE_OUTPUT", "json")
        .env("ECS_MIGRATE_COMMAND", r#"["sh","-c","exit 0"]"#)
        .env("ECS_MIGRATE_TAG", "a=1,b=2")
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["status"], "succeeded");
    let task = app
        .ecs
        .list_tags_for_resource()
        .resource_arn(doc["task_arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let mut keys: Vec<&str> = task.tags().iter().filter_map(|t| t.key()).collect();
    keys.sort();
    assert_eq!(keys, ["a", "b", "ecs-migrate:run"]);
}
