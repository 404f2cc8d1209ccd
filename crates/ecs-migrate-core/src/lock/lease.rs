//! [`Lease`]: the app, held by this run. Taken by [`super::acquire`]; renewed while the run
//! works ([`Lease::hold`]), checked right before RunTask ([`Lease::check`]) and let go of
//! afterwards ([`Lease::release`]).

use super::record::{family_lock_tag, read_family_lock};
use super::{LEASE, RENEW_EVERY};
use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::records::tags;
use crate::{Error, Plan, Timestamp};
use aws_sdk_ecs::Client;
use std::time::Duration;
use tokio::time::sleep;

/// This run's hold on the app: the family lock, written with this run's id.
pub(crate) struct Lease<'a> {
    ecs: &'a Client,
    plan: &'a Plan,
    progress: &'a dyn Progress,
    /// When this run took the app (what the lock and the pause records say in `since`).
    since: Timestamp,
}

impl<'a> Lease<'a> {
    /// Writes the family lock for this run (a joining run takes it over from the run it joins).
    pub(super) async fn take(
        ecs: &'a Client,
        plan: &'a Plan,
        progress: &'a dyn Progress,
    ) -> Result<Lease<'a>, Error> {
        let lease = Lease {
            ecs,
            plan,
            progress,
            since: Timestamp::now(),
        };
        lease.write(call::PATIENCE).await?;
        Ok(lease)
    }

    /// When this run took the app.
    pub(crate) fn since(&self) -> Timestamp {
        self.since
    }

    /// Writes the lock with a fresh expiry; a transient failure is retried for `patience`.
    async fn write(&self, patience: Duration) -> Result<(), Error> {
        let plan = self.plan;
        let call = self
            .ecs
            .tag_resource()
            .resource_arn(&plan.cluster)
            .tags(family_lock_tag(plan, self.since));
        call::send_within(
            self.progress,
            "TagResource",
            || format!("cluster `{}`", plan.cluster),
            patience,
            || call.clone().send(),
        )
        .await?;
        Ok(())
    }

    /// Runs `work` while this run holds the app: the lease is renewed every [`RENEW_EVERY`]
    /// until `work` is done, so that other runs know this one is alive, and know within a
    /// [`LEASE`] when it is not. A failed renewal is a warning; the next one may succeed.
    pub(crate) async fn hold<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        let renew = async {
            loop {
                sleep(RENEW_EVERY).await;
                if let Err(err) = self.write(RENEW_EVERY).await {
                    self.progress.event(Event::RenewalFailed {
                        error: &err,
                        take_over_after: LEASE,
                    });
                }
            }
        };
        tokio::select! {
            biased;
            out = work => out,
            () = renew => unreachable!("the renewal loop never ends"),
        }
    }

    /// Right before RunTask: is the app still this run's? A run whose renewals failed for a
    /// whole lease (a network partition while draining) may have been taken for dead and taken
    /// over; then it must not start a migration next to the other run's. Another run of this
    /// same migration holding it is fine: RunTask's idempotency token makes both watch one task.
    pub(crate) async fn check(&self) -> Result<(), Error> {
        let plan = self.plan;
        let holder = read_family_lock(self.ecs, &plan.cluster, &plan.family, self.progress).await?;
        match holder {
            Some(Ok(h)) if h.run_id == plan.run_id || h.migration == plan.migration => Ok(()),
            other => Err(Error::LockLost {
                cluster: plan.cluster.clone(),
                family: plan.family.clone(),
                by: other.and_then(Result::ok).map(|h| h.run_id),
            }),
        }
    }

    /// Lets go of the app if the lock is still this run's (a run whose lease lapsed may have
    /// been taken over; the lock is then the other run's). A failure is a warning: the lease
    /// lapses on its own.
    pub(crate) async fn release(&self) {
        let plan = self.plan;
        let released = async {
            match read_family_lock(self.ecs, &plan.cluster, &plan.family, self.progress).await? {
                Some(Ok(holder)) if holder.run_id == plan.run_id => {
                    release_family_lock(self.ecs, &plan.cluster, &plan.family, self.progress).await
                }
                _ => Ok(()),
            }
        };
        if let Err(err) = released.await {
            self.progress
                .event(Event::Warning(format!("could not release the lock: {err}")));
        }
    }
}

/// Removes the family lock, whoever holds it (a dead run's, taken over; `ecs-migrate unlock`).
pub(crate) async fn release_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let call = ecs
        .untag_resource()
        .resource_arn(cluster)
        .tag_keys(tags::lock_key(family));
    call::send(
        progress,
        "UntagResource",
        || format!("cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(())
}
