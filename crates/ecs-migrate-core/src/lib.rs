//! ecs-migrate's core: run a database migration as a one-off ECS task and give a true verdict.
//!
//! # Layout
//!
//! - [`Request`] (`request.rs`): what the user asked for, parsed by an edge (CLI flags, Lambda
//!   payload) from its small value types: [`TaskDefinitionRef`], [`Tag`]/[`EnvVar`],
//!   [`CapacityProvider`], [`LaunchType`], [`Timeout`], [`Secret`].
//! - [`resolve()`] (`resolve.rs`): read-only AWS calls turn a request into a [`Plan`] (`plan.rs`),
//!   refusing bad input before anything changes.
//! - [`migration::run`] (`migration.rs`): the orchestration, phase by phase: `launch.rs` (RunTask),
//!   `watch.rs` (polling, timeout, stop on shutdown) alongside `log_follower.rs` (the container's
//!   CloudWatch stream, found by `log_source.rs`), then `verdict.rs` (what the stopped task means);
//!   [`DecideAt`] (`decide_at.rs`): when a task counts as over (its containers' exit, not the
//!   task's STOPPED after Fargate's teardown).
//! - [`Clients`] (`clients.rs`): the SDK clients the core uses.
//! - Pausing services (`service_pause.rs`): record each service's state as tags on it
//!   ([`PauseRecord`], `pause_record.rs`), suspend auto scaling (`autoscaling.rs`), scale down,
//!   wait for the old tasks to stop, and restore on every path.
//! - Run once, re-attach, lock: [`MigrationId`] (`migration_id.rs`) names a migration;
//!   [`Outcome`] (`outcome_record.rs`) records how it ended in SSM Parameter Store;
//!   `lock.rs` decides whether this run may go (free, join a live run, take over a dead one, or
//!   wait); [`history`] (`history.rs`) lists the recorded outcomes.
//! - [`Report`] (`report.rs`): the outcome the edges print or return.
//! - [`Error`] (`error.rs`): the one error type, with the exit status for each variant.
//! - [`Progress`] (`progress.rs`): events the edges render; [`Shutdown`] (`shutdown.rs`): the
//!   cancellation the edges pass in.
//! - [`aws::load`] (`aws.rs`): the SDK configuration from the standard AWS environment, with
//!   retries for a long-running tool; `aws_call.rs`: every call, retried on top while transient,
//!   its failure one line; `tag_limits.rs`: ECS's tag limits; `live_tasks.rs`: a migration's
//!   tasks, whoever started them (re-attach, and the restore guard).
//!
//! This crate never depends on clap or lambda_runtime: the edges depend on it, not the reverse.

mod autoscaling;
pub mod aws;
mod aws_call;
mod capacity_provider;
mod clients;
mod decide_at;
mod error;
pub mod history;
mod key_value;
mod launch;
mod launch_type;
mod live_tasks;
mod lock;
mod log_follower;
mod log_source;
pub mod migration;
mod migration_id;
mod outcome_record;
mod pause_record;
mod plan;
pub mod progress;
mod report;
mod request;
mod resolve;
mod secret;
mod service_pause;
mod shutdown;
mod tag_limits;
mod task_definition_ref;
mod timeout;
mod verdict;
mod watch;

#[cfg(test)]
mod test_support;

pub use aws_sdk_ecs as ecs;
pub use capacity_provider::CapacityProvider;
pub use clients::Clients;
pub use decide_at::DecideAt;
pub use error::{
    Error, LockHolder, EXIT_AWS_ERROR, EXIT_INVALID_INPUT, EXIT_LOCKED, EXIT_STILL_RUNNING,
};
pub use key_value::{EnvVar, Tag};
pub use launch_type::{AssignPublicIp, LaunchType};
pub use log_source::{LogSource, Logs};
pub use migration_id::MigrationId;
pub use outcome_record::Outcome;
pub use pause_record::{AutoScalingState, PauseRecord};
pub use plan::{Plan, RunTaskSpec};
pub use progress::{Event, Progress};
pub use report::{Report, RunTaskFailure, Status};
pub use request::{Request, DEFAULT_LOG_SETTLE, DEFAULT_LOG_TAIL, DEFAULT_WAIT_FOR_LOCK};
pub use resolve::resolve;
pub use secret::Secret;
pub use service_pause::{
    restore, restore_command, unlock, PausePlan, ServiceReport, ServiceTarget,
};
pub use shutdown::Shutdown;
pub use task_definition_ref::TaskDefinitionRef;
pub use timeout::Timeout;
