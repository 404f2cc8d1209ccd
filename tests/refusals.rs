//! Bad input is refused before any mutating call, with a message naming the value and the fix,
//! and nothing is started.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

async fn refused(emulator: &Emulator, args: &[&str], status: i32, needles: &[&str]) {
    let out = Test::new(emulator).args(args).run().await;
    out.status(status);
    for needle in needles {
        out.stderr_has(needle);
    }
    assert!(
        emulator.all_tasks("app").await.is_empty(),
        "a refused run started a task: {args:?}"
    );
}

/// Every bad-input case: exit 2 (or 3 for what AWS says does not exist), the value named, the fix
/// given, and no task in the cluster afterwards.
#[tokio::test]
async fn bad_input_is_refused_and_starts_nothing() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let subnet = app.subnets[0].clone();
    app.task_definition("one", vec![Container::sh("migrate", "exit 0")])
        .await;
    app.task_definition(
        "two",
        vec![
            Container::sh("app", "exit 0"),
            Container::sh("worker", "exit 0"),
        ],
    )
    .await;
    let s = subnet.as_str();

    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "nope",
            "--subnets",
            s,
            "--task-definition",
            "one",
        ],
        3,
        &["cluster `nope` not found"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "ghost",
        ],
        3,
        &["task definition `ghost` not found"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one:9",
        ],
        3,
        &["task definition `one:9` not found"],
    )
    .await;
    refused(
        &emulator,
        &["run", "--cluster", "app", "--from-service", "ghost"],
        3,
        &["service `ghost` not found in cluster `app`"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "arn:aws:ecs:us-east-1:12345:task-definition/one:1",
        ],
        2,
        &[
            "`arn:aws:ecs:us-east-1:12345:task-definition/one:1`",
            "12-digit",
        ],
    )
    .await;
    refused(
        &emulator,
        &["run", "--cluster", "app", "--task-definition", "one"],
        2,
        &["network mode awsvpc", "--subnets"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "two",
        ],
        2,
        &["several essential containers (app, worker)", "--container"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one",
            "--container",
            "migrat",
        ],
        2,
        &["no container `migrat`", "one of: migrate"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one",
            "--revision",
            "2",
            "--task-definition",
            "one:1",
        ],
        2,
        &["--task-definition"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one:1",
            "--revision",
            "2",
        ],
        2,
        &["conflicts with task definition `one:1`", "`--revision N`"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one",
            "--timeout",
            "10",
        ],
        2,
        &["'10'", "`15m`"],
    )
    .await;
    refused(
        &emulator,
        &["run", "--cluster", "app", "--subnets", s],
        2,
        &["--task-definition", "--from-service"],
    )
    .await;
    refused(
        &emulator,
        &[
            "run",
            "--cluster",
            "app",
            "--subnets",
            s,
            "--task-definition",
            "one",
            "--launch-type",
            "EC2",
            "--capacity-provider",
            "FARGATE_SPOT",
        ],
        2,
        &["mutually exclusive"],
    )
    .await;
}

/// A malformed ECS_MIGRATE_COMMAND is refused with the expected shape.
#[tokio::test]
async fn a_malformed_command_variable_is_refused() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("one", vec![Container::sh("migrate", "exit 0")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "one"])
        .env("ECS_MIGRATE_COMMAND", "bin/rails db:migrate")
        .run()
        .await;

    out.status(2).stderr_has("JSON array of strings");
    assert!(emulator.all_tasks("app").await.is_empty());
}

/// Environment values given with `--env` never appear in any output, even on error, and even
/// with the most verbose logging (the SDK would print the RunTask request's overrides at trace).
#[tokio::test]
async fn env_values_are_never_printed() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("one", vec![Container::sh("migrate", "exit 0")])
        .await;

    for (extra, log) in [
        (&["--dry-run"][..], "warn"),
        (&["--output", "json"][..], "warn"),
        (&["--env", "hunter2"][..], "warn"),
        (&["--force"][..], "trace"),
        (&["--force"][..], "5"),
    ] {
        let out = Test::new(&emulator)
            .env("ECS_MIGRATE_LOG", log)
            .args(app.base_args())
            .args([
                "--task-definition",
                "one",
                "--env",
                "DATABASE_URL=postgres://u:hunter2@db",
            ])
            .args(extra)
            .run()
            .await;
        assert!(
            !out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"),
            "secret printed with {extra:?} at {log}:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}
