//! Locks: at most one run migrates an app at a time.
//!
//! What holds an app:
//! - the *family lock*, kept by a [`Store`]: by default a tag on the cluster,
//!   `ecs-migrate:lock:<family>` = `run=r-… since=<RFC 3339> expires=<RFC 3339> migration=<id>`
//!   (no infrastructure beyond ECS); with `s3://BUCKET/PREFIX` the object
//!   `PREFIX/<cluster>/<family>.json` holding the same, written with conditional requests
//!   (`s3_store.rs`). Either way it is a *lease*: the run holding it
//!   renews `expires` every [`RENEW_EVERY`] (30 s) to [`LEASE`] (2 min) ahead, from the moment it
//!   takes the app until it has restored the services and recorded the outcome (see
//!   [`Lease::hold`]); others allow [`CLOCK_SKEW`] (1 min) between the machines' clocks;
//! - the *pause records* on its services (see `records/pause_record.rs`), which name the run.
//!
//! A run is alive while its lease is renewed or a task of its migration is live. A run that
//! finds the app held by another run:
//! - joins it when that run is migrating the same [`crate::MigrationId`] and its task is alive (a run
//!   killed mid-migration, a re-invoked Lambda, two pipelines at once): it attaches to that task,
//!   restores the services to the *recorded* counts afterwards, and never starts a second task;
//!   and likewise when that run's task has ended by itself with no outcome recorded (a Lambda
//!   that handed off, its migration over before the next invocation): the task carrying a
//!   holder's run id (`ecs-migrate:run`), not the last recorded outcome's; its exit is the
//!   verdict, at once, not after the dead run's lease;
//! - takes it over when that run is gone: no live task of its migration and no lease of its run
//!   renewed in the last [`LEASE`] + [`CLOCK_SKEW`] (killed with -9 while draining, a CI runner lost after its
//!   task stopped, a Lambda handed off and never re-invoked, `--keep-paused-on-failure`); the
//!   services it left paused are restored to their recorded counts first. `--timeout 0` changes
//!   nothing here: a dead run is detected by its lease, not by its timeout;
//! - otherwise waits (`--wait-for-lock`, default 5 min: longer than a lease), and then sees that
//!   run's outcome or fails with [`crate::Error::Locked`] (exit 5). `ecs-migrate unlock` clears a lock
//!   by hand.
//!
//! A run that was taken for dead (its renewals failed for a whole lease) finds out before it
//! starts a task ([`Lease::check`]: [`crate::Error::LockLost`]), restores only the services whose
//! pause record is still its own, and releases the lock only if it still names it.
//!
//! With the S3 store exactly one of any number of racing runs takes the lock: the others' writes
//! fail their condition, and they look again as runs that found the app held.
//!
//! Tags are not compare-and-swap: two runs starting within the same instant can both see the app
//! free. Both then pause the services with the same recorded counts and send RunTask with the
//! same idempotency token (see [`crate::MigrationId::client_token`]), so ECS starts one task, both watch
//! it, both restore to the same counts. Different migrations of the same app started within that
//! instant are not serialised with the tag store (use the S3 store for that); the records still
//! restore the services correctly.

mod acquire;
mod decide;
mod lease;
mod record;
mod s3_store;
mod store;

pub(crate) use acquire::{acquire, Acquired};
pub(crate) use lease::Lease;
pub(crate) use record::record_expiry;
pub(crate) use store::{Found, Store};

use crate::{MigrationId, RunId, Timestamp};
use std::time::Duration;

/// How long a lock counts as held after its last renewal.
pub(crate) const LEASE: Duration = Duration::from_secs(120);
/// How often the run holding a lock renews it (three renewals may fail in a row).
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(30);
/// How far the clocks of two machines running ecs-migrate may disagree: a lease counts as
/// lapsed only this long after the `expires` its holder wrote with its own clock.
const CLOCK_SKEW: Duration = Duration::from_secs(60);
/// How long past a run's timeout its pause records may still be its own (what they say in
/// `ecs-migrate:expires`, for people; liveness is the lease's and the task's).
const RECORD_MARGIN: Duration = Duration::from_secs(600);
/// How often a waiting run looks again.
const WAIT_POLL: Duration = Duration::from_secs(2);
/// How long after another run let go of the app its services' desired counts are read again
/// (DescribeServices is eventually consistent after UpdateService).
const CONSISTENCY_DELAY: Duration = Duration::from_secs(5);

/// Who holds (part of) the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub run_id: RunId,
    pub since: Timestamp,
    pub expires: Option<Timestamp>,
    pub migration: MigrationId,
    pub what: Held,
}

/// What a [`Holder`] holds: the family lock, or one service by its pause record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Held {
    Family(String),
    Service(String),
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Held::Family(family) => write!(f, "task definition family {family}"),
            Held::Service(service) => write!(f, "service {service}"),
        }
    }
}
