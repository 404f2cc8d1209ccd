//! The summary of a rollout run by a Step Functions state machine: the payload
//! `{"Summarize": {"defaults": {…}, "targets": […]}, "Results": […], "Halted": false, "Since":
//! "2026-12-01T10:00:00.000Z"}` — the rollout document the execution started with, its items'
//! answers (`target.rs`; nested lists are flattened, and entries that are not a target's answer
//! — a failed item's — are ignored), whether a failure threshold halted it, and when it began
//! (`$$.Execution.StartTime`). The answer is the document of `ecs-migrate rollout --output
//! json`, whatever the rollout's status (the state machine decides on `status`); targets with
//! no answer are read from their records in AWS (`rollout/summary.rs` in the core).

use crate::failure::Failure;
use ecs_migrate_core::aws::AwsOptions;
use ecs_migrate_core::rollout::{self, Answered, Summary};
use ecs_migrate_core::{Error, Settings, Status, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const KEYS: [&str; 4] = ["Summarize", "Results", "Halted", "Since"];

/// Whether the payload asks for a rollout's summary.
pub fn is_summary(payload: &Value) -> bool {
    payload.get("Summarize").is_some()
}

pub async fn handle(payload: &Value) -> Result<Value, Failure> {
    let fields = payload.as_object().cloned().unwrap_or_default();
    if let Some(unknown) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(invalid(
            "payload key",
            unknown,
            &format!(
                "unknown key in a summary payload; the keys are {}",
                KEYS.join(", ")
            ),
        )
        .into());
    }
    let targets = rollout::parse(&fields["Summarize"], &Settings::default())?;
    let since = match fields.get("Since") {
        Some(Value::String(text)) => text
            .parse::<Timestamp>()
            .map_err(|err| invalid("Since", text, &err.to_string()))?,
        other => {
            return Err(invalid(
                "Since",
                &other.map(Value::to_string).unwrap_or_default(),
                "give the execution's start time, `$$.Execution.StartTime`",
            )
            .into())
        }
    };
    let halted = match fields.get("Halted") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(halted)) => *halted,
        Some(other) => {
            return Err(invalid("Halted", &other.to_string(), "must be true or false").into())
        }
    };
    let mut answered = BTreeMap::new();
    collect(fields.get("Results").unwrap_or(&Value::Null), &mut answered);
    let summary = Summary {
        targets,
        since,
        halted,
        answered,
    };
    let report = rollout::summarize(&AwsOptions::default(), summary).await?;
    tracing::info!(status = report.status.as_str(), counts = ?report.counts, "rollout summarized");
    Ok(serde_json::to_value(&report).expect("a rollout report serialises"))
}

/// Every target's answer in `results`, however nested.
fn collect(results: &Value, answered: &mut BTreeMap<String, Answered>) {
    match results {
        Value::Array(items) => items.iter().for_each(|item| collect(item, answered)),
        Value::Object(fields) => {
            let target = fields.get("target").and_then(Value::as_str);
            let status = fields
                .get("status")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Status>().ok());
            if let (Some(target), Some(status)) = (target, status) {
                let seconds = fields
                    .get("duration_seconds")
                    .and_then(Value::as_f64)
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .unwrap_or_default();
                answered.insert(
                    target.to_owned(),
                    Answered {
                        status,
                        report: results.clone(),
                        elapsed: Duration::from_secs_f64(seconds),
                    },
                );
            }
        }
        _ => {}
    }
}

fn invalid(input: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidInput {
        input,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_answers_are_found_in_both_maps_results_and_failed_items_are_ignored() {
        let results = json!([
            [{"target": "acme", "status": "succeeded", "duration_seconds": 4.5, "statusCode": 200}],
            [null, {"Error": "MigrationFailed", "Cause": "…"},
             {"target": "globex", "status": "skipped", "statusCode": 200}]
        ]);
        let mut answered = BTreeMap::new();
        collect(&results, &mut answered);
        assert_eq!(answered.len(), 2);
        assert_eq!(answered["acme"].status, Status::Succeeded);
        assert_eq!(answered["acme"].elapsed, Duration::from_millis(4500));
        assert_eq!(answered["globex"].status, Status::Skipped);
        assert_eq!(answered["globex"].report["target"], "globex");
    }
}
