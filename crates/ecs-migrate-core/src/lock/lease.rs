//! Holding the app: the lease written and renewed while a run works, checked right before
//! RunTask, and let go of afterwards.

use super::record::{family_lock_tag, read_family_lock};
use super::{LEASE, LOCK_PREFIX, RENEW_EVERY};
use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::{Error, Plan};
use aws_sdk_ecs::Client;
use std::time::Duration;
use tokio::time::sleep;

/// Takes (or renews) the family lock for this run, held since `since`; a transient failure is
/// retried for `patience`.
pub(crate) async fn write_family_lock(
    ecs: &Client,
    plan: &Plan,
    since: &str,
    patience: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let call = ecs
        .tag_resource()
        .resource_arn(&plan.cluster)
        .tags(family_lock_tag(plan, &plan.family, &plan.migration, since));
    call::send_within(
        progress,
        "TagResource",
        || format!("cluster `{}`", plan.cluster),
        patience,
        || call.clone().send(),
    )
    .await?;
    Ok(())
}

/// Runs `work` while this run holds the app: the lock's lease is renewed every
/// [`RENEW_EVERY`] until `work` is done, so that other runs know this one is alive, and know
/// within a [`LEASE`] when it is not. A failed renewal is a warning; the next one may succeed.
pub(crate) async fn holding<T>(
    ecs: &Client,
    plan: &Plan,
    since: &str,
    progress: &dyn Progress,
    work: impl std::future::Future<Output = T>,
) -> T {
    let renew = async {
        loop {
            sleep(RENEW_EVERY).await;
            if let Err(err) = write_family_lock(ecs, plan, since, RENEW_EVERY, progress).await {
                progress.event(Event::Warning(format!(
                    "could not renew the lock (other runs take over {}s after the last renewal): {err}",
                    LEASE.as_secs()
                )));
            }
        }
    };
    tokio::select! {
        biased;
        out = work => out,
        () = renew => unreachable!("the renewal loop never ends"),
    }
}

pub(crate) async fn release_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let call = ecs
        .untag_resource()
        .resource_arn(cluster)
        .tag_keys(format!("{LOCK_PREFIX}{family}"));
    call::send(
        progress,
        "UntagResource",
        || format!("cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(())
}

/// Lets go of the family lock if it is still this run's (a run whose lease lapsed may have
/// been taken over; the lock is then the other run's).
pub(crate) async fn release_if_held(
    ecs: &Client,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<(), Error> {
    match read_family_lock(ecs, &plan.cluster, &plan.family, progress).await? {
        Some(holder) if holder.run_id == plan.run_id => {
            release_family_lock(ecs, &plan.cluster, &plan.family, progress).await
        }
        _ => Ok(()),
    }
}

/// Right before RunTask: is the app still this run's? A run whose renewals failed for a whole
/// lease (a network partition while draining) may have been taken for dead and taken over;
/// then it must not start a migration next to the other run's. Another run of this same
/// migration holding it is fine: RunTask's idempotency token makes both watch one task.
pub(crate) async fn ensure_held(
    ecs: &Client,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let holder = read_family_lock(ecs, &plan.cluster, &plan.family, progress).await?;
    match holder {
        Some(h) if h.run_id == plan.run_id || h.migration == plan.migration.as_str() => Ok(()),
        other => Err(Error::LockLost {
            cluster: plan.cluster.clone(),
            family: plan.family.clone(),
            by: other.map(|h| h.run_id),
        }),
    }
}
