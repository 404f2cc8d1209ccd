//! Locks: at most one run migrates an app at a time, with no infrastructure beyond ECS.
//!
//! What holds an app:
//! - the *family lock*, a tag on the cluster: `ecs-migrate:lock:<family>` =
//!   `run=r-… since=<RFC 3339> expires=<RFC 3339|never> migration=<id>`;
//! - the *pause records* on its services (see `pause_record.rs`), which carry the same fields.
//!
//! A run that finds one held by another run:
//! - joins it when that run is migrating the same [`MigrationId`] and its task is alive (a run
//!   killed mid-migration, a re-invoked Lambda, two pipelines at once): it attaches to that task,
//!   restores the services to the *recorded* counts afterwards, and never starts a second task;
//! - takes it over when it has expired: no live task of that migration and the record is older
//!   than that run's timeout (plus a margin) — the run died; its services are restored first;
//! - otherwise waits (`--wait-for-lock`), and then sees that run's outcome or fails with
//!   [`Error::Locked`] (exit 5). `ecs-migrate unlock` clears a lock by hand.
//!
//! Tags are not compare-and-swap: two runs starting within the same instant can both see the app
//! free. Both then pause the services with the same recorded counts and send RunTask with the
//! same idempotency token (see [`MigrationId::client_token`]), so ECS starts one task, both watch
//! it, both restore to the same counts. Different migrations of the same app started within that
//! instant are not serialised; the records still restore the services correctly.

use crate::outcome_record::{self, Outcome};
use crate::progress::{Event, Progress};
use crate::{Error, LockHolder, MigrationId, Plan, ServiceTarget, Shutdown};
use aws_sdk_ecs::types::{DesiredStatus, Tag};
use aws_sdk_ecs::Client;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::time::{Duration, SystemTime};
use tokio::time::{sleep, Instant};

pub const LOCK_PREFIX: &str = "ecs-migrate:lock:";
/// How long past a run's timeout its lock still counts as held.
const EXPIRY_MARGIN: Duration = Duration::from_secs(600);
/// How often a waiting run looks again.
const WAIT_POLL: Duration = Duration::from_secs(2);

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

/// When a lock taken now by a run with `timeout` expires.
pub(crate) fn expiry(timeout: Option<Duration>) -> Option<String> {
    let at = SystemTime::now() + timeout? + EXPIRY_MARGIN;
    DateTime::from(at).fmt(Format::DateTime).ok()
}

fn is_past(expires: Option<&str>) -> bool {
    let Some(expires) = expires else {
        return false;
    };
    match DateTime::from_str(expires, Format::DateTime) {
        Ok(at) => DateTime::from(SystemTime::now()) > at,
        Err(_) => true, // unreadable: treat as expired rather than lock forever
    }
}

fn family_lock_tag(plan: &Plan, family: &str, migration: &MigrationId) -> Tag {
    Tag::builder()
        .key(format!("{LOCK_PREFIX}{family}"))
        .value(format!(
            "run={} since={} expires={} migration={migration}",
            plan.run_id,
            now(),
            expiry(plan.timeout.duration()).unwrap_or_else(|| "never".into())
        ))
        .build()
}

fn parse_family_lock(tag: &Tag, family: &str) -> Option<Holder> {
    if tag.key()? != format!("{LOCK_PREFIX}{family}") {
        return None;
    }
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
    Some(holder)
}

pub(crate) async fn read_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
) -> Result<Option<Holder>, Error> {
    let out = ecs
        .list_tags_for_resource()
        .resource_arn(cluster)
        .send()
        .await
        .map_err(|err| Error::aws("ListTagsForResource", Some(cluster), None, err))?;
    Ok(out.tags().iter().find_map(|t| parse_family_lock(t, family)))
}

pub(crate) async fn write_family_lock(
    ecs: &Client,
    plan: &Plan,
    family: &str,
    migration: &MigrationId,
) -> Result<(), Error> {
    ecs.tag_resource()
        .resource_arn(&plan.cluster)
        .tags(family_lock_tag(plan, family, migration))
        .send()
        .await
        .map_err(|err| Error::aws("TagResource", Some(&plan.cluster), None, err))?;
    Ok(())
}

pub(crate) async fn release_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
) -> Result<(), Error> {
    ecs.untag_resource()
        .resource_arn(cluster)
        .tag_keys(format!("{LOCK_PREFIX}{family}"))
        .send()
        .await
        .map_err(|err| Error::aws("UntagResource", Some(cluster), None, err))?;
    Ok(())
}

/// A live (PROVISIONING, PENDING or RUNNING) task of `migration`, found by its `startedBy`.
pub(crate) async fn live_task(
    ecs: &Client,
    cluster: &str,
    migration: &str,
) -> Result<Option<String>, Error> {
    let out = ecs
        .list_tasks()
        .cluster(cluster)
        .started_by(format!("ecs-migrate/{migration}"))
        .desired_status(DesiredStatus::Running)
        .send()
        .await
        .map_err(|err| Error::aws("ListTasks", Some(cluster), None, err))?;
    Ok(out.task_arns().first().cloned())
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
pub(crate) async fn acquire(
    clients: &crate::Clients,
    plan: &Plan,
    family: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Option<Acquired>, Error> {
    let ecs = &clients.ecs;
    let started = Instant::now();
    let mut said_waiting = false;
    loop {
        let services = match &plan.pause {
            Some(pause) => {
                let names: Vec<String> = pause.services.iter().map(|s| s.name.clone()).collect();
                crate::resolve::resolve_services(clients, &plan.cluster, &plan.cluster, &names)
                    .await?
            }
            None => Vec::new(),
        };
        let mut holders: Vec<Holder> = Vec::new();
        if let Some(lock) = read_family_lock(ecs, &plan.cluster, family).await? {
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
        if said_waiting {
            let outcome = outcome_record::read_one(ecs, &plan.task_definition, migration).await?;
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
            if let Some(task_arn) = live_task(ecs, &plan.cluster, migration.as_str()).await? {
                return Ok(Some(Acquired::Join {
                    task_arn,
                    holder: holders[0].run_id.clone(),
                    services,
                }));
            }
        }
        // Take over what dead runs left: no live task of their migration, past their expiry.
        let mut held = Vec::new();
        for holder in holders {
            let alive = live_task(ecs, &plan.cluster, &holder.migration).await?;
            if alive.is_none() && is_past(holder.expires.as_deref()) {
                progress.event(Event::Warning(format!(
                    "{} was locked by run {} since {}, which is gone (no live task, expired {}): taking over",
                    holder.what,
                    holder.run_id,
                    holder.since,
                    holder.expires.as_deref().unwrap_or("never")
                )));
                if holder.what.starts_with("task definition family") {
                    release_family_lock(ecs, &plan.cluster, family).await?;
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
            });
        }
        if !said_waiting {
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
            said_waiting = true;
        }
        tokio::select! {
            biased;
            _ = shutdown.recv_or_hand_off() => return Ok(None),
            _ = sleep(WAIT_POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_timeout_plus_a_margin_or_never() {
        assert_eq!(expiry(None), None);
        let at = expiry(Some(Duration::from_secs(3600))).unwrap();
        assert!(!is_past(Some(&at)));
        assert!(is_past(Some("2020-01-01T00:00:00Z")));
        assert!(!is_past(None), "a lock without expiry never expires by age");
    }

    #[test]
    fn a_family_lock_tag_round_trips() {
        let tag = Tag::builder()
            .key("ecs-migrate:lock:app")
            .value("run=r-1 since=2026-11-21T10:00:00Z expires=never migration=abc")
            .build();
        let holder = parse_family_lock(&tag, "app").unwrap();
        assert_eq!(
            (holder.run_id.as_str(), holder.migration.as_str()),
            ("r-1", "abc")
        );
        assert_eq!(holder.expires, None);
        assert_eq!(parse_family_lock(&tag, "other"), None);
    }
}
