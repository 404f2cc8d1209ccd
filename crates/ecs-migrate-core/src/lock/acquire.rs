//! Taking the app: wait until no other run holds it, join a live run of this same migration, or
//! take over what a dead one left (see the module's doc in `lock/mod.rs`).

use super::lease::release_family_lock;
use super::record::{is_live, read_locks};
use super::{Holder, CLOCK_SKEW, CONSISTENCY_DELAY, LEASE, WAIT_POLL};
use crate::launch::live_tasks::live_task;
use crate::progress::{Event, Progress};
use crate::records::outcome::Outcome;
use crate::records::outcome_record;
use crate::{Error, LockHolder, Plan, ServiceTarget, Shutdown};
use tokio::time::{sleep, Instant};

/// The command that clears this app's lock and restores its services by hand.
fn unlock_command(plan: &Plan) -> String {
    let cluster = crate::aws::arn::resource_name(&plan.cluster);
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
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Option<Acquired>, Error> {
    let mut wait = Wait {
        started: Instant::now(),
        said_waiting: false,
    };
    let mut settled = false;
    loop {
        match wait.look(clients, plan, progress).await {
            // The run we waited for has just put the services back: DescribeServices may still
            // show the paused count for a moment (eventual consistency), and this run would
            // record it as the "before" count. Look again once that moment has passed.
            Ok(Some(Acquired::Free { .. })) if wait.said_waiting && !settled => {
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
            Err(err) if err.is_transient() && wait.started.elapsed() < plan.wait_for_lock => {
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

/// A wait for the app: since when, and whether the run has said it waits.
struct Wait {
    started: Instant,
    said_waiting: bool,
}

impl Wait {
    /// One look at who holds the app: what this run may do now, or `None` to look again later.
    async fn look(
        &mut self,
        clients: &crate::Clients,
        plan: &Plan,
        progress: &dyn Progress,
    ) -> Result<Option<Acquired>, Error> {
        let (family, migration, started) = (plan.family.as_str(), &plan.migration, self.started);
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
        if self.said_waiting {
            let outcome =
                outcome_record::read_one(clients, &plan.task_definition, migration, progress)
                    .await?;
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
            if let Some(task_arn) =
                live_task(ecs, &plan.cluster, migration.as_str(), progress).await?
            {
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
        if !self.said_waiting {
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
            self.said_waiting = true;
        }
        Ok(None)
    }
}
