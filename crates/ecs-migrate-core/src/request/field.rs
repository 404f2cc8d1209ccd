//! [`Field`]: a setting of a run, as the core speaks of it.
//!
//! The core never names a CLI flag or a payload key: an error says which settings would fix it
//! ([`crate::Error::fields`]) and each edge adds its own name for them — the CLI its flag
//! (`--container NAME`), the Lambda its payload key (`Container`) — as ripgrep's `hiargs.rs`
//! turns flags into a search configuration and nothing below it knows a flag.

use std::fmt;

/// One setting of a [`crate::Request`] (or of the AWS connection it runs with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Cluster,
    TaskDefinition,
    Revision,
    FromService,
    Subnets,
    SecurityGroups,
    AssignPublicIp,
    LaunchType,
    CapacityProviders,
    PlatformVersion,
    Container,
    Command,
    Environment,
    Tags,
    Timeout,
    Services,
    MinCapacity,
    DesiredCount,
    KeepPausedOnFailure,
    Force,
    Key,
    Adopt,
    WaitForLock,
    Lock,
    FollowLogs,
    LogTail,
    LogSettle,
    DecideAt,
    Region,
    AssumeRoleArn,
    ExternalId,
}

impl Field {
    /// The setting in plain words, for a message the core writes (`invalid timeout `soon``).
    pub fn noun(self) -> &'static str {
        match self {
            Field::Cluster => "cluster",
            Field::TaskDefinition => "task definition",
            Field::Revision => "revision",
            Field::FromService => "service to take the task definition and network from",
            Field::Subnets => "subnets",
            Field::SecurityGroups => "security groups",
            Field::AssignPublicIp => "public IP setting",
            Field::LaunchType => "launch type",
            Field::CapacityProviders => "capacity provider",
            Field::PlatformVersion => "platform version",
            Field::Container => "container",
            Field::Command => "command",
            Field::Environment => "environment variable",
            Field::Tags => "tag",
            Field::Timeout => "timeout",
            Field::Services => "service to pause",
            Field::MinCapacity => "minimum capacity",
            Field::DesiredCount => "desired count",
            Field::KeepPausedOnFailure => "keep-paused-on-failure setting",
            Field::Force => "force setting",
            Field::Key => "migration key",
            Field::Adopt => "adopt setting",
            Field::WaitForLock => "wait for the lock",
            Field::Lock => "lock",
            Field::FollowLogs => "follow-logs setting",
            Field::LogTail => "log tail",
            Field::LogSettle => "log settle time",
            Field::DecideAt => "decide-at setting",
            Field::Region => "region",
            Field::AssumeRoleArn => "role to assume",
            Field::ExternalId => "external ID",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}
