//! Integration tests: the real `ecs-migrate` binary against the local emulated ECS (moto plus the
//! launcher in `emulator/`), one fresh emulator per test so no state is shared.
//!
//! `emulator.rs` starts and stops the emulator, `fixtures.rs` creates clusters, task definitions
//! and services in it, `test.rs` is the builder that runs the binary, `runtime_api.rs` a fake Lambda Runtime API
//! that drives the binary as a Lambda function's `bootstrap`. The other modules are the
//! behaviours, one file each.

mod emulator;
mod fixtures;
mod runtime_api;
mod test;

mod aws_semantics;
mod install;
mod lambda;
mod lock_s3;
mod logs;
mod once;
mod output;
mod pause;
mod refusals;
mod resolution;
mod rollout;
mod stopping;
mod teardown;
mod verdict;
