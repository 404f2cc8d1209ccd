//! A rollout: one release's migration across many apps or tenants, each target exactly a run
//! ([`crate::migration::run`]: lock, pause, run once, restore, outcome record), so that running
//! the same rollout again resumes it — targets that succeeded are `skipped`, live ones
//! re-attached, failed ones retried.
//!
//! 1. parse    — the targets file, each target's settings over the defaults over the caller's
//!    (`targets.rs`); every problem of every target at once, nothing changed;
//! 2. validate — resolve every target read-only ([`prepare`]); one that cannot run is reported
//!    by name (and key) and nothing starts;
//! 3. run      — canaries alone, then up to `concurrency` at once, halting after `max_failures`
//!    (`schedule.rs`); each target runs the revision its validation resolved (its
//!    [`Definition`]), and the rest of its plan is read again right before it starts (its
//!    services' counts and its records as they are at that moment, not minutes earlier);
//! 4. report   — [`RolloutReport`], every target in the file's order.
//!
//! Targets with the same region and role share their SDK clients, and so one DescribeTasks loop
//! per cluster (`watch/task_poller.rs`) and one pace for CloudWatch Logs reads
//! (`aws/pacer.rs`): the request rate grows with the clusters, not with the targets.

mod child_end;
mod map_run_items;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod schedule;
pub mod step_functions;
pub(crate) mod summary;
pub(crate) mod targets;

use crate::aws::AwsOptions;
use crate::resolve::definition::Definition;
use crate::{migration, Clients, Connection, Error, Event, Shutdown};
use futures_util::stream::{self, StreamExt};
use progress::{ForTarget, RolloutEvent, RolloutProgress};
use report::{RolloutReport, RolloutStatus, TargetReport, TargetResult};
use schedule::{Ended, Judged, Limits};
use std::collections::BTreeMap;
pub use summary::{summarize, Answered, Summary};
pub use targets::{parse, Target};
use tokio::sync::watch;
use tokio::time::Instant;

/// Targets resolved at once while validating.
/// Validation is bound by latency and the pace, not by work: each target makes two ECS reads
/// (its revision and the revision's tags) and a Parameter Store read.
const VALIDATE_AT_ONCE: usize = 20;

/// A rollout whose every target was checked against AWS, ready to run.
pub struct Rollout {
    targets: Vec<Prepared>,
    /// When the validation began: the report's time counts it.
    since: Instant,
}

impl Rollout {
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// A target as validated: its clients and what its validation resolved.
struct Prepared {
    target: Target,
    clients: Clients,
    definition: Definition,
}

/// Phase 2: the SDK clients of each connection (loaded once per region and role), and every
/// target resolved read-only. Any target that cannot run fails the whole rollout here.
pub async fn prepare(base: &AwsOptions, targets: Vec<Target>) -> Result<Rollout, Error> {
    let since = Instant::now();
    let clients = connect(base, &targets).await?;
    let mut problems = Vec::new();
    let total = targets.len();
    let shared = crate::resolve::shared_reads::SharedReads::default();
    let shared = &shared;
    let clients = &clients;
    let resolved: Vec<Result<Prepared, Error>> = stream::iter(targets)
        .map(|target| async move {
            let clients = clients[&target.connection].clone();
            match crate::resolve::resolve_sharing(&clients, &target.request, Some(shared)).await {
                Ok((definition, _)) => Ok(Prepared {
                    target,
                    clients,
                    definition,
                }),
                Err(cause) => Err(invalid(&target, cause)),
            }
        })
        .buffered(VALIDATE_AT_ONCE)
        .collect()
        .await;
    let mut prepared = Vec::with_capacity(total);
    for result in resolved {
        match result {
            Ok(target) => prepared.push(target),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidTargets { total, problems });
    }
    Ok(Rollout {
        targets: prepared,
        since,
    })
}

/// The SDK clients of each connection of `targets`, loaded once per region and role.
async fn connect(
    base: &AwsOptions,
    targets: &[Target],
) -> Result<BTreeMap<Connection, Clients>, Error> {
    let mut clients: BTreeMap<Connection, Clients> = BTreeMap::new();
    let mut problems = Vec::new();
    for target in targets {
        if clients.contains_key(&target.connection) {
            continue;
        }
        match crate::aws::load(&target.connection.options(base)).await {
            Ok(config) => {
                clients.insert(target.connection.clone(), Clients::new(&config));
            }
            Err(cause) => problems.push(invalid(target, cause)),
        }
    }
    if problems.is_empty() {
        Ok(clients)
    } else {
        Err(Error::InvalidTargets {
            total: targets.len(),
            problems,
        })
    }
}

fn invalid(target: &Target, cause: Error) -> Error {
    Error::InvalidTarget {
        target: target.name.clone(),
        key: cause
            .fields()
            .first()
            .copied()
            .map(crate::request::settings::key),
        cause: Box::new(cause),
    }
}

/// Phases 3–4 (the report's time counts from the validation's start). The first signal of `shutdown` stops new starts and is passed to every running
/// target (each stops its task and restores its services, as `run` does); at its hand-off no
/// new target starts and the running ones hand off.
pub async fn run(
    rollout: &Rollout,
    limits: Limits,
    progress: &dyn RolloutProgress,
    shutdown: &mut Shutdown,
) -> RolloutReport {
    let count = rollout.targets.len();
    progress.event(RolloutEvent::Validated {
        targets: count,
        canary: limits.canary.min(count),
    });
    // The caller's signal, passed on at once to the order (no new start) and to every running
    // target (each stops its task and restores its services).
    let hand_off = shutdown.hand_off_at();
    let (fire, fired) = watch::channel(false);
    let follower = |hand_off: Option<Instant>| {
        let mut fired = fired.clone();
        let own = Shutdown::new(async move {
            let _ = fired.wait_for(|fired| *fired).await;
        });
        match hand_off {
            Some(at) => own.with_hand_off(at),
            None => own,
        }
    };
    let on_stop = |ended: Ended, n: usize, not_started: usize| match ended {
        Ended::Halted => progress.event(RolloutEvent::Halted {
            failures: n,
            not_started,
        }),
        Ended::Interrupted | Ended::HandedOff => progress.event(RolloutEvent::Stopping {
            running: n,
            not_started,
        }),
        Ended::All => {}
    };
    let mut order_stop = follower(hand_off);
    let scheduled = schedule::schedule(count, limits, &mut order_stop, on_stop, |index, canary| {
        run_target(
            &rollout.targets[index],
            canary,
            progress,
            follower(hand_off),
        )
    });
    tokio::pin!(scheduled);
    let (results, ended) = tokio::select! {
        done = &mut scheduled => done,
        _ = shutdown.recv() => {
            let _ = fire.send(true);
            scheduled.await
        }
    };
    let targets: Vec<TargetReport> = results
        .into_iter()
        .zip(&rollout.targets)
        .map(|(result, prepared)| {
            result.unwrap_or_else(|| TargetReport {
                name: prepared.target.name.clone(),
                result: TargetResult::NotStarted,
                elapsed: Default::default(),
            })
        })
        .collect();
    let status = match ended {
        Ended::Interrupted => RolloutStatus::Interrupted,
        Ended::HandedOff => RolloutStatus::HandedOff,
        Ended::Halted => RolloutStatus::Halted,
        Ended::All if targets.iter().all(|t| t.result.succeeded()) => RolloutStatus::Succeeded,
        Ended::All if targets.iter().any(|t| t.result.status() == "still_running") => {
            RolloutStatus::HandedOff
        }
        Ended::All => RolloutStatus::Failed,
    };
    RolloutReport::new(status, targets, rollout.since.elapsed())
}

impl Judged for TargetReport {
    fn failed(&self) -> bool {
        self.result.failed()
    }
}

/// One target: the rest of its plan read right before it starts, then exactly a run.
async fn run_target(
    prepared: &Prepared,
    canary: bool,
    rollout: &dyn RolloutProgress,
    mut shutdown: Shutdown,
) -> TargetReport {
    let Prepared {
        target,
        clients,
        definition,
    } = prepared;
    let name = target.name.as_str();
    rollout.event(RolloutEvent::TargetStarted {
        target: name,
        canary,
    });
    let started = Instant::now();
    let progress = ForTarget {
        target: name,
        rollout,
    };
    let resolved = tokio::select! {
        plan = crate::resolve::complete(clients, &target.request, definition) => Some(plan),
        _ = shutdown.recv() => None,
    };
    let result = match resolved {
        None => TargetResult::NotStarted,
        Some(Err(err)) => TargetResult::Error(err),
        Some(Ok(plan)) => {
            use crate::progress::Progress;
            progress.event(Event::Planned(&plan));
            match migration::run(clients, &plan, &progress, &mut shutdown).await {
                Ok(report) => TargetResult::Report(Box::new(report)),
                Err(err) => TargetResult::Error(err),
            }
        }
    };
    let report = TargetReport {
        name: target.name.clone(),
        result,
        elapsed: started.elapsed(),
    };
    rollout.event(RolloutEvent::TargetFinished {
        target: name,
        report: &report,
    });
    report
}
