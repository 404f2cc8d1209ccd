//! Watch: wait until the migration is over, cheaply and promptly, and stop the task on timeout
//! or shutdown.
//!
//! "Over" is the deciding container's exit, not the task's STOPPED: Fargate tears a task down for
//! 10–30 s after its containers stopped, and nothing of the migration runs meanwhile
//! (`watch/decide_at.rs`; `DecideAt::TaskStopped` waits the teardown out). The task finishes stopping
//! on its own; a deciding container that is not essential leaves the task running with its
//! sidecars, and the watch stops the rest.
//!
//! Cadence (the numbers a benchmark holds us to):
//! - one DescribeTasks every [`POLL`] (1.2 s): the verdict comes at most ~1.2 s after the deciding
//!   container exits (target: 1.5 s). The period is a little over a second so that the call that
//!   *sees* the exit, which necessarily comes after it, still fits in the budget of one call per
//!   second of migration: ~0.83 calls a second while the task lives, plus that one (at 1 s it was
//!   1 + ½ s ÷ the task's lifetime, above 1 for every migration; `docs/benchmarks.md`);
//! - throttling, 5xx and network faults are waited out, never fatal: the delay doubles from 2 s up
//!   to [`MAX_BACKOFF`] (30 s) and goes back to [`POLL`] after the next good answer (the SDK has
//!   already retried each call with its own jittered backoff before we see the error);
//! - ECS may answer MISSING for a task it just returned from RunTask (eventual consistency): that is
//!   retried for [`MISSING_GRACE`] (60 s) before it is an error;
//! - after StopTask, we wait up to [`STOP_WAIT`] (3 min: ECS's longest `stopTimeout` is 120 s) for
//!   the deciding container's exit, so the report carries its exit code.

pub(crate) mod decide_at;
pub(crate) mod log_follower;
mod stop;
pub(crate) mod task_poller;
pub(crate) mod verdict;

use crate::error::{classify, Retry};
use crate::progress::{Event, Progress};
use crate::watch::decide_at::migration_over;
use crate::watch::task_poller::{Observation, TaskPoller};
use crate::watch::verdict::Ending;
use crate::{Clients, DecideAt, Error, Plan, Shutdown};
use aws_sdk_ecs::types::Task;
use aws_sdk_ecs::Client;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::{sleep_until, Instant};

pub(crate) const POLL: Duration = Duration::from_millis(1200);
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_secs(2);
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);
pub(crate) const MISSING_GRACE: Duration = Duration::from_secs(60);
pub(crate) const STOP_WAIT: Duration = Duration::from_secs(180);

/// One task being watched.
pub(crate) struct Watch<'a> {
    pub ecs: &'a Client,
    /// The cluster's DescribeTasks loop, shared with every other run watching a task there.
    poller: Arc<TaskPoller>,
    pub cluster: &'a str,
    pub task_arn: &'a str,
    /// The container whose exit decides.
    container: &'a str,
    container_essential: bool,
    decide_at: DecideAt,
    pub progress: &'a dyn Progress,
    /// When the run started (for elapsed times and the timeout message).
    pub started: Instant,
    last_status: Option<String>,
    launched: Instant,
    /// Attached to a task an earlier run started: the timeout counts from the task's creation.
    attached: bool,
}

enum Seen {
    Task(Box<Task>),
    /// DescribeTasks answered with a `MISSING` failure (or no task) for our ARN.
    Missing,
}

enum Failed {
    /// Throttling, a 5xx or a network fault: wait it out (the next look is that far away).
    Transient(String, Duration),
    /// Access denied, validation: waiting will not help.
    Permanent(String),
}

impl<'a> Watch<'a> {
    pub(crate) fn new(
        clients: &'a Clients,
        plan: &'a Plan,
        task_arn: &'a str,
        progress: &'a dyn Progress,
        started: Instant,
    ) -> Watch<'a> {
        Watch {
            ecs: &clients.ecs,
            poller: clients.tasks.of(&clients.ecs, &plan.cluster),
            cluster: &plan.cluster,
            task_arn,
            container: &plan.container,
            container_essential: plan.container_essential,
            decide_at: plan.decide_at,
            progress,
            started,
            last_status: None,
            launched: Instant::now(),
            attached: false,
        }
    }

    /// The task was started by an earlier run (re-attach): its age counts against the timeout,
    /// so a migration re-attached to again and again still ends at its timeout.
    pub(crate) fn attached(mut self, attached: bool) -> Watch<'a> {
        self.attached = attached;
        self
    }

    /// Waits until the migration is over (see the module's doc), the deadline passes, or shutdown
    /// fires. In the last two cases the task is stopped (and its deciding container's exit waited
    /// for) before returning. At the shutdown's hand-off time it returns [`Error::StillRunning`]
    /// and leaves the task alone.
    pub(crate) async fn until_over(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
    ) -> Result<(Task, Ending), Error> {
        let hand_off = shutdown.hand_off_at();
        // The timeout as the user gave it, for the message, whatever the task's age.
        let timeout = deadline.map(|d| d - self.started);
        let mut deadline = deadline;
        let mut aged = !self.attached;
        loop {
            let observation = tokio::select! {
                biased;
                _ = shutdown.recv() => {
                    return self.stop("ecs-migrate: interrupted by the operator", Ending::Interrupted).await;
                }
                _ = sleep_until_or_never(deadline) => {
                    let after = timeout.unwrap_or_default();
                    let reason = format!(
                        "ecs-migrate: timed out after {}",
                        humantime::format_duration(after)
                    );
                    return self.stop(&reason, Ending::TimedOut(after)).await;
                }
                _ = sleep_until_or_never(hand_off) => {
                    return Err(Error::StillRunning {
                        cluster: self.cluster.to_owned(),
                        task_arn: self.task_arn.to_owned(),
                        waited: self.launched.elapsed().as_secs(),
                    });
                }
                observation = self.poller.next(self.task_arn) => observation,
            };
            match self.seen(observation) {
                Ok(Seen::Task(task)) => {
                    if self.is_over(&task) {
                        self.stop_the_rest(&task).await;
                        return Ok((*task, Ending::Stopped));
                    }
                    if !aged {
                        aged = true;
                        let lead = self.lead(&task);
                        deadline =
                            deadline.map(|d| d.checked_sub(lead).unwrap_or_else(Instant::now));
                    }
                }
                Ok(Seen::Missing) => self.check_missing_grace()?,
                Err(Failed::Transient(message, retry_in)) => {
                    self.progress.event(Event::Retrying {
                        operation: "DescribeTasks",
                        message,
                        retry_in,
                    });
                }
                Err(Failed::Permanent(message)) => {
                    return Err(Error::LostTask {
                        cluster: self.cluster.to_owned(),
                        task_arn: self.task_arn.to_owned(),
                        message: format!("DescribeTasks failed: {message}"),
                    });
                }
            }
        }
    }

    /// How long before this run started the attached task was created.
    fn lead(&self, task: &Task) -> Duration {
        let age = task
            .created_at()
            .and_then(|at| SystemTime::try_from(*at).ok())
            .and_then(|at| SystemTime::now().duration_since(at).ok())
            .unwrap_or_default();
        age.saturating_sub(self.started.elapsed())
    }

    fn is_over(&self, task: &Task) -> bool {
        migration_over(task, self.container, self.decide_at)
    }

    /// One DescribeTasks of this task alone, now (the stop path: it cannot wait for the next
    /// round of the shared poller).
    async fn describe(&mut self) -> Result<Seen, Failed> {
        let out = self
            .ecs
            .describe_tasks()
            .cluster(self.cluster)
            .tasks(self.task_arn)
            .send()
            .await;
        let observation = match out {
            Ok(out) => match out
                .tasks()
                .iter()
                .find(|t| t.task_arn() == Some(self.task_arn))
            {
                Some(task) => Observation::Task(Box::new(task.clone())),
                None => Observation::Missing,
            },
            Err(err) => match classify(&err) {
                Retry::Transient => Observation::Transient {
                    message: crate::error::one_line(&err),
                    retry_in: POLL,
                },
                Retry::Permanent => Observation::Permanent(crate::error::one_line(&err)),
            },
        };
        self.seen(observation)
    }

    /// What a look at the task found, reporting status transitions as they are seen.
    fn seen(&mut self, observation: Observation) -> Result<Seen, Failed> {
        match observation {
            Observation::Task(task) => {
                let status = task.last_status().unwrap_or("UNKNOWN");
                if self.last_status.as_deref() != Some(status) {
                    self.last_status = Some(status.to_owned());
                    self.progress.event(Event::TaskStatus {
                        task_arn: self.task_arn,
                        status,
                        elapsed: self.started.elapsed(),
                    });
                }
                Ok(Seen::Task(task))
            }
            Observation::Missing => Ok(Seen::Missing),
            Observation::Transient { message, retry_in } => {
                Err(Failed::Transient(message, retry_in))
            }
            Observation::Permanent(message) => Err(Failed::Permanent(message)),
        }
    }

    fn check_missing_grace(&self) -> Result<(), Error> {
        let missing_for = self.launched.elapsed();
        if missing_for > MISSING_GRACE {
            return Err(Error::TaskMissing {
                cluster: self.cluster.to_owned(),
                task_arn: self.task_arn.to_owned(),
                seconds: missing_for.as_secs(),
            });
        }
        Ok(())
    }
}

/// When the task's containers stopped, as ECS says (`executionStoppedAt`, else `stoppedAt`;
/// neither is set yet while an essential sidecar is still stopping: then now), never later than
/// now on this machine's clock.
pub(crate) fn stopped_at(task: &Task) -> SystemTime {
    let now = SystemTime::now();
    task.execution_stopped_at()
        .or(task.stopped_at())
        .and_then(|at| SystemTime::try_from(*at).ok())
        .map_or(now, |at| at.min(now))
}

/// The next wait after a transient failure: 2 s first, then doubling up to [`MAX_BACKOFF`]
/// (every wait loop backs off the same way: the task, the logs, the drain).
pub(crate) fn next_backoff(delay: Duration) -> Duration {
    if delay < FIRST_BACKOFF {
        FIRST_BACKOFF
    } else {
        (delay * 2).min(MAX_BACKOFF)
    }
}

/// Sleeps until `deadline`, or forever when there is none (`--timeout 0`).
pub(crate) async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_caps_at_thirty() {
        let mut delay = POLL;
        let mut seen = vec![];
        for _ in 0..6 {
            delay = next_backoff(delay);
            seen.push(delay.as_secs());
        }
        assert_eq!(seen, [2, 4, 8, 16, 30, 30]);
    }
}
