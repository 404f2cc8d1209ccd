//! [`Pacer`]: a token bucket for the calls of one kind that every run sharing the same clients
//! makes, so that a rollout's request rate stays under the account's quotas however many
//! targets run at once (ECS throttles per account and Region with token buckets too:
//! docs/aws-semantics.md). A run alone never waits (its calls come slower than the pace, in
//! bursts smaller than the bucket); twenty runs at once share the pace instead of each being
//! throttled and backing off.
//!
//! Two pacers exist per set of clients: every ECS request (the SDK's own HTTP client, wrapped
//! by [`paced_http_client`], so retries count too) and CloudWatch Logs reads.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// ECS requests per second, sustained, and the burst on top: at most 20 in any second, the
/// sustained rate of ECS's read buckets in its documented example.
pub const ECS_CALLS_PER_SECOND: f64 = 15.0;
pub const ECS_BURST: f64 = 5.0;
/// CloudWatch Logs reads (GetLogEvents) per second, and their burst.
pub const LOG_READS_PER_SECOND: f64 = 10.0;
pub const LOG_BURST: f64 = 5.0;

#[derive(Debug, Clone)]
pub struct Pacer {
    rate: f64,
    burst: f64,
    bucket: Arc<Mutex<Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    /// Below zero: calls already promised a later turn.
    tokens: f64,
    at: Instant,
}

impl Pacer {
    /// `rate` calls a second, `burst` of them at once after a quiet spell.
    pub fn new(rate: f64, burst: f64) -> Pacer {
        Pacer {
            rate,
            burst: burst.max(1.0),
            bucket: Arc::new(Mutex::new(Bucket {
                tokens: burst.max(1.0),
                at: Instant::now(),
            })),
        }
    }

    /// The pace of ECS requests.
    pub fn ecs() -> Pacer {
        Pacer::new(ECS_CALLS_PER_SECOND, ECS_BURST)
    }

    /// Waits for this call's turn.
    pub async fn turn(&self) {
        let wait = {
            let mut bucket = self.bucket.lock().expect("pacer");
            let now = Instant::now();
            let refill = (now - bucket.at).as_secs_f64() * self.rate;
            bucket.tokens = (bucket.tokens + refill).min(self.burst) - 1.0;
            bucket.at = now;
            if bucket.tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-bucket.tokens / self.rate)
            }
        };
        if !wait.is_zero() {
            sleep(wait).await;
        }
    }
}

impl Default for Pacer {
    /// The pace of CloudWatch Logs reads.
    fn default() -> Pacer {
        Pacer::new(LOG_READS_PER_SECOND, LOG_BURST)
    }
}

/// The SDK's default HTTPS client (as its own runtime plugin makes it), each request waiting
/// for its turn of `pacer` first. `None` if the SDK has no default client in this build.
pub fn paced_http_client(pacer: Pacer) -> Option<SharedHttpClient> {
    let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
        aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
    )?;
    let inner = plugin
        .runtime_components(&RuntimeComponentsBuilder::new("ecs-migrate"))
        .http_client()?;
    Some(SharedHttpClient::new(PacedClient { inner, pacer }))
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Pacer,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Pacer,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        HttpConnectorFuture::new(async move {
            pacer.turn().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_beyond_the_burst_are_spaced_and_a_lone_call_never_waits() {
        let pacer = Pacer::new(10.0, 1.0);
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

#[cfg(test)]
mod burst_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_rate_plus_the_burst() {
        let pacer = Pacer::new(15.0, 5.0);
        let start = Instant::now();
        let at: Vec<f64> = futures_util::future::join_all((0..100).map(|_| async {
            pacer.turn().await;
            start.elapsed().as_secs_f64()
        }))
        .await;
        for second in 0..6 {
            let window = at
                .iter()
                .filter(|t| **t >= second as f64 && **t < second as f64 + 1.0)
                .count();
            assert!(window <= 20, "{window} calls in second {second}");
        }
        assert!(at.iter().cloned().fold(0.0, f64::max) < 6.4, "{at:?}");
    }
}
