//! [`Lease`]: the app, held by this run. Taken by [`super::acquire`]; renewed while the run
//! works ([`Lease::hold`]), checked right before RunTask ([`Lease::check`]) and let go of
//! afterwards ([`Lease::release`]). The same rules for both stores (`store.rs`).

use super::store::{Claim, Found, Put, Store, Version};
use super::{LEASE, RENEW_EVERY};
use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::{Error, Plan, Timestamp};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::sleep;

/// This run's hold on the app: the family lock, written with this run's id.
pub(crate) struct Lease<'a> {
    store: Store<'a>,
    plan: &'a Plan,
    progress: &'a dyn Progress,
    /// When this run took the app (what the lock and the pause records say in `since`).
    since: Timestamp,
    /// The lock as this run last wrote it (its ETag, for the S3 store).
    version: Mutex<Version>,
    /// Writes so far, for each write's nonce.
    writes: AtomicU32,
}

impl<'a> Lease<'a> {
    /// Writes the family lock for this run if it is still as last seen (`expected`; `None`:
    /// there was none). A joining run takes it over from the run it joins; a run taking over a
    /// dead run's lock replaces it. `None`: another run wrote it first (S3 store only) — look
    /// again.
    pub(super) async fn take(
        store: Store<'a>,
        plan: &'a Plan,
        progress: &'a dyn Progress,
        expected: Option<Version>,
    ) -> Result<Option<Lease<'a>>, Error> {
        let since = Timestamp::now();
        let claim = Claim::new(plan, since, 0);
        let version = match store
            .put(&claim, expected.as_ref(), call::PATIENCE, progress)
            .await?
        {
            Put::Written(version) => version,
            Put::Conflict => return Ok(None),
        };
        Ok(Some(Lease {
            store,
            plan,
            progress,
            since,
            version: Mutex::new(version),
            writes: AtomicU32::new(1),
        }))
    }

    /// When this run took the app.
    pub(crate) fn since(&self) -> Timestamp {
        self.since
    }

    /// What the next write of this lease holds.
    fn claim(&self) -> Claim<'a> {
        let n = self.writes.fetch_add(1, Ordering::Relaxed);
        Claim::new(self.plan, self.since, n)
    }

    /// Writes the lock with a fresh expiry, on the version this run last wrote; a transient
    /// failure is retried for `patience`. If a run of this same migration joined and wrote it
    /// since, it is written again on that run's version: both keep the lease alive, as both
    /// watch the one task. Any other writer has taken the app: [`Error::LockLost`].
    async fn renew(&self, patience: Duration) -> Result<(), Error> {
        let expected = self.version.lock().unwrap().clone();
        let claim = self.claim();
        let progress = self.progress;
        if let Put::Written(version) = self
            .store
            .put(&claim, Some(&expected), patience, progress)
            .await?
        {
            *self.version.lock().unwrap() = version;
            return Ok(());
        }
        let found = self.store.read(progress).await?;
        if let Some(Found {
            holder: Ok(holder),
            version,
        }) = &found
        {
            if holder.migration == self.plan.migration {
                let claim = self.claim();
                if let Put::Written(version) = self
                    .store
                    .put(&claim, Some(version), patience, progress)
                    .await?
                {
                    *self.version.lock().unwrap() = version;
                    return Ok(());
                }
            }
        }
        Err(self.lost(found))
    }

    fn lost(&self, found: Option<Found>) -> Error {
        Error::LockLost {
            cluster: self.plan.cluster.clone(),
            family: self.plan.family.clone(),
            by: found.and_then(|f| f.holder.ok()).map(|h| h.run_id),
        }
    }

    /// Runs `work` while this run holds the app: the lease is renewed every [`RENEW_EVERY`]
    /// until `work` is done, so that other runs know this one is alive, and know within a
    /// [`LEASE`] when it is not. A failed renewal is a warning; the next one may succeed.
    pub(crate) async fn hold<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        let renew = async {
            loop {
                sleep(RENEW_EVERY).await;
                if let Err(err) = self.renew(RENEW_EVERY).await {
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
        let found = self.store.read(self.progress).await?;
        match found.as_ref().map(|f| &f.holder) {
            Some(Ok(h)) if h.run_id == plan.run_id || h.migration == plan.migration => Ok(()),
            _ => Err(self.lost(found)),
        }
    }

    /// Lets go of the app if the lock is still this run's (a run whose lease lapsed may have
    /// been taken over; the lock is then the other run's): see [`Store::release`].
    /// A failure is a warning: the lease lapses on its own.
    pub(crate) async fn release(&self) {
        let mine = self.version.lock().unwrap().clone();
        let released = self
            .store
            .release(&self.plan.run_id, &mine, self.progress)
            .await;
        if let Err(err) = released {
            self.progress
                .event(Event::Warning(format!("could not release the lock: {err}")));
        }
    }
}
