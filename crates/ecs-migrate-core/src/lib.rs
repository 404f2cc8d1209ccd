//! ecs-migrate's core: run a database migration as a one-off ECS task and give a true verdict.
//!
//! Its folders follow the phases of [`migration::run`]; ARCHITECTURE.md's codemap says what
//! lives where (the one map: this file does not repeat it).
//!
//! This crate never depends on clap or lambda_runtime: the edges depend on it, not the reverse.

pub mod aws;
pub mod commands;
mod error;
mod launch;
mod lock;
pub mod migration;
mod pause;
pub mod progress;
mod records;
mod report;
mod request;
mod resolve;
pub mod rollout;
mod shutdown;
mod watch;

#[cfg(test)]
mod test_support;

pub use aws::clients::Clients;
pub use aws_sdk_ecs as ecs;
pub use commands::history;
pub use commands::{
    restore::restore,
    unlock::{unlock, Unlock},
};
pub use error::{
    Error, ErrorKind, LockHolder, EXIT_AWS_ERROR, EXIT_INVALID_INPUT, EXIT_LOCKED,
    EXIT_STILL_RUNNING,
};
pub use pause::restore::restore_command;
pub use pause::{PausePlan, ServiceReport, ServiceTarget};
pub use progress::{Event, Progress};
pub use records::migration_id::MigrationId;
pub use records::outcome::Outcome;
pub use records::pause_record::{AutoScalingState, PauseRecord};
pub use records::run_id::RunId;
pub use records::timestamp::Timestamp;
pub use report::{Report, RunTaskFailure, Status};
pub use request::capacity_provider::CapacityProvider;
pub use request::field::Field;
pub use request::key_value::{EnvVar, Tag};
pub use request::launch_type::{AssignPublicIp, LaunchType};
pub use request::lock_setting::LockSetting;
pub use request::secret::Secret;
pub use request::settings::{Connection, Settings};
pub use request::task_definition_ref::TaskDefinitionRef;
pub use request::timeout::Timeout;
pub use request::{Request, DEFAULT_LOG_SETTLE, DEFAULT_LOG_TAIL, DEFAULT_WAIT_FOR_LOCK};
pub use resolve::log_source::{LogSource, Logs};
pub use resolve::plan::{Plan, RunTaskSpec};
pub use resolve::resolve;
pub use rollout::progress::{RolloutEvent, RolloutProgress};
pub use rollout::report::{RolloutReport, RolloutStatus, TargetReport, TargetResult};
pub use rollout::schedule::Limits;
pub use rollout::targets::Target;
pub use shutdown::Shutdown;
pub use watch::decide_at::DecideAt;
