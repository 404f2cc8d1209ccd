//! [`Shutdown`]: the caller's cancellation future, made safe to wait on again and again.
//!
//! Cancellation is an argument (as in mini-redis): the CLI passes "first SIGINT or SIGTERM", the
//! Lambda passes "the invocation deadline is near", tests pass whatever they like. The orchestration
//! selects on it at every wait, so no wait can outlive an interrupt.
//!
//! Two kinds of stopping:
//! - the *signal* (Ctrl-C, SIGTERM): stop the migration task, restore, report `interrupted`;
//! - the *hand-off* (the Lambda's deadline is near): stop *waiting* and leave the task running,
//!   the services paused as recorded and the lock held, so that the next invocation with the same
//!   input re-attaches to the task and finishes the job ([`crate::Error::StillRunning`]).

use std::future::Future;
use std::pin::Pin;
use tokio::time::{sleep_until, Instant};

pub struct Shutdown {
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    fired: bool,
    hand_off: Option<Instant>,
}

impl Shutdown {
    pub fn new(signal: impl Future<Output = ()> + Send + 'static) -> Shutdown {
        Shutdown {
            signal: Box::pin(signal),
            fired: false,
            hand_off: None,
        }
    }

    /// Stop waiting for the migration task at `at`, leaving it running (see the module docs).
    pub fn with_hand_off(mut self, at: Instant) -> Shutdown {
        self.hand_off = Some(at);
        self
    }

    /// When the hand-off is due, if there is one.
    pub fn hand_off_at(&self) -> Option<Instant> {
        self.hand_off
    }

    /// Completes when the signal fires or the hand-off is due: for the waits before the
    /// migration task exists, where both mean "give up cleanly".
    pub async fn recv_or_hand_off(&mut self) {
        let at = self.hand_off;
        tokio::select! {
            _ = self.recv() => {}
            _ = async {
                match at {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }

    /// A shutdown that never fires.
    pub fn never() -> Shutdown {
        Shutdown::new(std::future::pending())
    }

    /// Completes once the signal has fired; at once on every call after that.
    pub async fn recv(&mut self) {
        if !self.fired {
            self.signal.as_mut().await;
            self.fired = true;
        }
    }

    /// Whether the signal has fired by now, without waiting.
    pub async fn has_fired(&mut self) -> bool {
        tokio::select! {
            biased;
            _ = self.recv() => true,
            _ = std::future::ready(()) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_once_and_stays_fired() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut shutdown = Shutdown::new(async move {
            let _ = rx.await;
        });
        assert!(!shutdown.has_fired().await);
        tx.send(()).unwrap();
        shutdown.recv().await;
        assert!(shutdown.has_fired().await);
        shutdown.recv().await; // does not hang, does not panic
    }

    #[tokio::test(start_paused = true)]
    async fn the_hand_off_fires_at_its_time_and_not_the_signal() {
        let start = Instant::now();
        let mut shutdown =
            Shutdown::never().with_hand_off(start + std::time::Duration::from_secs(30));
        shutdown.recv_or_hand_off().await;
        assert_eq!(start.elapsed().as_secs(), 30);
        assert!(
            !shutdown.has_fired().await,
            "a hand-off is not an interrupt"
        );
        assert_eq!(
            shutdown.hand_off_at(),
            Some(start + std::time::Duration::from_secs(30))
        );
    }
}
