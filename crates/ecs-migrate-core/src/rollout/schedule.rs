//! The order of a rollout: the first `canary` targets alone, one after another, each of which
//! must succeed; then up to `concurrency` at once, in the file's order; no new start after
//! `max_failures` failures (0: never halt), after a canary's failure, or once the caller's
//! shutdown fires or its hand-off is due. Running targets always run to their end (their own
//! shutdown stops them): this only decides what starts.

use crate::Shutdown;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use std::future::Future;

/// How a rollout proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Targets run alone first, each one required to succeed (default 0).
    pub canary: usize,
    /// Targets at once after the canaries (default 10).
    pub concurrency: usize,
    /// Failures after which no new target starts; 0: never halt (default 1).
    pub max_failures: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            canary: 0,
            concurrency: 10,
            max_failures: 1,
        }
    }
}

/// Why no more targets started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every target ran.
    All,
    Halted,
    /// The shutdown's signal fired.
    Interrupted,
    /// The shutdown's hand-off came.
    HandedOff,
}

/// A target's result, as far as the order is concerned.
pub(crate) trait Judged {
    fn failed(&self) -> bool;
}

/// Runs `run(i)` for the targets `0..count` in the order above. Returns each target's result
/// (`None`: not started) and why the rollout stopped starting targets.
pub(crate) async fn schedule<R, F, Fut>(
    count: usize,
    limits: Limits,
    stop: &mut Shutdown,
    mut on_stop: impl FnMut(Ended, usize, usize),
    run: F,
) -> (Vec<Option<R>>, Ended)
where
    R: Judged,
    F: Fn(usize, bool) -> Fut,
    Fut: Future<Output = R>,
{
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    let mut failures = 0;
    let mut ended = Ended::All;
    let canary = limits.canary.min(count);
    for index in 0..canary {
        if let Some(why) = stopped(stop).await {
            ended = why;
            break;
        }
        let result = run(index, true).await;
        let failed = result.failed();
        results[index] = Some(result);
        if failed {
            ended = Ended::Halted;
            on_stop(ended, failures + 1, count - index - 1);
            return (results, ended);
        }
    }
    if ended != Ended::All {
        on_stop(ended, 0, count - results.iter().flatten().count());
        return (results, ended);
    }
    let mut next = canary;
    let mut running = FuturesUnordered::new();
    let concurrency = limits.concurrency.max(1);
    loop {
        while ended == Ended::All && running.len() < concurrency && next < count {
            let index = next;
            next += 1;
            let target = run(index, false);
            running.push(async move { (index, target.await) });
        }
        if running.is_empty() {
            break;
        }
        let finished = if ended == Ended::All {
            tokio::select! {
                finished = running.next() => finished,
                _ = stop.recv_or_hand_off() => {
                    ended = if stop.has_fired().await { Ended::Interrupted } else { Ended::HandedOff };
                    on_stop(ended, running.len(), count - next);
                    continue;
                }
            }
        } else {
            running.next().await
        };
        let Some(first) = finished else {
            break;
        };
        // Every target that ended at the same moment counts before any new one starts.
        let mut done = vec![first];
        while let Some(Some(more)) = running.next().now_or_never() {
            done.push(more);
        }
        for (index, result) in done {
            failures += usize::from(result.failed());
            results[index] = Some(result);
        }
        let too_many = limits.max_failures > 0 && failures >= limits.max_failures;
        if ended == Ended::All && too_many && next < count {
            ended = Ended::Halted;
            on_stop(ended, failures, count - next);
        }
    }
    (results, ended)
}

/// Whether the shutdown fired (or its hand-off is due) by now, and which.
async fn stopped(stop: &mut Shutdown) -> Option<Ended> {
    if stop.has_fired().await {
        return Some(Ended::Interrupted);
    }
    match stop.hand_off_at() {
        Some(at) if at <= tokio::time::Instant::now() => Some(Ended::HandedOff),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::time::{sleep, Instant};

    /// (the second it started at, whether it succeeded)
    impl Judged for (u64, bool) {
        fn failed(&self) -> bool {
            !self.1
        }
    }

    /// Runs `count` targets of 10 s each, those in `failing` failing; returns (started at second
    /// N for each target or None, ended).
    async fn rollout(
        count: usize,
        limits: Limits,
        failing: &[usize],
        stop: &mut Shutdown,
    ) -> (Vec<Option<u64>>, Ended, usize) {
        let start = Instant::now();
        let peak = Mutex::new((0usize, 0usize));
        let (results, ended) = schedule(
            count,
            limits,
            stop,
            |_, _, _| {},
            |index, _| {
                let failing = failing.contains(&index);
                let peak = &peak;
                async move {
                    let began = start.elapsed().as_secs();
                    {
                        let mut p = peak.lock().unwrap();
                        p.0 += 1;
                        p.1 = p.1.max(p.0);
                    }
                    sleep(Duration::from_secs(10)).await;
                    peak.lock().unwrap().0 -= 1;
                    (began, !failing)
                }
            },
        )
        .await;
        let starts = results.into_iter().map(|r| r.map(|(at, _)| at)).collect();
        (starts, ended, peak.into_inner().unwrap().1)
    }

    #[tokio::test(start_paused = true)]
    async fn targets_run_in_waves_of_the_concurrency_and_never_more_at_once() {
        let limits = Limits {
            concurrency: 6,
            max_failures: 0,
            ..Limits::default()
        };
        let (starts, ended, peak) = rollout(24, limits, &[3], &mut Shutdown::never()).await;
        assert_eq!(ended, Ended::All);
        assert_eq!(peak, 6);
        let starts: Vec<u64> = starts.into_iter().map(Option::unwrap).collect();
        assert_eq!(&starts[..7], [0, 0, 0, 0, 0, 0, 10]);
        assert_eq!(starts[23], 30);
    }

    #[tokio::test(start_paused = true)]
    async fn canaries_run_alone_first_and_a_failing_one_halts_everything() {
        let limits = Limits {
            canary: 2,
            concurrency: 5,
            max_failures: 0,
        };
        let (starts, ended, peak) = rollout(8, limits, &[], &mut Shutdown::never()).await;
        assert_eq!((ended, peak), (Ended::All, 5));
        assert_eq!(starts[..3], [Some(0), Some(10), Some(20)]);

        let (starts, ended, _) = rollout(8, limits, &[0], &mut Shutdown::never()).await;
        assert_eq!(ended, Ended::Halted);
        assert_eq!(starts.iter().flatten().count(), 1, "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn after_max_failures_nothing_new_starts_and_the_running_ones_finish() {
        let limits = Limits {
            canary: 0,
            concurrency: 3,
            max_failures: 2,
        };
        // Wave 1 (0, 1, 2): 1 and 2 fail at 10 s; 3, 4, 5 must never start.
        let (starts, ended, _) = rollout(10, limits, &[1, 2], &mut Shutdown::never()).await;
        assert_eq!(ended, Ended::Halted);
        assert_eq!(starts.iter().flatten().count(), 3, "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_shutdown_stops_new_starts_and_waits_for_the_running_ones() {
        let mut stop = Shutdown::new(sleep(Duration::from_secs(15)));
        let limits = Limits {
            concurrency: 2,
            ..Limits::default()
        };
        let started = Instant::now();
        let (starts, ended, _) = rollout(10, limits, &[], &mut stop).await;
        assert_eq!(ended, Ended::Interrupted);
        assert_eq!(starts.iter().flatten().count(), 4, "{starts:?}");
        assert_eq!(
            started.elapsed().as_secs(),
            20,
            "the second wave ran to its end"
        );
    }
}
