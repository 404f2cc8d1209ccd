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
//! | `Lock` | `s3://BUCKET/PREFIX`; default: the cluster's tag | `--lock` |
//! | `FollowLogs` | bool; default true | `--no-logs` (inverted) |
//! | `LogTail` | number | `--log-tail` |
//! | `LogSettle` | duration; default 1s | `--log-settle` |
//! | `WaitForStopped` | bool: decide at the task's STOPPED, not at the container's exit | `--wait-for-stopped` |
//!
//! An unknown key is refused (a misspelt `Service` must not silently pause nothing).

use ecs_migrate_core::{DecideAt, Error, Field, Request, Timeout};
use serde_json::{Map, Value};
use std::str::FromStr;
use std::time::Duration;

/// Each payload key and the setting it is.
const KEYS: &[(&str, Field)] = &[
    ("Cluster", Field::Cluster),
    ("TaskDefinition", Field::TaskDefinition),
    ("Revision", Field::Revision),
    ("FromService", Field::FromService),
    ("Subnets", Field::Subnets),
    ("SecurityGroups", Field::SecurityGroups),
    ("AssignPublicIp", Field::AssignPublicIp),
    ("LaunchType", Field::LaunchType),
    ("CapacityProviders", Field::CapacityProviders),
    ("PlatformVersion", Field::PlatformVersion),
    ("Container", Field::Container),
    ("Command", Field::Command),
    ("Environment", Field::Environment),
    ("Tags", Field::Tags),
    ("Timeout", Field::Timeout),
    ("Services", Field::Services),
    ("MinCapacity", Field::MinCapacity),
    ("DesiredCount", Field::DesiredCount),
    ("KeepPausedOnFailure", Field::KeepPausedOnFailure),
    ("Force", Field::Force),
    ("Key", Field::Key),
    ("Adopt", Field::Adopt),
    ("WaitForLock", Field::WaitForLock),
    ("Lock", Field::Lock),
    ("FollowLogs", Field::FollowLogs),
    ("LogTail", Field::LogTail),
    ("LogSettle", Field::LogSettle),
    ("WaitForStopped", Field::DecideAt),
];

/// Turns the payload into a request, refusing (before any AWS call) what cannot be right.
pub fn request(payload: &Value) -> Result<Request, Error> {
    let Some(fields) = payload.as_object() else {
        return Err(invalid_input(
            "payload",
            short(payload),
            "the payload must be a JSON object such as {\"Cluster\": \"prod\", \"TaskDefinition\": \"app:42\", \"Subnets\": \"subnet-a,subnet-b\", \"SecurityGroups\": \"sg-1\"}",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| field(k).is_none()) {
        let keys: Vec<&str> = KEYS.iter().map(|(key, _)| *key).collect();
        return Err(invalid_input(
            "payload key",
            unknown.clone(),
            &format!("unknown key; the keys are {}", keys.join(", ")),
        ));
    }
    let f = Fields(fields);
    let defaults = Request::default();
    Ok(Request {
        cluster: f
            .string(Field::Cluster)?
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    Field::Cluster,
                    String::new(),
                    "required: the cluster name or ARN",
                )
            })?,
        task_definition: f.parsed(Field::TaskDefinition)?,
        revision: f.number(Field::Revision)?,
        from_service: f.string(Field::FromService)?,
        subnets: f.list(Field::Subnets)?,
        security_groups: f.list(Field::SecurityGroups)?,
        assign_public_ip: match f.get(Field::AssignPublicIp) {
            Some(Value::Bool(true)) => Some(ecs_migrate_core::AssignPublicIp::Enabled),
            Some(Value::Bool(false)) => Some(ecs_migrate_core::AssignPublicIp::Disabled),
            _ => f.parsed(Field::AssignPublicIp)?,
        },
        launch_type: f.parsed(Field::LaunchType)?,
        capacity_providers: f
            .list(Field::CapacityProviders)?
            .iter()
            .map(|p| {
                p.parse()
                    .map_err(|e: Error| e.for_field(Field::CapacityProviders))
            })
            .collect::<Result<_, _>>()?,
        platform_version: f.string(Field::PlatformVersion)?,
        container: f.string(Field::Container)?,
        command: f.strings(Field::Command)?,
        environment: f
            .object(Field::Environment)?
            .into_iter()
            .map(|(name, value)| {
                format!("{name}={value}")
                    .parse()
                    .map_err(|e: Error| e.for_field(Field::Environment))
            })
            .collect::<Result<_, _>>()?,
        tags: f
            .object(Field::Tags)?
            .into_iter()
            .map(|(k, v)| {
                format!("{k}={v}")
                    .parse()
                    .map_err(|e: Error| e.for_field(Field::Tags))
            })
            .collect::<Result<_, _>>()?,
        timeout: match f.duration_text(Field::Timeout)? {
            Some(text) => {
                Timeout::from_str(&text).map_err(|e: Error| e.for_field(Field::Timeout))?
            }
            None => defaults.timeout,
        },
        services: f.list(Field::Services)?,
        min_capacity: f
            .number(Field::MinCapacity)?
            .unwrap_or(defaults.min_capacity),
        desired_count: f.number(Field::DesiredCount)?,
        keep_paused_on_failure: f.bool(Field::KeepPausedOnFailure)?.unwrap_or(false),
        force: f.bool(Field::Force)?.unwrap_or(false),
        key: f.string(Field::Key)?,
        adopt: f.bool(Field::Adopt)?.unwrap_or(false),
        wait_for_lock: match f.duration_text(Field::WaitForLock)? {
            Some(text) => Timeout::from_str(&text)
                .map_err(|e: Error| e.for_field(Field::WaitForLock))?
                .duration()
                .unwrap_or(Duration::ZERO),
            None => defaults.wait_for_lock,
        },
        lock: f.parsed(Field::Lock)?.unwrap_or_default(),
        follow_logs: f.bool(Field::FollowLogs)?.unwrap_or(true),
        log_tail: f.number(Field::LogTail)?.unwrap_or(defaults.log_tail),
        log_settle: match f.duration_text(Field::LogSettle)? {
            Some(text) => Timeout::from_str(&text)
                .map_err(|e: Error| e.for_field(Field::LogSettle))?
                .duration()
                .unwrap_or(Duration::ZERO),
            None => defaults.log_settle,
        },
        decide_at: match f.bool(Field::DecideAt)? {
            Some(true) => DecideAt::TaskStopped,
            Some(false) | None => DecideAt::ContainerExit,
        },
        run_id: defaults.run_id,
    })
}

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, field: Field) -> Option<&Value> {
        key(field)
            .and_then(|key| self.0.get(key))
            .filter(|v| !v.is_null())
    }

    fn string(&self, field: Field) -> Result<Option<String>, Error> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(invalid(field, short(other), "must be a string")),
        }
    }

    fn parsed<T: FromStr<Err = Error>>(&self, field: Field) -> Result<Option<T>, Error> {
        self.string(field)?
            .map(|s| s.parse().map_err(|e: Error| e.for_field(field)))
            .transpose()
    }

    fn number<T: TryFrom<i64>>(&self, field: Field) -> Result<Option<T>, Error> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| T::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| invalid(field, short(v), "must be a whole number in range")),
        }
    }

    fn bool(&self, field: Field) -> Result<Option<bool>, Error> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(invalid(field, short(other), "must be true or false")),
        }
    }

    /// A list as a JSON list of strings or one comma-separated string; blanks dropped.
    fn list(&self, field: Field) -> Result<Vec<String>, Error> {
        let items: Vec<String> = match self.get(field) {
            None => Vec::new(),
            Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(invalid(field, short(other), "list items must be strings")),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(
                    field,
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
    fn strings(&self, field: Field) -> Result<Option<Vec<String>>, Error> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(field, short(item), "list items must be strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(invalid(
                field,
                short(other),
                "must be a list of strings, e.g. [\"bin/rails\", \"db:migrate\"]",
            )),
        }
    }

    /// An object of strings (environment, tags). Values are never put into an error.
    fn object(&self, field: Field) -> Result<Vec<(String, String)>, Error> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    Value::Bool(b) => Ok((k.clone(), b.to_string())),
                    _ => Err(invalid(field, k.clone(), "values must be strings")),
                })
                .collect(),
            Some(Value::Array(_)) | Some(_) => Err(invalid(
                field,
                String::new(),
                "must be an object of strings, e.g. {\"NAME\": \"value\"}",
            )),
        }
    }

    /// A duration as text: a string as given, a number as seconds.
    fn duration_text(&self, field: Field) -> Result<Option<String>, Error> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some("0".into())),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(format!("{n}s"))),
            Some(other) => Err(invalid(
                field,
                short(other),
                "must be a duration like \"90s\", \"15m\", \"2h\", or a number of seconds",
            )),
        }
    }
}

fn invalid(field: Field, value: String, reason: &str) -> Error {
    Error::InvalidValue {
        field,
        value,
        reason: reason.to_owned(),
    }
}

fn invalid_input(input: &'static str, value: String, reason: &str) -> Error {
    Error::InvalidInput {
        input,
        value,
        reason: reason.to_owned(),
    }
}

/// The payload key of a setting, if the payload has one (the region and the role come from the
/// function's environment instead).
pub fn key(field: Field) -> Option<&'static str> {
    KEYS.iter().find(|(_, f)| *f == field).map(|(key, _)| *key)
}

/// The setting a payload key is.
fn field(key: &str) -> Option<Field> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
}

/// An error's message with the payload keys that would fix it: `…: name the one that runs the
/// migration (payload key `Container`)`.
pub fn message(err: &Error) -> String {
    let keys: Vec<String> = err
        .fields()
        .into_iter()
        .filter_map(key)
        .map(|key| format!("`{key}`"))
        .collect();
    match keys.as_slice() {
        [] => err.to_string(),
        [one] => format!("{err} (payload key {one})"),
        keys => format!("{err} (payload keys {})", keys.join(" or ")),
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
        assert!(err.to_string().contains("invalid timeout `soon`"), "{err}");
        assert!(message(&err).ends_with("(payload key `Timeout`)"), "{err}");
        assert_eq!(err.code(), ecs_migrate_core::EXIT_INVALID_INPUT);

        let err = request(&json!({"Cluster": "prod", "Service": "web"})).unwrap_err();
        assert!(err.to_string().contains("`Service`: unknown key"), "{err}");

        let err = request(&json!({"Cluster": "prod", "Subnets": 7})).unwrap_err();
        assert!(err.to_string().contains("invalid subnets `7`"), "{err}");
        assert!(message(&err).ends_with("(payload key `Subnets`)"), "{err}");

        let err = request(&json!({"TaskDefinition": "app:1"})).unwrap_err();
        assert!(message(&err).contains("`Cluster`"), "{err}");

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
