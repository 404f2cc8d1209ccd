//! Follow the migration's log stream while the task runs, then read it to its end.
//!
//! Every anchor tool we studied loses lines; this one must not:
//! - it pages with `startFromHead` and the forward token, so no event is skipped or repeated;
//! - a stream that does not exist yet is normal (the container has not started): keep polling;
//! - CloudWatch shows an event a moment after it was put (ingestion lag), and may answer an empty
//!   page with a new forward token before the end: only an unchanged token means "caught up for
//!   now". "Read to the end" is: a read that *began* at least the settle window (`--log-settle`,
//!   default 1 s) after the containers stopped (ECS's `executionStoppedAt`, never later than our
//!   own clock's "now" when we saw the deciding container's exit) found the token unchanged. A
//!   line that became visible within that window is shown; the trade-off is that the run ends
//!   up to the window after the exit. The paused services do not wait for it: they are restored
//!   at the verdict, while this read settles (docs/aws-semantics.md, docs/benchmarks.md);
//! - throttling and 5xx back off (2 s doubling to 30 s) and never end the run.
//!
//! Cadence: one GetLogEvents a second while the task runs (more only while pages come back full).

use crate::aws::pacer::Pacer;
use crate::error::{classify, Retry};
use crate::progress::{Event, Progress};
use crate::watch::next_backoff;
use crate::{Clients, LogSource, Plan};
use aws_sdk_cloudwatchlogs::Client;
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio::time::{sleep, Instant};

const POLL: Duration = Duration::from_secs(1);
/// Within the settle window, how often the stream is read again.
const SETTLE_POLL: Duration = Duration::from_millis(400);
/// After STOPPED, how long transient errors are retried before the tail is given up.
const FINAL_READ_PATIENCE: Duration = Duration::from_secs(60);

/// What the follower saw, for the report.
#[derive(Debug, Default)]
pub(crate) struct Followed {
    pub tail: Vec<String>,
    pub lines: u64,
}

pub(crate) struct LogFollower<'a> {
    logs: Client,
    /// Shared by every run using the same clients (a rollout's targets).
    pacer: Pacer,
    group: String,
    stream: String,
    token: Option<String>,
    tail: VecDeque<String>,
    tail_len: usize,
    lines: u64,
    progress: &'a dyn Progress,
    settle: Duration,
}

enum Read {
    /// Caught up: the forward token did not change.
    CaughtUp,
    /// The stream does not exist (yet).
    NoStream,
}

enum Failed {
    Transient(String),
    Permanent(String),
}

impl<'a> LogFollower<'a> {
    pub(crate) fn new(
        clients: &Clients,
        source: &LogSource,
        task_arn: &str,
        plan: &Plan,
        progress: &'a dyn Progress,
    ) -> LogFollower<'a> {
        // How many lines the report keeps, and how long the stream must stay quiet at the end.
        let (tail_len, settle) = (plan.log_tail, plan.log_settle);
        let logs = &clients.logs;
        // The group may live in another region than ecs-migrate's (awslogs-region).
        let logs = match &source.region {
            Some(region) if logs.config().region().map(|r| r.as_ref()) != Some(region.as_str()) => {
                Client::from_conf(
                    logs.config()
                        .to_builder()
                        .region(aws_sdk_cloudwatchlogs::config::Region::new(region.clone()))
                        .build(),
                )
            }
            _ => logs.clone(),
        };
        LogFollower {
            logs,
            pacer: clients.log_reads.clone(),
            group: source.group.clone(),
            stream: source.stream(task_arn),
            token: None,
            tail: VecDeque::with_capacity(tail_len),
            tail_len,
            lines: 0,
            progress,
            settle,
        }
    }

    /// Follows until `stopped` carries the moment the containers stopped, then reads to the end
    /// of the stream (see the module's doc for what "the end" is).
    pub(crate) async fn follow(
        mut self,
        mut stopped: watch::Receiver<Option<SystemTime>>,
    ) -> Followed {
        let mut delay = POLL;
        let mut final_read_since: Option<Instant> = None;
        let mut settled_at: Option<Instant> = None;
        loop {
            // Sampled *before* reading: only a read that starts after the window is the last one.
            let stopped_at = *stopped.borrow_and_update();
            let was_stopped = stopped_at.is_some();
            if let Some(at) = stopped_at {
                final_read_since.get_or_insert_with(Instant::now);
                settled_at.get_or_insert_with(|| {
                    let now = SystemTime::now();
                    let since = now.duration_since(at.min(now)).unwrap_or_default();
                    Instant::now() + self.settle.saturating_sub(since)
                });
            }
            let settled = settled_at.is_some_and(|at| Instant::now() >= at);
            let mut backing_off = false;
            match self.read_available(was_stopped).await {
                Ok(Read::CaughtUp) => {
                    delay = if was_stopped { SETTLE_POLL } else { POLL };
                    if settled {
                        break;
                    }
                }
                Ok(Read::NoStream) => {
                    delay = if was_stopped { SETTLE_POLL } else { POLL };
                    if settled {
                        if self.lines == 0 {
                            self.progress.event(Event::Warning(format!(
                                "log stream {} in {} was never created: the container wrote nothing or never started",
                                self.stream, self.group
                            )));
                        }
                        break;
                    }
                }
                Err(Failed::Permanent(message)) => {
                    self.progress.event(Event::Warning(format!(
                        "cannot read logs from {} {}: {message}; the run goes on without them",
                        self.group, self.stream
                    )));
                    break;
                }
                Err(Failed::Transient(message)) => {
                    backing_off = true;
                    delay = next_backoff(delay);
                    if let Some(since) = final_read_since {
                        if since.elapsed() > FINAL_READ_PATIENCE {
                            self.progress.event(Event::Warning(format!(
                                "gave up reading the end of the log stream {}: {message}; the last lines may be missing here (they are in CloudWatch)",
                                self.stream
                            )));
                            break;
                        }
                    }
                    self.progress.event(Event::Retrying {
                        operation: "GetLogEvents",
                        message,
                        retry_in: delay,
                    });
                }
            }
            if let Some(at) = settled_at {
                // Within the window, caught up: read again at its end at the latest. After an
                // error: back off.
                let wake = if backing_off {
                    Instant::now() + delay
                } else {
                    (Instant::now() + delay).min(at.max(Instant::now()))
                };
                tokio::time::sleep_until(wake).await;
            } else {
                tokio::select! {
                    _ = sleep(delay) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
        Followed {
            tail: self.tail.into_iter().collect(),
            lines: self.lines,
        }
    }

    /// Reads pages until caught up. While following, a page that is not full counts as caught
    /// up (one call per poll); for the final read, only an unchanged forward token does.
    async fn read_available(&mut self, strict: bool) -> Result<Read, Failed> {
        loop {
            self.pacer.turn().await;
            let out = self
                .logs
                .get_log_events()
                .log_group_name(&self.group)
                .log_stream_name(&self.stream)
                .start_from_head(true)
                .set_next_token(self.token.clone())
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    return Ok(Read::NoStream)
                }
                Err(err) => {
                    let message = crate::error::one_line(&err);
                    return Err(match classify(&err) {
                        Retry::Transient => Failed::Transient(message),
                        Retry::Permanent => Failed::Permanent(message),
                    });
                }
            };
            let events = out.events();
            for event in events {
                let message = event
                    .message()
                    .unwrap_or_default()
                    .trim_end_matches(['\n', '\r']);
                self.lines += 1;
                if self.tail_len > 0 {
                    if self.tail.len() == self.tail_len {
                        self.tail.pop_front();
                    }
                    self.tail.push_back(message.to_owned());
                }
                self.progress.event(Event::LogLine {
                    timestamp_ms: event.timestamp(),
                    message,
                });
            }
            let next = out.next_forward_token().map(str::to_owned);
            let unchanged = next.is_none() || next == self.token;
            if next.is_some() {
                self.token = next;
            }
            // CloudWatch returns at most 10,000 events or 1 MB a page.
            let page_full = events.len() >= 10_000;
            if unchanged || (!strict && !page_full && !events.is_empty()) {
                return Ok(Read::CaughtUp);
            }
        }
    }
}
