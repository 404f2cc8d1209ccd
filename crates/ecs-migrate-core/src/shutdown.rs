//! [`Shutdown`]: the caller's cancellation future, made safe to wait on again and again.
//!
//! Cancellation is an argument (as in mini-redis): the CLI passes "first SIGINT or SIGTERM", the
//! Lambda passes "the invocation deadline is near", tests pass whatever they like. The orchestration
//! selects on it at every wait, so no wait can outlive an interrupt.

use std::future::Future;
use std::pin::Pin;

pub struct Shutdown {
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    fired: bool,
}

impl Shutdown {
    pub fn new(signal: impl Future<Output = ()> + Send + 'static) -> Shutdown {
        Shutdown {
            signal: Box::pin(signal),
            fired: false,
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
}
