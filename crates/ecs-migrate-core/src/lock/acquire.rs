//! Taking the app: look at who holds it until [`decide`] says this run may go on, and carry the
//! decision out (see the module's doc in `lock/mod.rs`).

use super::decide::{decide, Decision, Seen};
use super::lease::Lease;
use super::record::check_lock_fits;
use super::store::{Found as Lock, Store, Version};
use super::{Held, Holder, CLOCK_SKEW, CONSISTENCY_DELAY, LEASE, WAIT_POLL};
use crate::launch::live_tasks::{ended_of, live_task};
use crate::progress::{Event, Progress};
use crate::records::outcome::Outcome;
use crate::records::outcome_record;
use crate::resolve::services::{reread_records, resolve_services};
use crate::{Clients, Error, LockHolder, MigrationId, Plan, RunId, ServiceTarget, Shutdown};
use tokio::time::{sleep, Instant};

/// What the run may do once the app is free for it.
pub(crate) enum Acquired<'a> {
    /// The app is this run's. Pause records on `services` are from dead runs: recover them.
    Free {
        lease: Lease<'a>,
        services: Vec<ServiceTarget>,
    },
    /// A run of this same migration holds it and its task is alive, or ended unwatched with no
    /// outcome recorded: attach to `task_arn`; the records on `services` are that run's, to
    /// restore from. The lease is this run's now.
    Join {
        lease: Lease<'a>,
        task_arn: String,
        holder: RunId,
        services: Vec<ServiceTarget>,
    },
    /// Another run recorded an outcome of this migration while we waited.
    Finished(Outcome),
}

/// What one look found this run may do (before it takes the lease, on `lock`: the family lock
/// as seen).
enum Found {
    Free {
        services: Vec<ServiceTarget>,
        lock: Option<Version>,
    },
    Join {
        lock: Option<Version>,
        task_arn: String,
        holder: RunId,
        services: Vec<ServiceTarget>,
    },
    Finished(Outcome),
}

/// Waits until the app is free for this run (or joinable, or finished by another run), and
/// takes it. `None`: shut down while waiting. Throttling and network faults that outlast the
/// SDK's retries are waited out, within the wait for the lock.
pub(crate) async fn acquire<'a>(
    clients: &'a Clients,
    plan: &'a Plan,
    progress: &'a dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Option<Acquired<'a>>, Error> {
    let mut wait = Wait {
        clients,
        plan,
        progress,
        store: Store::for_plan(clients, plan),
        started: Instant::now(),
        said_waiting: false,
        settled: false,
    };
    loop {
        match wait.look().await {
            // The run we waited for has just put the services back: DescribeServices may still
            // show the paused count for a moment (eventual consistency), and this run would
            // record it as the "before" count. Look again, and describe the services afresh,
            // once that moment has passed.
            Ok(Some(Found::Free { .. })) if wait.said_waiting && !wait.settled => {
                wait.settled = true;
                tokio::select! {
                    biased;
                    _ = shutdown.recv_or_hand_off() => return Ok(None),
                    _ = sleep(CONSISTENCY_DELAY) => {}
                }
                continue;
            }
            Ok(Some(Found::Finished(outcome))) => return Ok(Some(Acquired::Finished(outcome))),
            Ok(Some(Found::Free { services, lock })) => {
                // `None`: another run wrote the lock first (S3): look again, as a run that
                // found the app held.
                if let Some(lease) = Lease::take(wait.store.clone(), plan, progress, lock).await? {
                    return Ok(Some(Acquired::Free { lease, services }));
                }
            }
            Ok(Some(Found::Join {
                lock,
                task_arn,
                holder,
                services,
            })) => {
                if let Some(lease) = Lease::take(wait.store.clone(), plan, progress, lock).await? {
                    return Ok(Some(Acquired::Join {
                        lease,
                        task_arn,
                        holder,
                        services,
                    }));
                }
            }
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

/// A wait for the app: since when, whether the run has said it waits, and whether the look
/// after the other run let go has come.
struct Wait<'a> {
    clients: &'a Clients,
    plan: &'a Plan,
    progress: &'a dyn Progress,
    store: Store<'a>,
    started: Instant,
    said_waiting: bool,
    settled: bool,
}

impl Wait<'_> {
    /// One look at who holds the app: what this run may do now, or `None` to look again later.
    async fn look(&mut self) -> Result<Option<Found>, Error> {
        let services = self.services().await?;
        let (seen, lock) = self.see(&services).await?;
        match decide(seen, &self.plan.migration) {
            Decision::Finished(outcome) => Ok(Some(Found::Finished(outcome))),
            Decision::Join { task_arn, holder } => Ok(Some(Found::Join {
                lock,
                task_arn,
                holder,
                services,
            })),
            Decision::Free { take_over } => {
                self.take_over(take_over).await?;
                Ok(Some(Found::Free { services, lock }))
            }
            Decision::Wait {
                holder,
                task,
                take_over,
            } => {
                self.take_over(take_over).await?;
                self.still_held(holder, task).map(|()| None)
            }
        }
    }

    /// The services to pause, with the pause records they carry now. They were described when
    /// the run was planned; once another run has let go of them, they are described again for
    /// the counts it put back.
    async fn services(&self) -> Result<Vec<ServiceTarget>, Error> {
        let (clients, plan) = (self.clients, self.plan);
        let Some(pause) = &plan.pause else {
            return Ok(Vec::new());
        };
        if self.settled {
            let names: Vec<String> = pause.services.iter().map(|s| s.name.clone()).collect();
            resolve_services(clients, &plan.cluster, &plan.cluster, &names).await
        } else {
            reread_records(&clients.ecs, &plan.cluster, &pause.services, self.progress).await
        }
    }

    /// Who holds the app, which of them are alive, and whether this migration was finished;
    /// and the family lock's version, for taking it.
    async fn see(&self, services: &[ServiceTarget]) -> Result<(Seen, Option<Version>), Error> {
        let (clients, plan, progress) = (self.clients, self.plan, self.progress);
        let ecs = &clients.ecs;
        let look = self.store.look(progress).await?;
        // Before the run takes the app: the lock's tag must fit among the cluster's tags.
        if let Some(tags) = &look.cluster_tags {
            check_lock_fits(&plan.cluster, &plan.family, tags)?;
        }
        let leased = look.leased;
        let mut holders: Vec<Holder> = Vec::new();
        let mut version = None;
        match look.family {
            Some(Lock {
                holder: Ok(lock),
                version: seen,
            }) => {
                holders.push(lock);
                version = Some(seen);
            }
            Some(Lock {
                holder: Err(problem),
                ..
            }) => {
                return Err(Error::BrokenLock {
                    cluster: plan.cluster.clone(),
                    family: plan.family.clone(),
                    problem,
                    unlock: unlock_command(plan),
                })
            }
            None => {}
        }
        for service in services {
            if let Some(record) = &service.leftover {
                holders.push(Holder {
                    run_id: record.run_id.clone(),
                    since: record.paused_at,
                    expires: record.expires,
                    migration: record.migration.clone(),
                    what: Held::Service(service.name.clone()),
                });
            }
        }
        holders.retain(|h| h.run_id != plan.run_id);
        let mut live: Vec<(MigrationId, Option<String>)> = Vec::new();
        for holder in &holders {
            if !live.iter().any(|(m, _)| *m == holder.migration) {
                let task = live_task(ecs, &plan.cluster, &holder.migration, progress).await?;
                live.push((holder.migration.clone(), task));
            }
        }
        // Only runs of this migration, none with a live task: one of them may have left its
        // task to end unwatched (a hand-off); its exit is this run's verdict, unless its run
        // recorded it since (then that outcome is the answer).
        let mine = |h: &Holder| h.migration == plan.migration;
        let mut ended = None;
        let mut recorded = None;
        if holders.iter().all(mine) && live.iter().all(|(_, t)| t.is_none()) {
            let runs: Vec<&RunId> = holders.iter().map(|h| &h.run_id).collect();
            if !runs.is_empty() {
                ended = ended_of(ecs, plan, &runs, progress).await?;
            }
            if let Some(task) = &ended {
                recorded = outcome_record::read_one(
                    clients,
                    &plan.task_definition,
                    &plan.migration,
                    progress,
                )
                .await?
                .filter(|o| o.task.as_deref() == Some(crate::aws::arn::resource_name(task)));
            }
        }
        // Another run finished this migration while we waited: its outcome is ours to report.
        let finished = if self.said_waiting {
            outcome_record::read_one(clients, &plan.task_definition, &plan.migration, progress)
                .await?
                .filter(|outcome| {
                    plan.previous.as_ref().map(Outcome::value) != Some(outcome.value())
                })
        } else {
            None
        };
        let seen = Seen {
            holders,
            leased,
            live,
            finished: finished.or(recorded),
            ended,
        };
        Ok((seen, version))
    }

    /// Takes over what dead runs left: the family lock is cleared (see [`Store::clear_dead`]);
    /// their services' records are restored from once the run has the app.
    async fn take_over(&self, dead: Vec<Holder>) -> Result<(), Error> {
        for holder in dead {
            self.progress.event(Event::TakingOverLock {
                what: &holder.what.to_string(),
                run_id: &holder.run_id,
                since: holder.since,
                silent_for: LEASE + CLOCK_SKEW,
            });
            if matches!(holder.what, Held::Family(_)) {
                self.store.clear_dead(self.progress).await?;
            }
        }
        Ok(())
    }

    /// `holder` still holds the app: say so once, or give up once the wait is over.
    fn still_held(&mut self, holder: Holder, task: Option<String>) -> Result<(), Error> {
        let plan = self.plan;
        let by = LockHolder {
            run_id: holder.run_id,
            since: holder.since,
            task,
        };
        if self.started.elapsed() >= plan.wait_for_lock {
            return Err(Error::Locked {
                cluster: plan.cluster.clone(),
                what: holder.what.to_string(),
                by: Box::new(by),
                waited: plan.wait_for_lock.as_secs(),
                unlock: unlock_command(plan),
            });
        }
        if !self.said_waiting {
            self.progress.event(Event::WaitingForLock {
                what: &holder.what.to_string(),
                holder: &by,
                up_to: plan.wait_for_lock,
            });
            self.said_waiting = true;
        }
        Ok(())
    }
}

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
    if let crate::LockSetting::S3 { .. } = &plan.lock {
        command.push_str(&format!(" --lock {}", plan.lock));
    }
    command
}
