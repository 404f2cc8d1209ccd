//! [`Request`]: what the user asked for, already parsed into typed values by an edge (the CLI's flags
//! or the Lambda's payload), not yet checked against AWS. [`crate::resolve`] turns it into a
//! [`crate::Plan`].

pub(crate) mod capacity_provider;
pub(crate) mod field;
pub(crate) mod key_value;
pub(crate) mod launch_type;
pub(crate) mod lock_setting;
pub(crate) mod secret;
pub(crate) mod settings;
pub(crate) mod task_definition_ref;
pub(crate) mod timeout;

use crate::{
    AssignPublicIp, CapacityProvider, EnvVar, LaunchType, Tag, TaskDefinitionRef, Timeout,
};

#[derive(Debug, Clone)]
pub struct Request {
    /// Cluster name or ARN.
    pub cluster: String,
    pub task_definition: Option<TaskDefinitionRef>,
    /// Completes a revision-less `task_definition` (or the family `from_service` runs).
    pub revision: Option<u32>,
    /// Take the task definition, network and launch settings from this service when not given.
    pub from_service: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<AssignPublicIp>,
    pub launch_type: Option<LaunchType>,
    pub capacity_providers: Vec<CapacityProvider>,
    pub platform_version: Option<String>,
    /// The container whose exit code decides; default: the only essential one.
    pub container: Option<String>,
    /// Command override for that container; `None` keeps the task definition's command.
    pub command: Option<Vec<String>>,
    pub environment: Vec<EnvVar>,
    pub tags: Vec<Tag>,
    pub timeout: Timeout,
    /// Services to pause around the migration (`--service`, repeatable).
    pub services: Vec<String>,
    /// The desired count they are paused at (`--min-capacity`, default 0).
    pub min_capacity: i32,
    /// Forces the count they come back at (`--desired-count`); default: each one's own.
    pub desired_count: Option<i32>,
    /// Leave them paused when the migration fails or times out (`--keep-paused-on-failure`).
    pub keep_paused_on_failure: bool,
    /// Run even if this migration already succeeded (`--force`).
    pub force: bool,
    /// Part of the migration's identity beyond revision, container and command (`--key`): a
    /// new key is a new migration. Blank: none.
    pub key: Option<String>,
    /// Record the migration as succeeded without running it, unless an outcome of it is
    /// recorded (`--adopt`): for a revision the replaced tool already migrated.
    pub adopt: bool,
    /// How long to wait for another run that holds the app (`--wait-for-lock`).
    pub wait_for_lock: std::time::Duration,
    /// Where the app's lock is kept (the cluster's tag by default).
    pub lock: crate::LockSetting,
    /// Stream the deciding container's CloudWatch logs (`--no-logs` turns it off).
    pub follow_logs: bool,
    /// How many of the last log lines the report keeps (`--log-tail`).
    pub log_tail: usize,
    /// How long after the migration's containers stopped the log stream must stay quiet before
    /// it counts as read to the end (CloudWatch shows an event a moment after it was put).
    pub log_settle: std::time::Duration,
    /// When the migration task counts as over: at its deciding container's exit (the default),
    /// or once ECS has torn it down to STOPPED.
    pub decide_at: crate::DecideAt,
    /// This run's id (`r-` and 12 hex digits), in its records, its lock and, by default, the
    /// assumed role's session name; a fresh one by default.
    pub run_id: crate::RunId,
}

/// How long a run waits for another that holds the app, by default.
pub const DEFAULT_WAIT_FOR_LOCK: std::time::Duration = std::time::Duration::from_secs(300);

/// The number of log lines a report keeps by default.
pub const DEFAULT_LOG_TAIL: usize = 20;

/// How long the log stream is read after the containers stopped, by default (see
/// `watch/log_follower.rs` and docs/aws-semantics.md).
pub const DEFAULT_LOG_SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

impl Default for Request {
    fn default() -> Request {
        Request {
            cluster: String::new(),
            task_definition: None,
            revision: None,
            from_service: None,
            subnets: Vec::new(),
            security_groups: Vec::new(),
            assign_public_ip: None,
            launch_type: None,
            capacity_providers: Vec::new(),
            platform_version: None,
            container: None,
            command: None,
            environment: Vec::new(),
            tags: Vec::new(),
            timeout: Timeout::default(),
            services: Vec::new(),
            min_capacity: 0,
            desired_count: None,
            keep_paused_on_failure: false,
            force: false,
            key: None,
            adopt: false,
            wait_for_lock: DEFAULT_WAIT_FOR_LOCK,
            lock: crate::LockSetting::ClusterTag,
            follow_logs: true,
            log_tail: DEFAULT_LOG_TAIL,
            log_settle: DEFAULT_LOG_SETTLE,
            decide_at: crate::DecideAt::default(),
            run_id: crate::RunId::new(),
        }
    }
}
