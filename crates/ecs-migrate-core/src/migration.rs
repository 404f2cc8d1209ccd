//! The orchestration: one migration, phase by phase, top to bottom.
//!
//! 0. once    — this migration already succeeded: report `skipped`, change nothing (`--force`);
//!    or it is adopted (it ran by other means): record it as succeeded, report `skipped`;
//! 1. lock    — wait until no other run holds the app; join a live run of this same migration;
//!    take over what a dead run left, restoring its services first (see `lock/`). The lock's
//!    lease is renewed while 2–5 run;
//! 2. pause   — record, suspend auto scaling, scale the services down, wait for their old tasks
//!    to stop (see `pause/`);
//! 3. launch  — RunTask with an idempotency token, or attach to the live task of this
//!    migration; placement failures end the run with a `failed` verdict;
//! 4. watch   — wait for the deciding container's exit, not the task's STOPPED (`watch/decide_at.rs`;
//!    on timeout or shutdown: stop the task and wait for that), while the log follower streams
//!    the container's output;
//! 5. judge   — turn the task into a [`Report`];
//! 6. restore — put every paused service back, on every path out of 2–5: at the verdict, while
//!    Fargate still tears the task down and the log follower reads the stream to its end;
//! 7. record  — the outcome in Parameter Store (see `records/outcome_record.rs`), with the last log
//!    lines in the report; release the lock.
//!
//! The one path that skips 6 and 7 is the hand-off (see [`Shutdown::with_hand_off`]): the task
//! is still running and the next run of the same migration re-attaches, restores and records.
//!
//! Resolution happens before, in [`crate::resolve`], so `--dry-run` can stop after it.

use crate::launch::live_tasks;
use crate::launch::Launched;
use crate::lock::{self, Acquired, Lease};
use crate::pause::{Drain, PauseContext, Paused, ServiceReport};
use crate::progress::{Event, Progress};
use crate::records::outcome::Outcome;
use crate::records::outcome_record;
use crate::watch::log_follower::{Followed, LogFollower};
use crate::watch::verdict;
use crate::watch::Watch;
use crate::{launch, Clients, Error, Logs, Plan, Report, Shutdown, Status};
use std::time::SystemTime;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

pub async fn run(
    clients: &Clients,
    plan: &Plan,
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Report, Error> {
    let started = Instant::now();
    let deadline = plan.timeout.duration().map(|timeout| started + timeout);

    // 0. once. Outcomes an earlier version kept as tags move to Parameter Store first.
    outcome_record::move_from_tags(clients, &plan.task_definition, &plan.outcome_tags, progress)
        .await?;
    if let Some(previous) = plan
        .previous
        .as_ref()
        .filter(|p| p.succeeded() && !plan.force)
    {
        return Ok(verdict::recorded(plan, previous, false));
    }
    if plan.adopt {
        let outcome = Outcome::adopted(plan);
        outcome_record::write(clients, &plan.task_definition, &outcome, progress).await?;
        return Ok(verdict::adopted(plan, &outcome));
    }

    // 1. lock: the app is this run's once it holds the lease (a joining run takes it over
    //    from the run it joins).
    let acquired = lock::acquire(clients, plan, progress, shutdown).await?;
    let (lease, services, attach_to) = match acquired {
        None => return Ok(verdict::interrupted_before_start(plan)),
        Some(Acquired::Finished(outcome)) => return Ok(verdict::recorded(plan, &outcome, true)),
        Some(Acquired::Free { lease, services }) => (lease, services, None),
        Some(Acquired::Join {
            lease,
            task_arn,
            holder,
            services,
        }) => {
            progress.event(Event::Joined {
                task_arn: &task_arn,
                run_id: &holder,
            });
            (lease, services, Some(task_arn))
        }
    };
    let joined = attach_to.is_some();
    let mut paused = Paused::new(
        clients,
        &plan.cluster,
        plan.pause.as_ref(),
        PauseContext {
            run_id: &plan.run_id,
            paused_at: lease.since(),
            migration: &plan.migration,
            expires: lock::record_expiry(plan.timeout.duration()),
            services,
            joined,
            decide_at: plan.decide_at,
        },
        progress,
    );
    let run = Run {
        clients,
        plan,
        progress,
        lease: &lease,
        started,
        deadline,
    };

    // 2–7 run while the lock's lease is renewed, so that no other run takes the app over
    // before this one has put the services back and recorded the outcome.
    let finished = lease
        .hold(async {
            // 2. pause (after restoring what a dead run left paused).
            let drained = match paused.recover_leftovers().await {
                Ok(()) => paused.pause(deadline, shutdown).await,
                Err(err) => Err(err),
            };

            // 3–6. migrate, only once every service is drained; the restore comes at the verdict.
            let (outcome, restored) = match drained {
                Ok(Drain::Done) => run.migrate(attach_to, shutdown, &paused).await,
                Ok(Drain::TimedOut) => {
                    let report = verdict::timed_out_before_start(plan, started.elapsed());
                    run.without_task(Ok(report), &paused).await
                }
                Ok(Drain::Interrupted) => {
                    let report = verdict::interrupted_before_start(plan);
                    run.without_task(Ok(report), &paused).await
                }
                Err(err) => run.without_task(Err(err), &paused).await,
            };

            // Handed off (a Lambda near its deadline): the task runs on and the services stay
            // paused as recorded, for the next invocation to re-attach to and finish. If none
            // comes, the lease lapses and, once the task has stopped, the next run takes over and
            // restores.
            if let Err(err @ Error::StillRunning { .. }) = outcome {
                return Err(err);
            }

            // 7. record the outcome. Services kept paused keep their records: the next run (of any
            //    migration of this app) restores them first, as a dead run's.
            if let Ok(report) = &outcome {
                outcome_record::record_verdict(clients, plan, report, progress).await;
            }
            Ok((outcome, restored))
        })
        .await;
    let (outcome, (service_reports, restore_error)) = finished?;

    // 7. let go of the lock, if it is still this run's.
    lease.release().await;

    match (outcome, restore_error) {
        (Ok(mut report), restore_error) => {
            report.services = service_reports;
            report.restore_error = restore_error;
            Ok(report)
        }
        (Err(err), None) => Err(err),
        (Err(err), Some(restore_error)) => Err(Error::RestoreFailed {
            cluster: plan.cluster.clone(),
            cause: Some(Box::new(err)),
            restore_error,
        }),
    }
}

/// What the phases share.
pub(crate) struct Run<'a> {
    pub clients: &'a Clients,
    pub plan: &'a Plan,
    pub progress: &'a dyn Progress,
    /// This run's hold on the app.
    pub lease: &'a Lease<'a>,
    started: Instant,
    deadline: Option<Instant>,
}

/// What the restore did: a report per service, and why some were not restored.
type Restored = (Vec<ServiceReport>, Option<String>);

impl Run<'_> {
    /// Phases 3–6: launch (or attach); watch, with the logs; judge; restore at the verdict, while
    /// the log follower reads the stream to its end.
    async fn migrate(
        &self,
        attach_to: Option<String>,
        shutdown: &mut Shutdown,
        paused: &Paused<'_>,
    ) -> (Result<Report, Error>, Restored) {
        let launched = launch::launch_or_attach(self, attach_to, shutdown);
        let (task_arn, attached) = match launched.await {
            Ok(Launched::Task { task_arn, attached }) => (task_arn, attached),
            Ok(Launched::None(report)) => return self.without_task(Ok(*report), paused).await,
            Err(err) => return self.without_task(Err(err), paused).await,
        };
        let (clients, plan, progress) = (self.clients, self.plan, self.progress);

        // 4. watch, and follow the logs until the migration is over and the stream is read
        //    through. A hand-off abandons the logs at once: the next run re-reads them.
        let (over, over_rx) = watch::channel(None::<SystemTime>);
        let handed_off = Notify::new();
        let deciding = async {
            let watched = Watch::new(clients, plan, &task_arn, progress, self.started)
                .attached(attached)
                .until_over(self.deadline, shutdown)
                .await;
            match &watched {
                Err(Error::StillRunning { .. }) => handed_off.notify_one(),
                Ok((task, _)) => {
                    let _ = over.send(Some(crate::watch::stopped_at(task)));
                }
                Err(_) => {
                    let _ = over.send(Some(SystemTime::now()));
                }
            }
            // 5. judge.
            let outcome = watched.map(|(task, ending)| {
                let mut report = verdict::judge(plan, &task, ending);
                report.task_arn.get_or_insert_with(|| task_arn.clone());
                report
            });
            // 6. restore, now: the task may still be tearing down, but nothing of the
            //    migration runs any more.
            let restored = self.restore(paused, &outcome).await;
            (outcome, restored)
        };
        let following = async {
            let follow = async {
                match &plan.logs {
                    Logs::Follow(source) => {
                        LogFollower::new(clients, source, &task_arn, plan, progress)
                            .follow(over_rx)
                            .await
                    }
                    Logs::Unavailable { reason } => {
                        progress.event(Event::LogsUnavailable { reason });
                        Followed::default()
                    }
                    Logs::Off => Followed::default(),
                }
            };
            tokio::select! {
                followed = follow => followed,
                _ = handed_off.notified() => Followed::default(),
            }
        };
        let ((outcome, restored), followed) = tokio::join!(deciding, following);
        let outcome = outcome.map(|mut report| {
            report.log_tail = followed.tail;
            report.log_lines = followed.lines;
            report
        });
        (outcome, restored)
    }

    /// Phase 6 when no task ran: the outcome is known, the services go back.
    async fn without_task(
        &self,
        outcome: Result<Report, Error>,
        paused: &Paused<'_>,
    ) -> (Result<Report, Error>, Restored) {
        let restored = self.restore(paused, &outcome).await;
        (outcome, restored)
    }

    /// Phase 6: put every paused service back, whatever happened — unless asked to keep them
    /// paused after a failure, or handed off (the task runs on). Only services whose record is
    /// still this run's: a run that lost its lock leaves them to the run that took over.
    async fn restore(&self, paused: &Paused<'_>, outcome: &Result<Report, Error>) -> Restored {
        if matches!(outcome, Err(Error::StillRunning { .. })) {
            return (Vec::new(), None);
        }
        let failed =
            matches!(outcome, Ok(r) if matches!(r.status, Status::Failed | Status::TimedOut));
        let keep = failed
            && self
                .plan
                .pause
                .as_ref()
                .is_some_and(|p| p.keep_paused_on_failure);
        if keep || !paused.touched() {
            return paused.restore(keep).await;
        }
        // Never while a task of this migration is not over, whoever started it: the old code
        // would come back next to the migration (see `launch/live_tasks.rs`).
        match live_tasks::wait_until_over(&self.clients.ecs, self.plan, self.progress).await {
            Ok(()) => paused.restore(false).await,
            Err(why) => paused.left_paused(&why),
        }
    }
}
