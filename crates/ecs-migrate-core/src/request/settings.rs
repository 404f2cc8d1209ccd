//! [`Settings`]: a run's settings where any may be missing — what the CLI's flags give, and
//! what a rollout's targets file gives as `defaults` and per target (see `rollout/`). Layers
//! [`Settings::over`] one another (a target's over the file's defaults over the flags), and the
//! result becomes a [`Request`] plus the AWS connection it runs with.
//!
//! In a targets file each key is the setting's snake_case name: `cluster`, `task_definition`,
//! `revision`, `from_service`, `subnets`, `security_groups`, `assign_public_ip`, `launch_type`,
//! `capacity_providers`, `platform_version`, `container`, `command` (array), `env` (object),
//! `tags` (array of `KEY=VALUE`), `timeout`, `services`, `min_capacity`, `desired_count`,
//! `keep_paused_on_failure`, `force`, `key`, `adopt`, `wait_for_lock`, `lock`, `no_logs`,
//! `log_tail`, `log_settle`, `wait_for_stopped`, `region`, `assume_role_arn`, `external_id`.
//! Durations are `"90s"`, `"15m"`, `"2h"` or a number of seconds.

use crate::aws::AwsOptions;
use crate::{
    AssignPublicIp, CapacityProvider, DecideAt, EnvVar, Error, Field, LaunchType, LockSetting,
    Request, Tag, TaskDefinitionRef, Timeout,
};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub cluster: Option<String>,
    #[serde(default, deserialize_with = "parsed")]
    pub task_definition: Option<TaskDefinitionRef>,
    pub revision: Option<u32>,
    pub from_service: Option<String>,
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    #[serde(default, deserialize_with = "parsed")]
    pub assign_public_ip: Option<AssignPublicIp>,
    #[serde(default, deserialize_with = "parsed")]
    pub launch_type: Option<LaunchType>,
    #[serde(default, deserialize_with = "parsed_list")]
    pub capacity_providers: Option<Vec<CapacityProvider>>,
    pub platform_version: Option<String>,
    pub container: Option<String>,
    pub command: Option<Vec<String>>,
    #[serde(default, rename = "env", deserialize_with = "environment")]
    pub environment: Option<Vec<EnvVar>>,
    #[serde(default, deserialize_with = "parsed_list")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default, deserialize_with = "timeout")]
    pub timeout: Option<Timeout>,
    pub services: Option<Vec<String>>,
    pub min_capacity: Option<i32>,
    pub desired_count: Option<i32>,
    pub keep_paused_on_failure: Option<bool>,
    pub force: Option<bool>,
    pub key: Option<String>,
    pub adopt: Option<bool>,
    #[serde(default, deserialize_with = "duration")]
    pub wait_for_lock: Option<Duration>,
    #[serde(default, deserialize_with = "parsed")]
    pub lock: Option<LockSetting>,
    pub no_logs: Option<bool>,
    pub log_tail: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    pub log_settle: Option<Duration>,
    pub wait_for_stopped: Option<bool>,
    pub region: Option<String>,
    pub assume_role_arn: Option<String>,
    pub external_id: Option<String>,
}

/// Where the AWS calls of one run go: which region, as which role. Runs with the same
/// connection share their SDK clients (and, in a rollout, their pollers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Connection {
    pub region: Option<String>,
    pub assume_role_arn: Option<String>,
    pub external_id: Option<String>,
}

impl Connection {
    /// `base` (profile, endpoint, session name) with this connection's region and role.
    pub fn options(&self, base: &AwsOptions) -> AwsOptions {
        AwsOptions {
            region: self.region.clone().or_else(|| base.region.clone()),
            assume_role_arn: self
                .assume_role_arn
                .clone()
                .or_else(|| base.assume_role_arn.clone()),
            external_id: self
                .external_id
                .clone()
                .or_else(|| base.external_id.clone()),
            ..base.clone()
        }
    }
}

macro_rules! layered {
    ($low:ident, $high:ident; $($field:ident),* $(,)?) => {
        Settings { $($field: $high.$field.clone().or_else(|| $low.$field.clone()),)* }
    };
}

impl Settings {
    /// `self` where it says something, else `under`.
    pub fn over(&self, under: &Settings) -> Settings {
        layered!(under, self;
            cluster, task_definition, revision, from_service, subnets, security_groups,
            assign_public_ip, launch_type, capacity_providers, platform_version, container,
            command, environment, tags, timeout, services, min_capacity, desired_count,
            keep_paused_on_failure, force, key, adopt, wait_for_lock, lock, no_logs, log_tail,
            log_settle, wait_for_stopped, region, assume_role_arn, external_id)
    }

    /// The request these settings make (each missing one at its default), and where it runs.
    pub fn request(&self) -> Result<(Request, Connection), Error> {
        let cluster = self
            .cluster
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| Error::InvalidValue {
                field: Field::Cluster,
                value: String::new(),
                reason: "required: the cluster name or ARN".into(),
            })?;
        let d = Request::default();
        let request = Request {
            cluster,
            task_definition: self.task_definition.clone(),
            revision: self.revision,
            from_service: self.from_service.clone(),
            subnets: self.subnets.clone().unwrap_or_default(),
            security_groups: self.security_groups.clone().unwrap_or_default(),
            assign_public_ip: self.assign_public_ip,
            launch_type: self.launch_type,
            capacity_providers: self.capacity_providers.clone().unwrap_or_default(),
            platform_version: self.platform_version.clone(),
            container: self.container.clone(),
            command: self.command.clone(),
            environment: self.environment.clone().unwrap_or_default(),
            tags: self.tags.clone().unwrap_or_default(),
            timeout: self.timeout.unwrap_or(d.timeout),
            services: self.services.clone().unwrap_or_default(),
            min_capacity: self.min_capacity.unwrap_or(d.min_capacity),
            desired_count: self.desired_count,
            keep_paused_on_failure: self.keep_paused_on_failure.unwrap_or_default(),
            force: self.force.unwrap_or_default(),
            key: self.key.clone(),
            adopt: self.adopt.unwrap_or_default(),
            wait_for_lock: self.wait_for_lock.unwrap_or(d.wait_for_lock),
            lock: self.lock.clone().unwrap_or(d.lock.clone()),
            follow_logs: !self.no_logs.unwrap_or_default(),
            log_tail: self.log_tail.unwrap_or(d.log_tail),
            log_settle: self.log_settle.unwrap_or(d.log_settle),
            decide_at: match self.wait_for_stopped {
                Some(true) => DecideAt::TaskStopped,
                _ => DecideAt::ContainerExit,
            },
            ..d
        };
        let connection = Connection {
            region: self.region.clone(),
            assume_role_arn: self.assume_role_arn.clone(),
            external_id: self.external_id.clone(),
        };
        Ok((request, connection))
    }
}

/// The key of a targets file that sets `field`.
pub(crate) fn key(field: Field) -> &'static str {
    match field {
        Field::Cluster => "cluster",
        Field::TaskDefinition => "task_definition",
        Field::Revision => "revision",
        Field::FromService => "from_service",
        Field::Subnets => "subnets",
        Field::SecurityGroups => "security_groups",
        Field::AssignPublicIp => "assign_public_ip",
        Field::LaunchType => "launch_type",
        Field::CapacityProviders => "capacity_providers",
        Field::PlatformVersion => "platform_version",
        Field::Container => "container",
        Field::Command => "command",
        Field::Environment => "env",
        Field::Tags => "tags",
        Field::Timeout => "timeout",
        Field::Services => "services",
        Field::MinCapacity => "min_capacity",
        Field::DesiredCount => "desired_count",
        Field::KeepPausedOnFailure => "keep_paused_on_failure",
        Field::Force => "force",
        Field::Key => "key",
        Field::Adopt => "adopt",
        Field::WaitForLock => "wait_for_lock",
        Field::Lock => "lock",
        Field::FollowLogs => "no_logs",
        Field::LogTail => "log_tail",
        Field::LogSettle => "log_settle",
        Field::DecideAt => "wait_for_stopped",
        Field::Region => "region",
        Field::AssumeRoleArn => "assume_role_arn",
        Field::ExternalId => "external_id",
    }
}

/// A value of a type with its own parser (`"app:42"`, `"15m"`, `"FARGATE"`).
fn parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = Error>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(de::Error::custom)
}

/// A list of such values.
fn parsed_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = Error>,
{
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| text.parse().map_err(de::Error::custom))
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// `{"NAME": "value"}`; a value never appears in an error.
fn environment<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<EnvVar>>, D::Error> {
    let map = BTreeMap::<String, String>::deserialize(deserializer)?;
    map.into_iter()
        .map(|(name, value)| format!("{name}={value}").parse().map_err(de::Error::custom))
        .collect::<Result<Vec<EnvVar>, _>>()
        .map(Some)
}

/// A timeout: `"15m"`, `"0"` (none) or a number of seconds.
fn timeout<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timeout>, D::Error> {
    Ok(duration(deserializer)?.map(|d| {
        if d.is_zero() {
            Timeout::NONE
        } else {
            Timeout::after(d)
        }
    }))
}

/// `"90s"`, `"5m"`, `"0"` or a number of seconds.
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Seconds(u64),
        Text(String),
    }
    match Given::deserialize(deserializer)? {
        Given::Seconds(seconds) => Ok(Some(Duration::from_secs(seconds))),
        Given::Text(text) if text.trim() == "0" => Ok(Some(Duration::ZERO)),
        Given::Text(text) => humantime::parse_duration(text.trim())
            .map(Some)
            .map_err(|err| {
                de::Error::custom(format!(
                    "invalid duration `{text}`: {err}; write `30s`, `5m`, `1h` or a number of seconds"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Settings {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_higher_layer_wins_and_a_lower_one_fills_in() {
        let flags = settings(r#"{"cluster": "prod", "timeout": "30m", "services": ["web"]}"#);
        let defaults = settings(r#"{"task_definition": "app:7", "timeout": "15m"}"#);
        let target = settings(r#"{"services": ["acme-web"], "env": {"TENANT": "acme"}}"#);
        let (request, _) = target.over(&defaults.over(&flags)).request().unwrap();
        assert_eq!(request.cluster, "prod");
        assert_eq!(request.task_definition.unwrap().to_string(), "app:7");
        assert_eq!(request.timeout, "15m".parse().unwrap());
        assert_eq!(request.services, ["acme-web"]);
        assert_eq!(request.environment[0].name, "TENANT");
    }

    #[test]
    fn missing_settings_take_the_run_defaults() {
        let (request, connection) = settings(r#"{"cluster": "prod"}"#).request().unwrap();
        assert_eq!(request.timeout, Timeout::DEFAULT);
        assert_eq!(request.wait_for_lock, crate::DEFAULT_WAIT_FOR_LOCK);
        assert!(request.follow_logs);
        assert_eq!(connection, Connection::default());
    }

    #[test]
    fn durations_are_text_or_seconds() {
        let s = settings(r#"{"wait_for_lock": 90, "log_settle": "2s"}"#);
        assert_eq!(s.wait_for_lock, Some(Duration::from_secs(90)));
        assert_eq!(s.log_settle, Some(Duration::from_secs(2)));
    }

    #[test]
    fn an_unknown_or_unparsable_key_is_refused_naming_it() {
        let unknown = serde_json::from_str::<Settings>(r#"{"service": ["web"]}"#).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `service`"),
            "{unknown}"
        );
        let bad = serde_json::from_str::<Settings>(r#"{"timeout": "soon"}"#).unwrap_err();
        assert!(bad.to_string().contains("invalid duration `soon`"), "{bad}");
    }

    #[test]
    fn a_missing_cluster_is_refused() {
        let err = Settings::default().request().unwrap_err();
        assert_eq!(err.fields(), [Field::Cluster]);
    }
}
