//! Phase 4 of the pause: wait until the services' old tasks are really gone — every container of
//! theirs STOPPED (`watch/decide_at.rs`), not just `runningCount` — backing off while throttled.

use super::{Drain, Paused, DRAIN_POLL};
use crate::aws::call;
use crate::progress::Event;
use crate::watch::decide_at::app_task_over;
use crate::watch::{next_backoff, sleep_until_or_never};
use crate::{Clients, Error, Progress, Shutdown};
use aws_sdk_ecs::types::DesiredStatus;
use std::collections::BTreeSet;
use tokio::time::{sleep, Instant};

impl Paused<'_> {
    /// Waits until no service has more tasks than `min_capacity` left, the deadline passes or
    /// shutdown fires. Throttling that outlasts the SDK's retries is waited out (a drain can take
    /// minutes: stopTimeout, load balancer deregistration), backing off up to 30 s.
    pub(super) async fn drain(
        &self,
        min_capacity: i32,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
    ) -> Result<Drain, Error> {
        let started = Instant::now();
        let mut delay = DRAIN_POLL;
        loop {
            match self.remaining_tasks(min_capacity).await {
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

    /// How many tasks beyond the paused count are not gone yet (`watch/decide_at.rs`: every
    /// container of theirs stopped), over all services. ListTasks and DescribeTasks are
    /// eventually consistent (a task started a moment ago may be missing from both), so a task
    /// listed but not described counts as alive, and the service's own `runningCount +
    /// pendingCount` is a floor (docs/aws-semantics.md, row 5).
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
            let over = crate::launch::live_tasks::describe(
                &self.clients.ecs,
                self.cluster,
                &arns,
                self.progress,
            )
            .await?
            .iter()
            .filter(|t| app_task_over(t, self.decide_at))
            .count();
            let alive = arns.len().saturating_sub(over);
            let counted = self.service_counts(&entry.target.name).await?;
            remaining += alive
                .max(counted)
                .saturating_sub(min_capacity.max(0) as usize);
        }
        Ok(remaining)
    }

    /// The service's `runningCount + pendingCount`, as DescribeServices says.
    async fn service_counts(&self, service: &str) -> Result<usize, Error> {
        let call = self
            .clients
            .ecs
            .describe_services()
            .cluster(self.cluster)
            .services(service);
        let out = call::send(
            self.progress,
            "DescribeServices",
            || format!("service `{service}` in cluster `{}`", self.cluster),
            || call.clone().send(),
        )
        .await?;
        Ok(out
            .services()
            .iter()
            .map(|s| (s.running_count().max(0) + s.pending_count().max(0)) as usize)
            .sum())
    }
}

/// The service's tasks that ECS wants running.
pub(super) async fn service_tasks(
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
