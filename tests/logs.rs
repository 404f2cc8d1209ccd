//! The migration's output: streamed live from CloudWatch Logs, every line once and in order,
//! the last lines always read before the verdict.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

fn logged(name: &str, script: &str) -> Container {
    Container::sh(name, script).awslogs("/ecs/app", "app")
}

/// 100,000 lines, the last one an error: every line arrives on stdout, in order, none twice,
/// and the last one is in the failure verdict.
#[tokio::test]
async fn a_hundred_thousand_lines_arrive_in_order_and_the_last_is_in_the_verdict() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "loud",
        vec![logged(
            "migrate",
            "seq -f 'line %.0f' 1 99999; echo 'ERROR: relation \"users\" already exists'; exit 1",
        )],
    )
    .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "loud"])
        .run()
        .await;

    out.status(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 100_000, "lines on stdout");
    for (i, line) in lines[..99_999].iter().enumerate() {
        assert_eq!(
            *line,
            format!("line {}", i + 1),
            "line {i} out of order or lost"
        );
    }
    assert_eq!(lines[99_999], "ERROR: relation \"users\" already exists");
    // The failure verdict repeats the last lines under the reason.
    let verdict = out
        .stderr
        .split("migration FAILED")
        .nth(1)
        .expect("a failure verdict");
    assert!(
        verdict.contains("ERROR: relation \"users\" already exists"),
        "{verdict}"
    );
}

/// Lines written in the last milliseconds before the process exits are shown, before the verdict.
#[tokio::test]
async fn lines_written_just_before_exit_are_shown() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "quick",
        vec![logged(
            "migrate",
            "sleep 1.5; echo one; echo two; printf 'last words'; exit 0",
        )],
    )
    .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "quick"])
        .run()
        .await;

    out.status(0);
    assert_eq!(out.stdout, "one\ntwo\nlast words\n");
}

/// JSON mode: stdout is only the document; the lines go to stderr, and `log_tail` keeps the last N.
#[tokio::test]
async fn json_mode_keeps_stdout_for_the_document_and_reports_the_tail() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "five",
        vec![logged(
            "migrate",
            "for i in 1 2 3 4 5; do echo step $i; done",
        )],
    )
    .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args([
            "--task-definition",
            "five",
            "--output",
            "json",
            "--log-tail",
            "2",
        ])
        .run()
        .await;

    let doc = out.status(0).json();
    assert_eq!(doc["log_tail"], serde_json::json!(["step 4", "step 5"]));
    assert_eq!(doc["log_lines"], 5);
    out.stderr_has("step 1");
}

/// A task that fails before its log stream exists gives its verdict, with a clear note, no error.
#[tokio::test]
async fn a_task_that_never_started_has_no_stream_and_still_gets_its_verdict() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "broken",
        vec![logged("migrate", "echo never").image("example/unpullable:1")],
    )
    .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "broken"])
        .run()
        .await;

    out.status(1)
        .stderr_has("was never created")
        .stderr_has("failed to start");
}

/// Without awslogs, one line says logs are not available and why; the run goes on.
#[tokio::test]
async fn no_awslogs_configuration_is_said_once_and_the_run_goes_on() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "silent",
        vec![Container::sh("migrate", "echo hidden; exit 0")],
    )
    .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "silent"])
        .run()
        .await;

    out.status(0);
    assert_eq!(
        out.stderr.matches("logs are not available").count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_has("no logConfiguration");
    assert_eq!(out.stdout, "");
}

/// `--no-logs` turns streaming off.
#[tokio::test]
async fn no_logs_turns_streaming_off() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("chatty", vec![logged("migrate", "echo hello")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "chatty", "--no-logs"])
        .run()
        .await;

    out.status(0);
    assert_eq!(out.stdout, "");
}

/// Lines are shown while the task runs, not only once it stopped: the migration prints a line
/// and then cannot exit until a file exists, which the test creates only after it has seen that
/// line in ecs-migrate's output (a follower that read the stream after STOPPED would hang here).
#[tokio::test]
async fn lines_are_shown_while_the_task_is_still_running() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("gate");
    app.task_definition(
        "gated",
        vec![logged(
            "migrate",
            &format!(
                "echo before-the-gate; while [ ! -e '{}' ]; do sleep 0.1; done; echo after-the-gate",
                gate.display()
            ),
        )],
    )
    .await;

    // JSON mode: the log lines go to stderr, where the running binary can be read line by line.
    let mut run = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "gated", "--output", "json"])
        .spawn();
    run.wait_for_stderr("before-the-gate").await;
    assert!(!gate.exists());
    std::fs::write(&gate, b"").unwrap();

    let out = run.finish().await;
    let doc = out.status(0).json();
    assert_eq!(
        doc["log_tail"],
        serde_json::json!(["before-the-gate", "after-the-gate"])
    );
}

/// `--log-timestamps` puts the time CloudWatch has for each line (RFC 3339, UTC, to the
/// millisecond) in front of it; without it the line is exactly what the migration wrote.
#[tokio::test]
async fn log_timestamps_prefix_each_line_with_its_cloudwatch_time() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("two", vec![logged("migrate", "echo first; echo second")])
        .await;
    let run = |extra: &'static [&'static str]| {
        Test::new(&emulator)
            .args(app.base_args())
            .args(["--task-definition", "two", "--force"])
            .args(extra)
            .run()
    };

    let plain = run(&[]).await;
    assert_eq!(plain.status(0).stdout, "first\nsecond\n");

    let stamped = run(&["--log-timestamps"]).await;
    let lines: Vec<&str> = stamped.status(0).stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", stamped.stdout);
    for (line, text) in lines.iter().zip(["first", "second"]) {
        let (at, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, text);
        // 2026-11-29T23:40:00.123Z (trailing zeros of the fraction dropped)
        assert!(
            at.len() >= 20 && at.starts_with("20") && at.ends_with('Z') && &at[10..11] == "T",
            "{at}"
        );
    }
}

/// On a terminal, the tool's progress is a spinner redrawn in place (indicatif); in a pipe, as
/// in CI logs, it is plain lines without a single escape code.
#[tokio::test]
async fn progress_is_a_spinner_on_a_terminal_and_plain_lines_in_a_pipe() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!(
            "this test needs util-linux `script` (Debian: bsdutils) to give ecs-migrate a terminal"
        );
    }
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition(
        "slow",
        vec![logged("migrate", "echo working; sleep 2; echo done")],
    )
    .await;
    let run = || {
        Test::new(&emulator)
            .args(app.base_args())
            .args(["--task-definition", "slow", "--force"])
    };

    let piped = run().run().await;
    piped
        .status(0)
        .stderr_has("ecs-migrate: started task")
        .stderr_has("ecs-migrate: migration succeeded");
    assert!(!piped.stderr.contains('\u{1b}'), "{:?}", piped.stderr);

    let terminal = run().on_a_terminal().run().await;
    let screen = &terminal.status(0).stdout;
    assert!(
        screen.contains("working") && screen.contains("done"),
        "{screen:?}"
    );
    assert!(screen.contains("migration succeeded"), "{screen:?}");
    assert!(
        screen.contains('\u{1b}') && screen.chars().any(|c| "⠁⠂⠄⡀⢀⠠⠐⠈".contains(c)),
        "no spinner on the terminal: {screen:?}"
    );
}
