//! `bootstrap`: ecs-migrate as an AWS Lambda function (runtime `provided.al2023`).
//!
//! The edge only: the Runtime API loop (lambda_runtime) hands each invocation to
//! [`handler::handle`], which turns the payload into a request, calls the core, and turns the
//! result into a response or a typed error. See `payload.rs` for the payload, `failure.rs` for
//! the `errorType`s.

mod failure;
mod handler;
mod log;
mod payload;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(lambda_runtime::service_fn(handler::handle)).await
}
