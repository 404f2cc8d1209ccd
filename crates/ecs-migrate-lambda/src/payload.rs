//! The invocation payload → the core's [`Request`].
//!
//! It accepts the payload of the Lambda it replaces exactly — `Cluster`, `TaskDefinition`, and
//! `Subnets` / `SecurityGroups` as comma-separated strings — and the rest of a run's settings
//! under the keys below (the CLI flag each one mirrors in brackets). Lists may be JSON lists or
//! comma-separated strings; durations are `"90s"`, `"15m"`, `"2h"` or a number of seconds.
//!
//! | key | type | CLI |
//! |---|---|---|
//! | `Cluster` | string, required | `--cluster` |
//! | `TaskDefinition` | family, `family:revision` or ARN | `--task-definition` |
//! | `Revision` | number | `--revision` |
//! | `FromService` | string | `--from-service` |
//! | `Subnets`, `SecurityGroups` | list | `--subnets`, `--security-groups` |
//! | `AssignPublicIp` | `"ENABLED"`/`"DISABLED"` or bool | `--assign-public-ip` |
//! | `LaunchType` | string | `--launch-type` |
//! | `CapacityProviders` | list of `NAME[:weight[:base]]` | `--capacity-provider` |
//! | `PlatformVersion` | string | `--platform-version` |
//! | `Container` | string | `--container` |
//! | `Command` | list of strings | `-- COMMAND…` |
//! | `Environment` | object of strings (values never logged) | `--env` |
//! | `Tags` | object of strings | `--tag` |
//! | `Timeout` | duration; default 1h | `--timeout` |
//! | `Services` | list: services to pause | `--service` |
//! | `MinCapacity`, `DesiredCount` | number | `--min-capacity`, `--desired-count` |
//! | `KeepPausedOnFailure`, `Force` | bool | `--keep-paused-on-failure`, `--force` |
//! | `Key` | string: part of the migration's identity | `--key` |
//! | `Adopt` | bool: record as already run, run nothing | `--adopt` |
//! | `WaitForLock` | duration; default 5m | `--wait-for-lock` |
//! | `FollowLogs` | bool; default true | `--no-logs` (inverted) |
//! | `LogTail` | number | `--log-tail` |
//! | `LogSettle` | duration; default 1s | `--log-settle` |
//! | `WaitForStopped` | bool: decide at the task's STOPPED, not at the container's exit | `--wait-for-stopped` |
//!
//! An unknown key is refused (a misspelt `Service` must not silently pause nothing).

use ecs_migrate_core::{DecideAt, Error, Request, Timeout};
use serde_json::{Map, Value};
use std::str::FromStr;
use std::time::Duration;

const KEYS: &[&str] = &[
    "Cluster",
    "TaskDefinition",
    "Revision",
    "FromService",
    "Subnets",
    "SecurityGroups",
    "AssignPublicIp",
    "LaunchType",
    "CapacityProviders",
    "PlatformVersion",
    "Container",
    "Command",
    "Environment",
    "Tags",
    "Timeout",
    "Services",
    "MinCapacity",
    "DesiredCount",
    "KeepPausedOnFailure",
    "Force",
    "Key",
    "Adopt",
    "WaitForLock",
    "FollowLogs",
    "LogTail",
    "LogSettle",
    "WaitForStopped",
];

/// Turns the payload into a request, refusing (before any AWS call) what cannot be right.
pub fn request(payload: &Value) -> Result<Request, Error> {
    let Some(fields) = payload.as_object() else {
        return Err(invalid(
            "payload",
            short(payload),
            "the payload must be a JSON object such as {\"Cluster\": \"prod\", \"TaskDefinition\": \"app:42\", \"Subnets\": \"subnet-a,subnet-b\", \"SecurityGroups\": \"sg-1\"}",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(invalid(
            "payload key",
            unknown.clone(),
            &format!("unknown key; the keys are {}", KEYS.join(", ")),
        ));
    }
    let f = Fields(fields);
    let defaults = Request::default();
    Ok(Request {
        cluster: f
            .string("Cluster")?
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    "Cluster",
                    String::new(),
                    "required: the cluster name or ARN",
                )
            })?,
        task_definition: f.parsed("TaskDefinition")?,
        revision: f.number("Revision")?,
        from_service: f.string("FromService")?,
        subnets: f.list("Subnets")?,
        security_groups: f.list("SecurityGroups")?,
        assign_public_ip: match f.0.get("AssignPublicIp") {
            Some(Value::Bool(true)) => Some(ecs_migrate_core::AssignPublicIp::Enabled),
            Some(Value::Bool(false)) => Some(ecs_migrate_core::AssignPublicIp::Disabled),
            _ => f.parsed("AssignPublicIp")?,
        },
        launch_type: f.parsed("LaunchType")?,
        capacity_providers: f
            .list("CapacityProviders")?
            .iter()
            .map(|p| p.parse().map_err(|e| rename(e, "CapacityProviders")))
            .collect::<Result<_, _>>()?,
        platform_version: f.string("PlatformVersion")?,
        container: f.string("Container")?,
        command: f.strings("Command")?,
        environment: f
            .object("Environment")?
            .into_iter()
            .map(|(name, value)| {
                format!("{name}={value}")
                    .parse()
                    .map_err(|e| rename(e, "Environment"))
            })
            .collect::<Result<_, _>>()?,
        tags: f
            .object("Tags")?
            .into_iter()
            .map(|(k, v)| format!("{k}={v}").parse().map_err(|e| rename(e, "Tags")))
            .collect::<Result<_, _>>()?,
        timeout: match f.duration_text("Timeout")? {
            Some(text) => Timeout::from_str(&text).map_err(|e| rename(e, "Timeout"))?,
            None => defaults.timeout,
        },
        services: f.list("Services")?,
        min_capacity: f.number("MinCapacity")?.unwrap_or(defaults.min_capacity),
        desired_count: f.number("DesiredCount")?,
        keep_paused_on_failure: f.bool("KeepPausedOnFailure")?.unwrap_or(false),
        force: f.bool("Force")?.unwrap_or(false),
        key: f.string("Key")?,
        adopt: f.bool("Adopt")?.unwrap_or(false),
        wait_for_lock: match f.duration_text("WaitForLock")? {
            Some(text) => Timeout::from_str(&text)
                .map_err(|e| rename(e, "WaitForLock"))?
                .duration()
                .unwrap_or(Duration::ZERO),
            None => defaults.wait_for_lock,
        },
        follow_logs: f.bool("FollowLogs")?.unwrap_or(true),
        log_tail: f.number("LogTail")?.unwrap_or(defaults.log_tail),
        log_settle: match f.duration_text("LogSettle")? {
            Some(text) => Timeout::from_str(&text)
                .map_err(|e| rename(e, "LogSettle"))?
                .duration()
                .unwrap_or(Duration::ZERO),
            None => defaults.log_settle,
        },
        decide_at: match f.bool("WaitForStopped")? {
            Some(true) => DecideAt::TaskStopped,
            Some(false) | None => DecideAt::ContainerExit,
        },
        run_id: defaults.run_id,
    })
}

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &'static str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(invalid(key, short(other), "must be a string")),
        }
    }

    fn parsed<T: FromStr<Err = Error>>(&self, key: &'static str) -> Result<Option<T>, Error> {
        self.string(key)?
            .map(|s| s.parse().map_err(|e| rename(e, key)))
            .transpose()
    }

    fn number<T: TryFrom<i64>>(&self, key: &'static str) -> Result<Option<T>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| T::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| invalid(key, short(v), "must be a whole number in range")),
        }
    }

    fn bool(&self, key: &'static str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(invalid(key, short(other), "must be true or false")),
        }
    }

    /// A list as a JSON list of strings or one comma-separated string; blanks dropped.
    fn list(&self, key: &'static str) -> Result<Vec<String>, Error> {
        let items: Vec<String> = match self.get(key) {
            None => Vec::new(),
            Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(invalid(key, short(other), "list items must be strings")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(
                    key,
                    short(other),
                    "must be a comma-separated string (\"a,b\") or a list of strings",
                ))
            }
        };
        Ok(items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect())
    }

    /// A command: a JSON list of strings, kept as given (no splitting on spaces or commas).
    fn strings(&self, key: &'static str) -> Result<Option<Vec<String>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(key, short(item), "list items must be strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(invalid(
                key,
                short(other),
                "must be a list of strings, e.g. [\"bin/rails\", \"db:migrate\"]",
            )),
        }
    }

    /// An object of strings (environment, tags). Values are never put into an error.
    fn object(&self, key: &'static str) -> Result<Vec<(String, String)>, Error> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    Value::Bool(b) => Ok((k.clone(), b.to_string())),
                    _ => Err(invalid(key, k.clone(), "values must be strings")),
                })
                .collect(),
            Some(Value::Array(_)) | Some(_) => Err(invalid(
                key,
                String::new(),
                "must be an object of strings, e.g. {\"NAME\": \"value\"}",
            )),
        }
    }

    /// A duration as text: a string as given, a number as seconds.
    fn duration_text(&self, key: &'static str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some("0".into())),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(format!("{n}s"))),
            Some(other) => Err(invalid(
                key,
                short(other),
                "must be a duration like \"90s\", \"15m\", \"2h\", or a number of seconds",
            )),
        }
    }
}

fn invalid(key: &'static str, value: String, reason: &str) -> Error {
    Error::InvalidValue {
        flag: key,
        value,
        reason: reason.to_owned(),
    }
}

/// The core's value errors name the CLI flag; here they name the payload key.
fn rename(err: Error, key: &'static str) -> Error {
    match err {
        Error::InvalidValue { value, reason, .. } => Error::InvalidValue {
            flag: key,
            value,
            reason,
        },
        other => other,
    }
}

/// A value for an error message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_replaced_lambdas_payload_is_accepted_as_is() {
        let request = request(&json!({
            "Cluster": "prod",
            "TaskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42",
            "Subnets": "subnet-a, subnet-b",
            "SecurityGroups": "sg-1",
        }))
        .unwrap();
        assert_eq!(request.cluster, "prod");
        assert_eq!(request.subnets, ["subnet-a", "subnet-b"]);
        assert_eq!(request.security_groups, ["sg-1"]);
        assert_eq!(
            request.task_definition.unwrap().to_string(),
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42"
        );
        assert!(request.follow_logs);
        assert_eq!(request.timeout, Timeout::default());
    }

    #[test]
    fn the_full_plan_is_read_from_its_keys() {
        let request = request(&json!({
            "Cluster": "prod",
            "TaskDefinition": "app",
            "Revision": 42,
            "Subnets": ["subnet-a"],
            "Services": "web,worker",
            "MinCapacity": 0,
            "DesiredCount": "3",
            "Container": "app",
            "Command": ["bin/rails", "db:migrate"],
            "Environment": {"RAILS_ENV": "production"},
            "Tags": {"team": "db"},
            "Timeout": 5400,
            "WaitForLock": "2m",
            "Force": true,
            "Key": "sql=3f2a",
            "Adopt": true,
            "AssignPublicIp": true,
            "FollowLogs": false,
            "LogSettle": "3s",
            "WaitForStopped": true,
        }))
        .unwrap();
        assert_eq!(request.revision, Some(42));
        assert_eq!(request.services, ["web", "worker"]);
        assert_eq!(request.desired_count, Some(3));
        assert_eq!(request.command.unwrap(), ["bin/rails", "db:migrate"]);
        assert_eq!(request.environment.len(), 1);
        assert_eq!(request.tags.len(), 1);
        assert_eq!(request.timeout.duration(), Some(Duration::from_secs(5400)));
        assert_eq!(request.wait_for_lock, Duration::from_secs(120));
        assert!(request.force && !request.follow_logs);
        assert_eq!(request.key.as_deref(), Some("sql=3f2a"));
        assert!(request.adopt);
        assert_eq!(request.log_settle, Duration::from_secs(3));
        assert_eq!(request.decide_at, ecs_migrate_core::DecideAt::TaskStopped);
        let defaults = super::request(&json!({"Cluster": "prod"})).unwrap();
        assert_eq!(
            defaults.decide_at,
            ecs_migrate_core::DecideAt::ContainerExit
        );
        assert_eq!(defaults.log_settle, Duration::from_secs(1));
    }

    #[test]
    fn bad_input_names_the_key_and_the_value() {
        let err = request(&json!({"Cluster": "prod", "Timeout": "soon"})).unwrap_err();
        assert!(err.to_string().contains("invalid Timeout `soon`"), "{err}");
        assert_eq!(err.code(), ecs_migrate_core::EXIT_INVALID_INPUT);

        let err = request(&json!({"Cluster": "prod", "Service": "web"})).unwrap_err();
        assert!(err.to_string().contains("`Service`: unknown key"), "{err}");

        let err = request(&json!({"Cluster": "prod", "Subnets": 7})).unwrap_err();
        assert!(err.to_string().contains("invalid Subnets `7`"), "{err}");

        let err = request(&json!({"TaskDefinition": "app:1"})).unwrap_err();
        assert!(err.to_string().contains("Cluster"), "{err}");

        let err = request(&json!("prod")).unwrap_err();
        assert!(err.to_string().contains("JSON object"), "{err}");
    }

    #[test]
    fn environment_values_never_reach_an_error() {
        let err =
            request(&json!({"Cluster": "p", "Environment": {"TOKEN": ["s3cr3t"]}})).unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(err.to_string().contains("TOKEN"), "{err}");
    }
}
