//! [`Pacer`]: spaces the calls of one kind that many runs make with the same clients, so that a
//! rollout's request rate stays under the account's quota however many targets run at once.
//! A run alone never waits (its own cadence is slower than the pace); twenty runs reading their
//! logs at once share the pace instead of each being throttled.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{sleep_until, Instant};

/// CloudWatch Logs reads (GetLogEvents) per second, for all the runs that share the clients.
pub const LOG_READS_PER_SECOND: u32 = 10;

#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    /// The earliest time the next call may go.
    next: Arc<Mutex<Option<Instant>>>,
}

impl Pacer {
    pub fn per_second(calls: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs(1) / calls.max(1),
            next: Arc::default(),
        }
    }

    /// Waits for this call's turn.
    pub async fn turn(&self) {
        let slot = {
            let mut next = self.next.lock().expect("pacer");
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        sleep_until(slot).await;
    }
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer::per_second(LOG_READS_PER_SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_together_are_spaced_and_a_lone_call_never_waits() {
        let pacer = Pacer::per_second(10);
        let start = Instant::now();
        pacer.turn().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        let waits = futures_util::future::join_all((0..5).map(|_| async {
            pacer.turn().await;
            start.elapsed().as_millis()
        }))
        .await;
        assert_eq!(waits, [100, 200, 300, 400, 500]);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let later = Instant::now();
        pacer.turn().await;
        assert_eq!(later.elapsed(), Duration::ZERO);
    }
}
