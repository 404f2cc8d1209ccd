//! One call to AWS, as every phase makes it: retried while it fails transiently, and, when it
//! fails for good, one [`Error::Aws`] line (the operation, the resource, AWS's code and message,
//! what to do).
//!
//! Two layers of retries:
//! - the SDK's own (`aws/mod.rs`: standard mode, [`crate::aws::MAX_ATTEMPTS`] attempts with jittered
//!   backoff), for the common blip;
//! - this one on top, for throttling, 5xx and network faults that outlast the SDK's attempts
//!   (a throttling storm in a busy account, the SDK's retry quota spent): the call is sent
//!   again after [`crate::watch::next_backoff`] (2 s doubling to 30 s) for up to [`PATIENCE`].
//!   Only then, or at once for a permanent error (access denied, not found, invalid), does it
//!   end the phase — whose caller still restores the services.
//!
//! Resending is safe for every call the core makes: reads, tags and `UpdateService` are
//! idempotent by value, and RunTask carries its `clientToken` with an identical request.
//!
//! The SDK error's `Debug` form (headers, raw body) goes to `tracing` at debug level only
//! (`ECS_MIGRATE_LOG=debug`), never into a message.

use crate::error::{classify, Retry};
use crate::progress::{Event, Progress};
use crate::watch::next_backoff;
use crate::Error;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use std::future::Future;
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// How long a throttled or 5xx-failing call is retried on top of the SDK's own attempts.
pub(crate) const PATIENCE: Duration = Duration::from_secs(600);
/// How long a call that cannot reach AWS at all (connection refused, timed out) is retried: a
/// wrong endpoint should not look like a hang.
pub(crate) const NETWORK_PATIENCE: Duration = Duration::from_secs(120);

/// Sends `call()` until it succeeds, fails permanently, or has failed transiently for
/// [`PATIENCE`]. `resource` names what it was about, for the message (`cluster `prod``).
pub(crate) async fn send<T, E, R, F, Fut>(
    progress: &dyn Progress,
    operation: &'static str,
    resource: impl FnOnce() -> String,
    call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    send_within(progress, operation, resource, PATIENCE, call).await
}

/// [`send`] with another patience (zero: the SDK's attempts only).
pub(crate) async fn send_within<T, E, R, F, Fut>(
    progress: &dyn Progress,
    operation: &'static str,
    resource: impl FnOnce() -> String,
    patience: Duration,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let started = Instant::now();
    let mut delay = Duration::ZERO;
    loop {
        let err = match call().await {
            Ok(out) => return Ok(out),
            Err(err) => err,
        };
        let transient = classify(&err) == Retry::Transient;
        let patience = match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                patience.min(NETWORK_PATIENCE)
            }
            _ => patience,
        };
        let next = next_backoff(delay);
        if !transient || started.elapsed() + next > patience {
            let retried_for = transient.then(|| started.elapsed());
            return Err(Error::aws(operation, Some(resource()), err).retried_for(retried_for));
        }
        delay = next;
        progress.event(Event::Retrying {
            operation,
            message: crate::error::one_line(&err),
            retry_in: delay,
        });
        sleep(delay).await;
    }
}

/// ListTagsForResource: the one read of the records ecs-migrate keeps as tags (the lock on the
/// cluster, pause records on services, outcomes on revisions).
pub(crate) async fn list_tags(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
    resource: impl FnOnce() -> String,
    progress: &dyn Progress,
) -> Result<Vec<aws_sdk_ecs::types::Tag>, Error> {
    let call = ecs.list_tags_for_resource().resource_arn(arn);
    let out = send(progress, "ListTagsForResource", resource, || {
        call.clone().send()
    })
    .await?;
    Ok(out.tags().to_vec())
}
