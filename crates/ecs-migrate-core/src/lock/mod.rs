//! Locks: at most one run migrates an app at a time, with no infrastructure beyond ECS.
//!
//! What holds an app:
//! - the *family lock*, a tag on the cluster: `ecs-migrate:lock:<family>` =
//!   `run=r-… since=<RFC 3339> expires=<RFC 3339> migration=<id>`, a *lease*: the run holding it
//!   renews `expires` every [`RENEW_EVERY`] (30 s) to [`LEASE`] (2 min) ahead, from the moment it
//!   takes the app until it has restored the services and recorded the outcome (see
//!   [`holding`]); others allow [`CLOCK_SKEW`] (1 min) between the machines' clocks;
//! - the *pause records* on its services (see `pause_record.rs`), which name the run.
//!
//! A run is alive while its lease is renewed or a task of its migration is live. A run that
//! finds the app held by another run:
//! - joins it when that run is migrating the same [`MigrationId`] and its task is alive (a run
//!   killed mid-migration, a re-invoked Lambda, two pipelines at once): it attaches to that task,
//!   restores the services to the *recorded* counts afterwards, and never starts a second task;
//! - takes it over when that run is gone: no live task of its migration and no lease of its run
//!   renewed in the last [`LEASE`] + [`CLOCK_SKEW`] (killed with -9 while draining, a CI runner lost after its
//!   task stopped, a Lambda handed off and never re-invoked, `--keep-paused-on-failure`); the
//!   services it left paused are restored to their recorded counts first. `--timeout 0` changes
//!   nothing here: a dead run is detected by its lease, not by its timeout;
//! - otherwise waits (`--wait-for-lock`, default 5 min: longer than a lease), and then sees that
//!   run's outcome or fails with [`Error::Locked`] (exit 5). `ecs-migrate unlock` clears a lock
//!   by hand.
//!
//! A run that was taken for dead (its renewals failed for a whole lease) finds out before it
//! starts a task ([`ensure_held`]: [`Error::LockLost`]), restores only the services whose
//! pause record is still its own, and releases the lock only if it still names it.
//!
//! Tags are not compare-and-swap: two runs starting within the same instant can both see the app
//! free. Both then pause the services with the same recorded counts and send RunTask with the
//! same idempotency token (see [`MigrationId::client_token`]), so ECS starts one task, both watch
//! it, both restore to the same counts. Different migrations of the same app started within that
//! instant are not serialised; the records still restore the services correctly.

use crate::aws::call;
use crate::launch::live_tasks::live_task;
use crate::progress::{Event, Progress};
use crate::records::outcome_record::{self, Outcome};
use crate::{Error, LockHolder, MigrationId, Plan, ServiceTarget, Shutdown};
use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::time::{Duration, SystemTime};
use tokio::time::{sleep, Instant};

pub const LOCK_PREFIX: &str = "ecs-migrate:lock:";
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
    pub run_id: String,
    pub since: String,
    pub expires: Option<String>,
    pub migration: String,
    /// `task definition family app` or `service web`.
    pub what: String,
}

/// Now, RFC 3339 to the second (what the records and the history show).
pub(crate) fn now() -> String {
    DateTime::from_secs(DateTime::from(SystemTime::now()).secs())
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// `duration` from now, RFC 3339 to the second.
fn from_now(duration: Duration) -> String {
    let at = DateTime::from(SystemTime::now() + duration);
    DateTime::from_secs(at.secs() + 1)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// What a pause record written now by a run with `timeout` says in `ecs-migrate:expires`.
pub(crate) fn record_expiry(timeout: Option<Duration>) -> Option<String> {
    Some(from_now(timeout? + RECORD_MARGIN))
}

/// Whether a lease that runs until `expires` is still held. No expiry (`never`, written by
/// earlier versions) or an unreadable one is not a lease.
fn is_live(expires: Option<&str>) -> bool {
    let lapsed_by = DateTime::from(SystemTime::now() - CLOCK_SKEW);
    expires
        .and_then(|expires| DateTime::from_str(expires, Format::DateTime).ok())
        .is_some_and(|at| lapsed_by <= at)
}

fn family_lock_tag(plan: &Plan, family: &str, migration: &MigrationId, since: &str) -> Tag {
    Tag::builder()
        .key(format!("{LOCK_PREFIX}{family}"))
        .value(format!(
            "run={} since={since} expires={} migration={migration}",
            plan.run_id,
            from_now(LEASE)
        ))
        .build()
}

/// Every family lock on the cluster, as (family, holder).
fn parse_lock(tag: &Tag) -> Option<(String, Holder)> {
    let family = tag.key()?.strip_prefix(LOCK_PREFIX)?;
    let mut holder = Holder {
        run_id: String::new(),
        since: String::new(),
        expires: None,
        migration: String::new(),
        what: format!("task definition family {family}"),
    };
    for part in tag.value()?.split_whitespace() {
        let (key, value) = part.split_once('=')?;
        match key {
            "run" => holder.run_id = value.to_owned(),
            "since" => holder.since = value.to_owned(),
            "expires" => holder.expires = (value != "never").then(|| value.to_owned()),
            "migration" => holder.migration = value.to_owned(),
            _ => {}
        }
    }
    Some((family.to_owned(), holder))
}

/// Every family lock on the cluster.
async fn read_locks(
    ecs: &Client,
    cluster: &str,
    progress: &dyn Progress,
) -> Result<Vec<(String, Holder)>, Error> {
    let tags = call::list_tags(ecs, cluster, || format!("cluster `{cluster}`"), progress).await?;
    Ok(tags.iter().filter_map(parse_lock).collect())
}

pub(crate) async fn read_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
    progress: &dyn Progress,
) -> Result<Option<Holder>, Error> {
    let locks = read_locks(ecs, cluster, progress).await?;
    Ok(locks.into_iter().find(|(f, _)| f == family).map(|(_, h)| h))
}

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

/// The command that clears this app's lock and restores its services by hand.
fn unlock_command(plan: &Plan) -> String {
    let cluster = plan.cluster.rsplit('/').next().unwrap_or(&plan.cluster);
    let mut command = format!(
        "ecs-migrate unlock --cluster {cluster} --task-definition {}",
        plan.family
    );
    for service in plan.pause.iter().flat_map(|p| &p.services) {
        command.push_str(&format!(" --service {}", service.name));
    }
    command
}

/// What the run may do once the app is free for it.
#[derive(Debug)]
pub(crate) enum Acquired {
    /// Nobody else holds it. Pause records on `services` are from dead runs: recover them.
    Free { services: Vec<ServiceTarget> },
    /// A run of this same migration holds it and its task is alive: attach to `task_arn`; the
    /// records on `services` are that run's, to restore from.
    Join {
        task_arn: String,
        holder: String,
        services: Vec<ServiceTarget>,
    },
    /// Another run recorded an outcome of this migration while we waited.
    Finished(Outcome),
}

/// Waits until the app is free for this run (or joinable, or finished by another run).
/// Throttling and network faults that outlast the SDK's retries are waited out, within
/// `--wait-for-lock`.
pub(crate) async fn acquire(
    clients: &crate::Clients,
    plan: &Plan,
    family: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Option<Acquired>, Error> {
    let started = Instant::now();
    let mut said_waiting = false;
    let mut settled = false;
    loop {
        let look = look(
            clients,
            plan,
            family,
            migration,
            progress,
            started,
            &mut said_waiting,
        );
        match look.await {
            // The run we waited for has just put the services back: DescribeServices may still
            // show the paused count for a moment (eventual consistency), and this run would
            // record it as the "before" count. Look again once that moment has passed.
            Ok(Some(Acquired::Free { .. })) if said_waiting && !settled => {
                settled = true;
                tokio::select! {
                    biased;
                    _ = shutdown.recv_or_hand_off() => return Ok(None),
                    _ = sleep(CONSISTENCY_DELAY) => {}
                }
                continue;
            }
            Ok(Some(acquired)) => return Ok(Some(acquired)),
            Ok(None) => {}
            Err(err) if err.is_transient() && started.elapsed() < plan.wait_for_lock => {
                progress.event(Event::Retrying {
                    operation: "reading the lock",
                    message: err.to_string(),
                    retry_in: WAIT_POLL,
                });
            }
            Err(err) => return Err(err),
        }
        tokio::select! {
            biased;
            _ = shutdown.recv_or_hand_off() => return Ok(None),
            _ = sleep(WAIT_POLL) => {}
        }
    }
}

/// One look at who holds the app: what this run may do now, or `None` to look again later.
async fn look(
    clients: &crate::Clients,
    plan: &Plan,
    family: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
    started: Instant,
    said_waiting: &mut bool,
) -> Result<Option<Acquired>, Error> {
    let ecs = &clients.ecs;
    let services = match &plan.pause {
        Some(pause) => {
            let names: Vec<String> = pause.services.iter().map(|s| s.name.clone()).collect();
            crate::resolve::services::resolve_services(
                clients,
                &plan.cluster,
                &plan.cluster,
                &names,
            )
            .await?
        }
        None => Vec::new(),
    };
    let locks = read_locks(ecs, &plan.cluster, progress).await?;
    // Runs whose lease is held: alive, whatever their task does.
    let leased: Vec<String> = locks
        .iter()
        .filter(|(_, h)| is_live(h.expires.as_deref()))
        .map(|(_, h)| h.run_id.clone())
        .collect();
    let mut holders: Vec<Holder> = Vec::new();
    if let Some((_, lock)) = locks.into_iter().find(|(f, _)| f == family) {
        holders.push(lock);
    }
    for service in &services {
        if let Some(record) = &service.leftover {
            holders.push(Holder {
                run_id: record.run_id.clone(),
                since: record.paused_at.clone(),
                expires: record.expires.clone(),
                migration: record.migration.clone(),
                what: format!("service {}", service.name),
            });
        }
    }
    holders.retain(|h| h.run_id != plan.run_id);

    // Another run finished this migration while we waited: its outcome is ours to report.
    if *said_waiting {
        let outcome =
            outcome_record::read_one(clients, &plan.task_definition, migration, progress).await?;
        if let Some(outcome) = outcome {
            if plan.previous.as_ref().map(Outcome::value) != Some(outcome.value()) {
                return Ok(Some(Acquired::Finished(outcome)));
            }
        }
    }
    if holders.is_empty() {
        return Ok(Some(Acquired::Free { services }));
    }
    // Join a live run of this same migration.
    if holders.iter().all(|h| h.migration == migration.as_str()) {
        if let Some(task_arn) = live_task(ecs, &plan.cluster, migration.as_str(), progress).await? {
            return Ok(Some(Acquired::Join {
                task_arn,
                holder: holders[0].run_id.clone(),
                services,
            }));
        }
    }
    // Take over what dead runs left: no live task of their migration, no lease renewed.
    let mut held = Vec::new();
    for holder in holders {
        let alive = live_task(ecs, &plan.cluster, &holder.migration, progress).await?;
        if alive.is_none() && !leased.contains(&holder.run_id) {
            progress.event(Event::Warning(format!(
                "{} was locked by run {} since {}, which is gone (no live task, its lock not renewed for {}s): taking over",
                holder.what,
                holder.run_id,
                holder.since,
                (LEASE + CLOCK_SKEW).as_secs()
            )));
            if holder.what.starts_with("task definition family") {
                release_family_lock(ecs, &plan.cluster, family, progress).await?;
            }
        } else {
            held.push((holder, alive));
        }
    }
    let Some((holder, task)) = held.into_iter().next() else {
        return Ok(Some(Acquired::Free { services }));
    };
    if started.elapsed() >= plan.wait_for_lock {
        return Err(Error::Locked {
            cluster: plan.cluster.clone(),
            what: holder.what,
            by: Box::new(LockHolder {
                run_id: holder.run_id,
                since: holder.since,
                task,
            }),
            waited: plan.wait_for_lock.as_secs(),
            unlock: unlock_command(plan),
        });
    }
    if !*said_waiting {
        progress.event(Event::Warning(format!(
            "{} is locked by run {} since {}{}; waiting up to {}s for it",
            holder.what,
            holder.run_id,
            holder.since,
            task.as_deref()
                .map(|t| format!(" (task {t})"))
                .unwrap_or_default(),
            plan.wait_for_lock.as_secs()
        )));
        *said_waiting = true;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_live_until_it_runs_out_and_never_without_an_expiry() {
        assert!(is_live(Some(&from_now(LEASE))));
        assert!(!is_live(Some("2020-01-01T00:00:00Z")));
        // Another machine's clock may be a little behind: just past is still live.
        let just_past = DateTime::from(SystemTime::now() - Duration::from_secs(30))
            .fmt(Format::DateTime)
            .unwrap();
        assert!(is_live(Some(&just_past)));
        assert!(!is_live(None), "`never` (earlier versions) is no lease");
        assert!(!is_live(Some("soon")), "an unreadable expiry is no lease");
        assert_eq!(record_expiry(None), None);
        assert!(record_expiry(Some(Duration::from_secs(60))).is_some());
    }

    #[test]
    fn a_family_lock_tag_round_trips() {
        let tag = Tag::builder()
            .key("ecs-migrate:lock:app")
            .value("run=r-1 since=2026-11-21T10:00:00Z expires=never migration=abc")
            .build();
        let (family, holder) = parse_lock(&tag).unwrap();
        assert_eq!(
            (
                family.as_str(),
                holder.run_id.as_str(),
                holder.migration.as_str()
            ),
            ("app", "r-1", "abc")
        );
        assert_eq!(holder.expires, None);
        let other = Tag::builder().key("team").value("payments").build();
        assert_eq!(parse_lock(&other), None);
    }
}
