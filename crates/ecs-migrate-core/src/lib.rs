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
//!   CloudWatch stream, found by `log_source.rs`), then `verdict.rs` (what the stopped task means).
//! - [`Clients`] (`clients.rs`): the SDK clients the core uses.
//! - Pausing services (`service_pause.rs`): record each service's state as tags on it
//!   ([`PauseRecord`], `pause_record.rs`), suspend auto scaling (`autoscaling.rs`), scale down,
//!   wait for the old tasks to stop, and restore on every path.
//! - [`Report`] (`report.rs`): the outcome the edges print or return.
//! - [`Error`] (`error.rs`): the one error type, with the exit status for each variant.
//! - [`Progress`] (`progress.rs`): events the edges render; [`Shutdown`] (`shutdown.rs`): the
//!   cancellation the edges pass in.
//! - [`aws::load`] (`aws.rs`): the SDK configuration from the standard AWS environment.
//!
//! This crate never depends on clap or lambda_runtime: the edges depend on it, not the reverse.

mod autoscaling;
pub mod aws;
mod capacity_provider;
mod clients;
mod error;
mod key_value;
mod launch;
mod launch_type;
mod log_follower;
mod log_source;
pub mod migration;
mod pause_record;
mod plan;
pub mod progress;
mod report;
mod request;
mod resolve;
mod secret;
mod service_pause;
mod shutdown;
mod task_definition_ref;
mod timeout;
mod verdict;
mod watch;

#[cfg(test)]
mod test_support;

pub use aws_sdk_ecs as ecs;
pub use capacity_provider::CapacityProvider;
pub use clients::Clients;
pub use error::{Error, EXIT_AWS_ERROR, EXIT_INVALID_INPUT};
pub use key_value::{EnvVar, Tag};
pub use launch_type::{AssignPublicIp, LaunchType};
pub use log_source::{LogSource, Logs};
pub use pause_record::{AutoScalingState, PauseRecord};
pub use plan::{Plan, RunTaskSpec, STARTED_BY};
pub use progress::{Event, Progress};
pub use report::{Report, RunTaskFailure, Status};
pub use request::{Request, DEFAULT_LOG_TAIL};
pub use resolve::resolve;
pub use secret::Secret;
pub use service_pause::{restore, restore_command, PausePlan, ServiceReport, ServiceTarget};
pub use shutdown::Shutdown;
pub use task_definition_ref::TaskDefinitionRef;
pub use timeout::Timeout;
