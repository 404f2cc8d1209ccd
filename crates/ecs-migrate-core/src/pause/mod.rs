//! Pause the app's services around the migration, and always put them back.
//!
//! The sequence for each named service:
//! 1. record its state (desired count, auto scaling) as tags on the service — before anything
//!    changes, so even a killed process leaves the truth behind ([`PauseRecord`]);
//! 2. suspend its auto scaling and lower the target's minimum (if it has a scalable target);
//! 3. set its desired count to the paused count;
//! 4. wait until the tasks that were running are really gone (not just `runningCount`): every
//!    container of theirs STOPPED (`watch/decide_at.rs`; Fargate's teardown that follows runs no
//!    code), or, with `DecideAt::TaskStopped`, the task STOPPED.
//!
//! [`Paused::restore`] undoes it from the record: desired count back (the recorded one, or
//! `--desired-count`), auto scaling back exactly, then the record removed. It runs on every exit
//! path of [`crate::migration::run`]. A record found at the start of a run (a run that died)
//! is restored first, to the *recorded* count, never to the paused count the service shows now.

pub(crate) mod autoscaling;
mod drain;
pub(crate) mod restore;

use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::records::pause_record::{AutoScalingState, PauseRecord};
use crate::{Clients, DecideAt, Error, MigrationId, RunId, Shutdown, Timestamp};
use drain::service_tasks;
use restore::{restore_one, Restore};
use serde::Serialize;
use std::time::Duration;
use tokio::time::Instant;

/// How often the drain is checked (one ListTasks + one DescribeTasks per service).
const DRAIN_POLL: Duration = Duration::from_secs(1);

/// A service named with `--service`, as resolution found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceTarget {
    pub name: String,
    pub arn: String,
    /// The desired count it has now.
    pub desired_count: i32,
    /// Its scalable target's state now, if it has one.
    pub autoscaling: Option<AutoScalingState>,
    /// A pause record left by a run that did not finish: restored before this run pauses again.
    pub leftover: Option<PauseRecord>,
    /// The keys of the tags it carries (the tag limits' count).
    #[serde(skip)]
    pub tag_keys: Vec<String>,
}

impl ServiceTarget {
    /// The state to restore: the leftover record's if there is one, else what it has now.
    pub(crate) fn before(&self) -> (i32, Option<AutoScalingState>) {
        match &self.leftover {
            Some(record) => (record.desired_count, record.autoscaling),
            None => (self.desired_count, self.autoscaling),
        }
    }
}

/// What the run will do to the services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PausePlan {
    pub services: Vec<ServiceTarget>,
    /// The desired count while paused (`--min-capacity`).
    pub min_capacity: i32,
    /// Forces the count they come back at (`--desired-count`); default: each one's own.
    pub restore_to: Option<i32>,
    pub keep_paused_on_failure: bool,
}

/// What happened to one service, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub desired_before: i32,
    pub desired_during: i32,
    /// `null` when it was left paused (`--keep-paused-on-failure`) or could not be restored.
    pub desired_after: Option<i32>,
    pub autoscaling_suspended: bool,
    pub autoscaling_restored: bool,
    pub restored: bool,
    /// The run id of a run that had left it paused and whose record this run restored first.
    pub recovered_from: Option<RunId>,
}

/// One service in the pause.
#[derive(Debug)]
pub(super) struct Entry {
    target: ServiceTarget,
    record: PauseRecord,
    record_written: bool,
    autoscaling_suspended: bool,
    scaled_down: bool,
    /// Tasks running when it was paused: the drain waits for these.
    tasks: Vec<String>,
}

/// How the wait for the drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drain {
    Done,
    TimedOut,
    Interrupted,
}

pub(crate) struct Paused<'a> {
    clients: &'a Clients,
    cluster: &'a str,
    plan: Option<&'a PausePlan>,
    entries: Vec<Entry>,
    /// Joining a live run of the same migration: its records stand; nothing to recover.
    joined: bool,
    decide_at: DecideAt,
    progress: &'a dyn Progress,
}

/// Who else's records the services carry, as the lock decided.
pub(crate) struct PauseContext<'a> {
    pub run_id: &'a RunId,
    pub paused_at: Timestamp,
    pub migration: &'a MigrationId,
    pub expires: Option<Timestamp>,
    /// The services as found just now (their records are dead runs' or, when `joined`, the
    /// live run's that this run joins).
    pub services: Vec<ServiceTarget>,
    pub joined: bool,
    /// When an old task counts as gone.
    pub decide_at: DecideAt,
}

impl<'a> Paused<'a> {
    pub(crate) fn new(
        clients: &'a Clients,
        cluster: &'a str,
        plan: Option<&'a PausePlan>,
        context: PauseContext<'_>,
        progress: &'a dyn Progress,
    ) -> Paused<'a> {
        let (joined, decide_at) = (context.joined, context.decide_at);
        let entries = context
            .services
            .into_iter()
            .map(|target| {
                let (desired_count, autoscaling) = target.before();
                let record = match (&target.leftover, joined) {
                    (Some(theirs), true) => theirs.clone(),
                    _ => PauseRecord {
                        run_id: context.run_id.clone(),
                        paused_at: context.paused_at,
                        desired_count,
                        autoscaling,
                        migration: context.migration.clone(),
                        expires: context.expires,
                    },
                };
                Entry {
                    record_written: joined && target.leftover.is_some(),
                    target,
                    record,
                    autoscaling_suspended: false,
                    scaled_down: false,
                    tasks: Vec::new(),
                }
            })
            .collect();
        Paused {
            clients,
            cluster,
            plan,
            entries,
            joined,
            decide_at,
            progress,
        }
    }

    /// Services a dead run left paused go back to their recorded state first.
    pub(crate) async fn recover_leftovers(&mut self) -> Result<(), Error> {
        if self.joined {
            return Ok(());
        }
        for entry in &self.entries {
            let Some(record) = &entry.target.leftover else {
                continue;
            };
            self.progress.event(Event::LeftoverFound {
                service: &entry.target.name,
                run_id: &record.run_id,
                paused_at: record.paused_at,
                desired_count: record.desired_count,
                now: entry.target.desired_count,
            });
            let service = Restore {
                name: &entry.target.name,
                arn: &entry.target.arn,
                record,
                desired_count: record.desired_count,
            };
            restore_one(self.clients, self.cluster, service, self.progress).await?;
        }
        Ok(())
    }

    /// Phases 1–4 of the pause. On an error, what was already done stays recorded in `self` so
    /// that [`Paused::restore`] can undo it.
    pub(crate) async fn pause(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
    ) -> Result<Drain, Error> {
        let Some(plan) = self.plan else {
            return Ok(Drain::Done);
        };
        let ecs = &self.clients.ecs;
        // 1. record every service's state before changing any of them (a joined run's records
        //    stand as they are).
        for entry in &mut self.entries {
            if entry.record_written {
                continue;
            }
            let call = ecs
                .tag_resource()
                .resource_arn(&entry.target.arn)
                .set_tags(Some(entry.record.to_tags()));
            call::send(
                self.progress,
                "TagResource",
                || format!("service `{}`", entry.target.name),
                || call.clone().send(),
            )
            .await?;
            entry.record_written = true;
        }
        for entry in &mut self.entries {
            entry.tasks = service_tasks(
                self.clients,
                self.cluster,
                &entry.target.name,
                self.progress,
            )
            .await?;
            // 2. auto scaling off, so it cannot scale the service back up.
            if let Some(before) = entry.record.autoscaling {
                let id = autoscaling::resource_id(self.cluster, &entry.target.name);
                entry.autoscaling_suspended = true;
                // Suspending again what a joined run suspended is harmless: the bounds come
                // from the recorded state, never from the paused one.
                autoscaling::register(
                    &self.clients.autoscaling,
                    &id,
                    autoscaling::paused(before, plan.min_capacity),
                    self.progress,
                )
                .await?;
            }
            // 3. scale down.
            entry.scaled_down = true;
            let call = ecs
                .update_service()
                .cluster(self.cluster)
                .service(&entry.target.name)
                .desired_count(plan.min_capacity);
            call::send(
                self.progress,
                "UpdateService",
                || format!("service `{}`", entry.target.name),
                || call.clone().send(),
            )
            .await?;
            self.progress.event(Event::ServicePaused {
                service: &entry.target.name,
                from: entry.record.desired_count,
                to: plan.min_capacity,
            });
        }
        // 4. wait until the old tasks have really stopped (`drain.rs`).
        self.drain(plan.min_capacity, deadline, shutdown).await
    }

    /// Whether any service was touched (its record written): only then is there anything to
    /// restore, or to guard.
    pub(crate) fn touched(&self) -> bool {
        self.entries.iter().any(|e| e.record_written)
    }
}
