//! One target of a rollout document: the payload `{"Target": {"name": "acme", …}, "Defaults":
//! {…}}` — a target of `ecs-migrate rollout --targets` and the document's `defaults` (optional),
//! in the targets file's snake_case keys. What a Step Functions item sends
//! (`terraform/modules/ecs-migrate-rollout`): the target runs exactly as a run payload does
//! (its region and role its own), and the answer is a run's — the report with `statusCode: 200`
//! and `"target": NAME`, or the run's error (`failure.rs`), so the state machine retries
//! `StillRunning` (the next invocation re-attaches) and `Locked`, and fails the item on the rest.

use crate::failure::Failure;
use ecs_migrate_core::aws::AwsOptions;
use ecs_migrate_core::{rollout, Error, Settings};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

const KEYS: [&str; 2] = ["Target", "Defaults"];

/// Whether the payload is one target of a rollout document.
pub fn is_target(payload: &Value) -> bool {
    payload.get("Target").is_some()
}

pub async fn handle(payload: &Value, hand_off: Instant, wait: Duration) -> Result<Value, Failure> {
    let fields = payload.as_object().cloned().unwrap_or_default();
    if let Some(unknown) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::InvalidInput {
            input: "payload key",
            value: unknown.clone(),
            reason: format!(
                "unknown key in a target payload; the keys are {}",
                KEYS.join(", ")
            ),
        }
        .into());
    }
    let document = json!({
        "defaults": fields.get("Defaults").cloned().unwrap_or(Value::Null),
        "targets": [fields["Target"].clone()],
    });
    let target = rollout::parse(&document, &Settings::default())?
        .pop()
        .expect("one target parsed from one");
    let options = target.connection.options(&AwsOptions::default());
    match crate::handler::run(&options, target.request, hand_off, wait).await {
        Ok(mut answer) => {
            if let Some(fields) = answer.as_object_mut() {
                fields.insert("target".into(), target.name.into());
            }
            Ok(answer)
        }
        Err(failure) => Err(Failure {
            message: format!("target `{}`: {}", target.name, failure.message),
            ..failure
        }),
    }
}
