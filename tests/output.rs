//! The JSON document: exactly one on stdout, with the documented fields.

use crate::emulator::Emulator;
use crate::fixtures::{App, Container};
use crate::test::Test;

/// stdout in JSON mode is one document with every documented field, of the documented types.
#[tokio::test]
async fn json_output_has_the_documented_shape() {
    let emulator = Emulator::start();
    let app = App::new(&emulator).await;
    app.task_definition("one", vec![Container::sh("migrate", "echo hello; exit 0")])
        .await;

    let out = Test::new(&emulator)
        .args(app.base_args())
        .args(["--task-definition", "one", "--output", "json"])
        .run()
        .await;

    let doc = out.status(0).json();
    let object = doc.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "cluster",
            "container",
            "container_reason",
            "duration_seconds",
            "exit_code",
            "failures",
            "log_lines",
            "log_tail",
            "migration",
            "reason",
            "restore_error",
            "run_id",
            "services",
            "started_at",
            "status",
            "stop_code",
            "stopped_at",
            "stopped_reason",
            "task_arn",
            "task_definition",
            "task_status",
        ]
    );
    assert!(doc["cluster"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:ecs:us-east-1:"));
    assert!(doc["task_arn"].as_str().unwrap().contains(":task/"));
    assert_eq!(doc["stop_code"], "EssentialContainerExited");
    assert!(doc["failures"].as_array().unwrap().is_empty());
    assert!(doc["started_at"].as_str().unwrap().ends_with('Z'));
    // Compared as times: the two may carry different fractions of a second (`…40.5Z` is
    // before `…40.548Z` but sorts after it as text).
    let at = |key: &str| humantime::parse_rfc3339(doc[key].as_str().unwrap()).expect(key);
    assert!(at("stopped_at") >= at("started_at"), "{doc}");
    assert!(doc["duration_seconds"].as_f64().unwrap() >= 0.0);
}

/// In JSON mode an error is still one JSON document, with the exit status and message.
#[tokio::test]
async fn json_errors_are_a_document_too() {
    let emulator = Emulator::start();
    App::new(&emulator).await;

    let out = Test::new(&emulator)
        .args([
            "run",
            "--cluster",
            "nope",
            "--task-definition",
            "x",
            "--output",
            "json",
        ])
        .run()
        .await;

    let doc = out.status(3).json();
    assert_eq!(doc["status"], "error");
    assert_eq!(doc["error"]["exit_code"], 3);
    assert!(doc["error"]["message"].as_str().unwrap().contains("`nope`"));
}
