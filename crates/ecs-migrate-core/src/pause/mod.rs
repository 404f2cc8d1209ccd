//! Pause the app's services around the migration, and always put them back.
//!
//! The sequence for each named service:
//! 1. record its state (desired count, auto scaling) as tags on the service — before anything
//!    changes, so even a killed process leaves the truth behind ([`PauseRecord`]);
//! 2. suspend its auto scaling and lower the target's minimum (if it has a scalable target);
//! 3. set its desired count to the paused count;
//! 4. wait until the tasks that were running are really gone (not just `runningCount`): every
//!    container of theirs STOPPED (`decide_at.rs`; Fargate's teardown that follows runs no
//!    code), or, with `DecideAt::TaskStopped`, the task STOPPED.
//!
//! [`Paused::restore`] undoes it from the record: desired count back (the recorded one, or
//! `--desired-count`), auto scaling back exactly, then the record removed. It runs on every exit
//! path of [`crate::migration::run`]. A record found at the start of a run (a run that died)
//! is restored first, to the *recorded* count, never to the paused count the service shows now.

pub(crate) mod autoscaling;

use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::records::pause_record::{AutoScalingState, PauseRecord, TAG_KEYS};
use crate::watch::decide_at::app_task_over;
use crate::watch::{next_backoff, sleep_until_or_never};
use crate::{Clients, DecideAt, Error, Shutdown};
use aws_sdk_ecs::types::DesiredStatus;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::{sleep, Instant};

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
    fn before(&self) -> (i32, Option<AutoScalingState>) {
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
    pub recovered_from: Option<String>,
}

/// One service in the pause.
#[derive(Debug)]
struct Entry {
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
    pub run_id: &'a str,
    pub paused_at: &'a str,
    pub migration: &'a str,
    pub expires: Option<String>,
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
                        run_id: context.run_id.to_owned(),
                        paused_at: context.paused_at.to_owned(),
                        desired_count,
                        autoscaling,
                        migration: context.migration.to_owned(),
                        expires: context.expires.clone(),
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
                paused_at: &record.paused_at,
                desired_count: record.desired_count,
                now: entry.target.desired_count,
            });
            restore_service(
                self.clients,
                self.cluster,
                &entry.target.name,
                &entry.target.arn,
                record,
                record.desired_count,
                self.progress,
            )
            .await?;
            self.progress.event(Event::ServiceRestored {
                service: &entry.target.name,
                desired_count: record.desired_count,
                autoscaling: record.autoscaling.is_some(),
            });
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
        // 4. wait until the old tasks have really stopped. Throttling that outlasts the SDK's
        //    retries is waited out here too (a drain can take minutes: stopTimeout, load
        //    balancer deregistration), backing off up to 30 s.
        let started = Instant::now();
        let mut delay = DRAIN_POLL;
        loop {
            match self.remaining_tasks(plan.min_capacity).await {
                Ok(0) => {
                    self.progress.event(Event::ServicesDrained {
                        elapsed: started.elapsed(),
                    });
                    return Ok(Drain::Done);
                }
                Ok(remaining) => {
                    delay = DRAIN_POLL;
                    self.progress.event(Event::Draining {
                        remaining,
                        elapsed: started.elapsed(),
                    });
                }
                Err(err) if err.is_transient() => {
                    delay = next_backoff(delay);
                    self.progress.event(Event::Retrying {
                        operation: "ListTasks/DescribeTasks",
                        message: err.to_string(),
                        retry_in: delay,
                    });
                }
                Err(err) => return Err(err),
            }
            tokio::select! {
                biased;
                _ = shutdown.recv_or_hand_off() => return Ok(Drain::Interrupted),
                _ = sleep_until_or_never(deadline) => return Ok(Drain::TimedOut),
                _ = sleep(delay) => {}
            }
        }
    }

    /// Why a service this run paused is no longer its to restore, read from the record it
    /// carries now: another run's (a run that took this one for dead and took over), or none
    /// (put back by hand). `None`: still ours, or unreadable just now (then ours is restored).
    async fn not_ours_to_restore(&self, entry: &Entry) -> Option<String> {
        let name = &entry.target.name;
        let tags = call::list_tags(
            &self.clients.ecs,
            &entry.target.arn,
            || format!("service `{name}`"),
            self.progress,
        )
        .await
        .ok()?;
        match PauseRecord::from_tags(&tags) {
            Some(Ok(record)) if record.run_id != entry.record.run_id => Some(format!(
                "service {name} is now paused by run {}, which took over: left to it",
                record.run_id
            )),
            None => Some(format!(
                "service {name} has no pause record any more (restored by hand?): left as it is"
            )),
            Some(_) => None,
        }
    }

    /// How many tasks beyond the paused count are not gone yet (`decide_at.rs`: every container
    /// of theirs stopped), over all services.
    async fn remaining_tasks(&self, min_capacity: i32) -> Result<usize, Error> {
        let mut remaining = 0;
        for entry in &self.entries {
            let mut arns: BTreeSet<String> = entry.tasks.iter().cloned().collect();
            arns.extend(
                service_tasks(
                    self.clients,
                    self.cluster,
                    &entry.target.name,
                    self.progress,
                )
                .await?,
            );
            let arns: Vec<String> = arns.into_iter().collect();
            let alive = crate::launch::live_tasks::describe(
                &self.clients.ecs,
                self.cluster,
                &arns,
                self.progress,
            )
            .await?
            .iter()
            .filter(|t| !app_task_over(t, self.decide_at))
            .count();
            remaining += alive.saturating_sub(min_capacity.max(0) as usize);
        }
        Ok(remaining)
    }

    /// Whether any service was touched (its record written): only then is there anything to
    /// restore, or to guard.
    pub(crate) fn touched(&self) -> bool {
        self.entries.iter().any(|e| e.record_written)
    }

    /// The services stay paused because `why` (a task of the migration still running): the
    /// reports say so, and the error gives the command that restores them later.
    pub(crate) fn left_paused(&self, why: &str) -> (Vec<ServiceReport>, Option<String>) {
        let Some(plan) = self.plan else {
            return (Vec::new(), None);
        };
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|e| e.target.name.as_str())
            .collect();
        let reports = self
            .entries
            .iter()
            .map(|entry| not_restored_yet(entry, plan))
            .collect();
        let error = format!(
            "left the services paused: {why}, and the old code must not run next to the migration. Their previous state is recorded on them: once the migration's tasks have stopped, run `{}`",
            restore_command(self.cluster, &names)
        );
        (reports, Some(error))
    }

    /// Phase 5: put every service back (or leave them paused when `keep` says so). Never
    /// selects on shutdown: an interrupt is exactly when this must run.
    pub(crate) async fn restore(&self, keep: bool) -> (Vec<ServiceReport>, Option<String>) {
        let Some(plan) = self.plan else {
            return (Vec::new(), None);
        };
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        if keep && self.entries.iter().any(|e| e.record_written) {
            let names: Vec<&str> = self
                .entries
                .iter()
                .map(|e| e.target.name.as_str())
                .collect();
            self.progress.event(Event::KeptPaused {
                services: &names,
                command: &restore_command(self.cluster, &names),
            });
        }
        for entry in &self.entries {
            let to = plan.restore_to.unwrap_or(entry.record.desired_count);
            let mut report = not_restored_yet(entry, plan);
            if !entry.record_written {
                // Never touched: nothing to undo.
                report.desired_after = Some(entry.target.before().0);
                report.restored = true;
            } else if !keep {
                if let Some(why) = self.not_ours_to_restore(entry).await {
                    self.progress.event(Event::Warning(why));
                } else {
                    match restore_service(
                        self.clients,
                        self.cluster,
                        &entry.target.name,
                        &entry.target.arn,
                        &entry.record,
                        to,
                        self.progress,
                    )
                    .await
                    {
                        Ok(()) => {
                            report.desired_after = Some(to);
                            report.autoscaling_restored = entry.record.autoscaling.is_some();
                            report.restored = true;
                            self.progress.event(Event::ServiceRestored {
                                service: &entry.target.name,
                                desired_count: to,
                                autoscaling: entry.record.autoscaling.is_some(),
                            });
                        }
                        Err(err) => failures.push(format!("{}: {err}", entry.target.name)),
                    }
                }
            }
            reports.push(report);
        }
        let error = (!failures.is_empty()).then(|| {
            let names: Vec<&str> = self
                .entries
                .iter()
                .map(|e| e.target.name.as_str())
                .collect();
            format!(
                "could not restore {}; their previous state is still recorded on them: run `{}`",
                failures.join("; "),
                restore_command(self.cluster, &names)
            )
        });
        (reports, error)
    }
}

/// Puts one service back as `record` says, with `desired_count`, then removes the record.
async fn restore_service(
    clients: &Clients,
    cluster: &str,
    name: &str,
    arn: &str,
    record: &PauseRecord,
    desired_count: i32,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let resource = || format!("service `{name}` in cluster `{cluster}`");
    let call = clients
        .ecs
        .update_service()
        .cluster(cluster)
        .service(name)
        .desired_count(desired_count);
    call::send(progress, "UpdateService", resource, || call.clone().send()).await?;
    if let Some(state) = record.autoscaling {
        autoscaling::register(
            &clients.autoscaling,
            &autoscaling::resource_id(cluster, name),
            state,
            progress,
        )
        .await?;
    }
    let call = clients
        .ecs
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(TAG_KEYS.iter().map(|k| k.to_string()).collect()));
    call::send(progress, "UntagResource", resource, || call.clone().send()).await?;
    Ok(())
}

/// The service's tasks that ECS wants running.
async fn service_tasks(
    clients: &Clients,
    cluster: &str,
    service: &str,
    progress: &dyn Progress,
) -> Result<Vec<String>, Error> {
    let mut arns = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let call = clients
            .ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Running)
            .set_next_token(next_token.clone());
        let page = call::send(
            progress,
            "ListTasks",
            || format!("service `{service}` in cluster `{cluster}`"),
            || call.clone().send(),
        )
        .await?;
        arns.extend(page.task_arns().iter().cloned());
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            return Ok(arns);
        }
    }
}

/// What the report says of a service before (or without) its restore.
fn not_restored_yet(entry: &Entry, plan: &PausePlan) -> ServiceReport {
    ServiceReport {
        name: entry.target.name.clone(),
        desired_before: entry.record.desired_count,
        desired_during: if entry.scaled_down {
            plan.min_capacity
        } else {
            entry.record.desired_count
        },
        desired_after: None,
        autoscaling_suspended: entry.autoscaling_suspended,
        autoscaling_restored: false,
        restored: false,
        recovered_from: entry.target.leftover.as_ref().map(|r| r.run_id.clone()),
    }
}

/// The command an operator runs to restore services left paused.
pub fn restore_command(cluster: &str, services: &[&str]) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    let mut command = format!("ecs-migrate restore --cluster {cluster}");
    for service in services {
        command.push_str(&format!(" --service {service}"));
    }
    command
}

/// `ecs-migrate restore`: put back services a run left paused, from the records on them. A
/// service without a record is left as it is (and said so).
pub async fn restore(
    clients: &Clients,
    cluster: &str,
    services: &[String],
    desired_count: Option<i32>,
    progress: &dyn Progress,
) -> Result<Vec<ServiceReport>, Error> {
    let cluster_arn = crate::resolve::describe_cluster(&clients.ecs, cluster).await?;
    let targets =
        crate::resolve::resolve_services(clients, &cluster_arn, cluster, services).await?;
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for target in targets {
        let Some(record) = &target.leftover else {
            progress.event(Event::Warning(format!(
                "service {} has no ecs-migrate pause record: nothing to restore (desired count stays {})",
                target.name, target.desired_count
            )));
            reports.push(ServiceReport {
                name: target.name.clone(),
                desired_before: target.desired_count,
                desired_during: target.desired_count,
                desired_after: Some(target.desired_count),
                autoscaling_suspended: false,
                autoscaling_restored: false,
                restored: false,
                recovered_from: None,
            });
            continue;
        };
        progress.event(Event::LeftoverFound {
            service: &target.name,
            run_id: &record.run_id,
            paused_at: &record.paused_at,
            desired_count: record.desired_count,
            now: target.desired_count,
        });
        let to = desired_count.unwrap_or(record.desired_count);
        // One service that cannot be restored does not keep the others down.
        if let Err(err) = restore_service(
            clients,
            &cluster_arn,
            &target.name,
            &target.arn,
            record,
            to,
            progress,
        )
        .await
        {
            failures.push(format!("{}: {err}", target.name));
            continue;
        }
        progress.event(Event::ServiceRestored {
            service: &target.name,
            desired_count: to,
            autoscaling: record.autoscaling.is_some(),
        });
        reports.push(ServiceReport {
            name: target.name.clone(),
            desired_before: record.desired_count,
            desired_during: target.desired_count,
            desired_after: Some(to),
            autoscaling_suspended: record.autoscaling.is_some(),
            autoscaling_restored: record.autoscaling.is_some(),
            restored: true,
            recovered_from: Some(record.run_id.clone()),
        });
    }
    if failures.is_empty() {
        return Ok(reports);
    }
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    Err(Error::RestoreFailed {
        cluster: cluster_arn.clone(),
        cause: format!(
            "restored {} of {} services",
            reports.iter().filter(|r| r.restored).count(),
            services.len()
        ),
        restore_error: format!(
            "could not restore {}; their previous state is still recorded on them: run `{}` again",
            failures.join("; "),
            restore_command(&cluster_arn, &names)
        ),
    })
}

/// `ecs-migrate unlock`: clear the family lock of `task_definition` on `cluster` and restore
/// `services` from their records. For locks left by runs that are gone.
pub async fn unlock(
    clients: &Clients,
    cluster: &str,
    task_definition: &str,
    services: &[String],
    progress: &dyn Progress,
) -> Result<Vec<ServiceReport>, Error> {
    let cluster_arn = crate::resolve::describe_cluster(&clients.ecs, cluster).await?;
    let family = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    let family = family.split(':').next().unwrap_or(family);
    match crate::lock::read_family_lock(&clients.ecs, &cluster_arn, family, progress).await? {
        Some(holder) => {
            crate::lock::release_family_lock(&clients.ecs, &cluster_arn, family, progress).await?;
            progress.event(Event::Warning(format!(
                "cleared the lock on task definition family {family} held by run {} since {}",
                holder.run_id, holder.since
            )));
        }
        None => progress.event(Event::Warning(format!(
            "task definition family {family} was not locked"
        ))),
    }
    if services.is_empty() {
        return Ok(Vec::new());
    }
    restore(clients, cluster, services, None, progress).await
}
