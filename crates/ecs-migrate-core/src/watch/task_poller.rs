//! [`TaskPoller`]: one DescribeTasks loop per cluster (and per SDK client, so per account and
//! region), shared by every run watching a task there. A run alone gets what it always had —
//! one call every [`POLL`], the first one [`POLL`] after it asks — and twenty runs of a rollout
//! in one cluster get one call for all of them (up to 100 tasks a call, ECS's limit), not twenty.
//!
//! A round's failure is every watcher's: throttling, a 5xx or a network fault backs the whole
//! loop off (2 s doubling to 30 s, as every wait loop does) — ECS throttles per account, so
//! more callers backing off alone would only keep the bucket empty — and it goes back to
//! [`POLL`] after the next good answer. A watcher that stops asking (its run ended, was
//! interrupted, or handed off) simply drops out; the loop ends when nobody asks.

use crate::error::{classify, one_line, Retry};
use crate::watch::{next_backoff, POLL};
use aws_sdk_ecs::types::Task;
use aws_sdk_ecs::Client;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{sleep_until, Instant};

/// ECS's most tasks in one DescribeTasks.
pub(crate) const TASKS_PER_CALL: usize = 100;

/// What one round saw of one task.
#[derive(Debug, Clone)]
pub(crate) enum Observation {
    Task(Box<Task>),
    /// DescribeTasks answered `MISSING` (or nothing) for it.
    Missing,
    /// Throttling, a 5xx or a network fault: the next round is `retry_in` away.
    Transient {
        message: String,
        retry_in: Duration,
    },
    /// Access denied, validation: waiting will not help.
    Permanent(String),
}

/// The pollers of one set of clients, one per cluster.
#[derive(Clone, Default)]
pub struct TaskPollers(Arc<Mutex<HashMap<String, Arc<TaskPoller>>>>);

impl fmt::Debug for TaskPollers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskPollers")
    }
}

impl TaskPollers {
    pub(crate) fn of(&self, ecs: &Client, cluster: &str) -> Arc<TaskPoller> {
        let mut pollers = self.0.lock().expect("pollers");
        pollers
            .entry(cluster.to_owned())
            .or_insert_with(|| {
                Arc::new(TaskPoller {
                    ecs: ecs.clone(),
                    cluster: cluster.to_owned(),
                    state: Mutex::new(State::default()),
                })
            })
            .clone()
    }
}

pub(crate) struct TaskPoller {
    ecs: Client,
    cluster: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Who waits for the next round, by task.
    waiting: HashMap<String, Vec<oneshot::Sender<Observation>>>,
    /// A loop is running.
    driving: bool,
    /// When the last round started, and the wait before the next one.
    last_round: Option<Instant>,
    delay: Option<Duration>,
}

impl TaskPoller {
    /// What the next round sees of `task_arn`.
    pub(crate) async fn next(self: &Arc<Self>, task_arn: &str) -> Observation {
        let (sender, receiver) = oneshot::channel();
        let start = {
            let mut state = self.state.lock().expect("poller state");
            state
                .waiting
                .entry(task_arn.to_owned())
                .or_default()
                .push(sender);
            !std::mem::replace(&mut state.driving, true)
        };
        if start {
            tokio::spawn(Arc::clone(self).drive());
        }
        receiver.await.unwrap_or_else(|_| Observation::Transient {
            message: "the task poller stopped".into(),
            retry_in: POLL,
        })
    }

    async fn drive(self: Arc<Self>) {
        loop {
            let at = {
                let state = self.state.lock().expect("poller state");
                let delay = state.delay.unwrap_or(POLL);
                match state.last_round {
                    Some(last) => (last + delay).max(Instant::now()),
                    None => Instant::now() + delay,
                }
            };
            sleep_until(at).await;
            let mut round: Vec<(String, Vec<oneshot::Sender<Observation>>)> = {
                let mut state = self.state.lock().expect("poller state");
                state.last_round = Some(at);
                let round: Vec<_> = state
                    .waiting
                    .drain()
                    .map(|(arn, senders)| {
                        (
                            arn,
                            senders.into_iter().filter(|s| !s.is_closed()).collect(),
                        )
                    })
                    .filter(|(_, senders): &(String, Vec<_>)| !senders.is_empty())
                    .collect();
                if round.is_empty() {
                    state.driving = false;
                    return;
                }
                round
            };
            let mut throttled = false;
            while !round.is_empty() {
                let rest = round.split_off(round.len().min(TASKS_PER_CALL));
                let chunk = std::mem::replace(&mut round, rest);
                let answer = self
                    .describe(chunk.iter().map(|(arn, _)| arn.as_str()))
                    .await;
                throttled |= matches!(answer, Answer::Transient(_));
                self.deliver(chunk, &answer);
            }
            let mut state = self.state.lock().expect("poller state");
            state.delay = throttled.then(|| next_backoff(state.delay.unwrap_or(POLL)));
        }
    }

    /// One DescribeTasks.
    async fn describe<'a>(&self, arns: impl Iterator<Item = &'a str>) -> Answer {
        let mut call = self.ecs.describe_tasks().cluster(&self.cluster);
        for arn in arns {
            call = call.tasks(arn);
        }
        match call.send().await {
            Ok(out) => Answer::Tasks(
                out.tasks()
                    .iter()
                    .filter_map(|t| Some((t.task_arn()?.to_owned(), t.clone())))
                    .collect(),
            ),
            Err(err) => match classify(&err) {
                Retry::Transient => Answer::Transient(one_line(&err)),
                Retry::Permanent => Answer::Permanent(one_line(&err)),
            },
        }
    }

    fn deliver(&self, chunk: Vec<(String, Vec<oneshot::Sender<Observation>>)>, answer: &Answer) {
        let retry_in = next_backoff(
            self.state
                .lock()
                .expect("poller state")
                .delay
                .unwrap_or(POLL),
        );
        for (arn, senders) in chunk {
            let observation = match answer {
                Answer::Tasks(tasks) => match tasks.get(&arn) {
                    Some(task) => Observation::Task(Box::new(task.clone())),
                    None => Observation::Missing,
                },
                Answer::Transient(message) => Observation::Transient {
                    message: message.clone(),
                    retry_in,
                },
                Answer::Permanent(message) => Observation::Permanent(message.clone()),
            };
            for sender in senders {
                let _ = sender.send(observation.clone());
            }
        }
    }
}

/// What one DescribeTasks answered.
enum Answer {
    Tasks(HashMap<String, Task>),
    Transient(String),
    Permanent(String),
}
