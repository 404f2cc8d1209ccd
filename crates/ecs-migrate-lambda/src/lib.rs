//! ecs-migrate as an AWS Lambda function (runtime `provided.al2023`): the `ecs-migrate` binary
//! serves as the function's `bootstrap` (see [`started_as_function`]), so the Lambda package is
//! the CLI's binary renamed.
//!
//! The edge only: the Runtime API loop (lambda_runtime) hands each invocation to
//! [`handler::handle`], which turns the payload into a request, calls the core, and turns the
//! result into a response or a typed error. See `payload.rs` for the payload, `rollout.rs` for a
//! payload with `Targets` (a rollout), `target.rs` for one target of a rollout document
//! (`Target`, a Step Functions item), `summarize.rs` for the summary of a rollout run that way
//! (`Summarize`), `failure.rs` for the `errorType`s.

mod failure;
mod handler;
mod log;
mod payload;
mod rollout;
mod summarize;
mod target;

use std::path::Path;
use std::process::ExitCode;

/// Whether Lambda started this process as a function: it was started as `bootstrap` (the name
/// a custom runtime's entry point has in its zip), or with the Runtime API's address in
/// `AWS_LAMBDA_RUNTIME_API` and no arguments.
pub fn started_as_function() -> bool {
    let mut args = std::env::args_os();
    let as_bootstrap = args.next().is_some_and(|arg0| {
        Path::new(&arg0)
            .file_name()
            .is_some_and(|n| n == "bootstrap")
    });
    as_bootstrap || (std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() && args.next().is_none())
}

/// Serves invocations until Lambda stops the process.
pub fn main() -> ExitCode {
    init_logging();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(lambda_runtime::run(lambda_runtime::service_fn(
        handler::handle,
    ))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ecs-migrate: the Lambda runtime loop ended: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Plain lines on stdout (CloudWatch Logs shows colour codes as they are), at
/// `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`), INFO by default, as lambda_runtime's default
/// subscriber, but without ANSI colours.
fn init_logging() {
    use tracing_subscriber::filter::{EnvFilter, LevelFilter};
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(level.into())
                .from_env_lossy(),
        )
        .init();
}
