//! AWS configuration: the standard credential chain and environment (`AWS_REGION`, `AWS_PROFILE`,
//! `AWS_ENDPOINT_URL`, ...) as the AWS CLI reads them, with the CLI's `--region`, `--profile` and
//! `--endpoint-url` on top, and optionally an assumed role (the SDK's own assume-role provider,
//! which refreshes the credentials before they expire, so runs longer than an hour keep working).
//!
//! Retries are set for a tool that must ride out a busy account, not fail fast: standard mode
//! with up to [`MAX_ATTEMPTS`] attempts a call (the SDK's default is 3), jittered backoff up to
//! [`MAX_BACKOFF`]. Not adaptive mode: its client-side rate limiter, once throttled, delayed
//! every request by about 20 s (fill rate 0.5 token/s, 10 tokens a retry), so that under 30 %
//! throttling a 0.1 s migration took 6 minutes to judge and lease renewals due every 30 s came
//! up to 106 s apart (the fault suite's `throttling_storm`; standard mode: 20 s). `AWS_RETRY_MODE`
//! and `AWS_MAX_ATTEMPTS`, when set, win, as in every AWS tool. Throttling that outlasts these
//! attempts is retried on top (`aws/call.rs`).

pub(crate) mod arn;
pub(crate) mod call;
pub mod clients;
pub mod pacer;

use crate::{Error, Field};
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// Attempts the SDK makes for one call (its default is 3).
pub const MAX_ATTEMPTS: u32 = 8;
/// The SDK's longest wait between two attempts (its default is 20 s).
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The retry configuration ecs-migrate runs with.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_max_backoff(MAX_BACKOFF)
}

#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub assume_role_arn: Option<String>,
    /// Default: `ecs-migrate-<unix time>`; the CLI gives `ecs-migrate-<run id>`.
    pub assume_role_session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Loads the SDK configuration. Fails early, with the fix, when no region can be found.
pub async fn load(options: &AwsOptions) -> Result<SdkConfig, Error> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let set_by_user = ["AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !set_by_user {
        loader = loader.retry_config(retry_config());
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(Error::NoRegion);
    }
    let Some(role) = &options.assume_role_arn else {
        return Ok(config);
    };
    if !role.starts_with("arn:") || !role.contains(":role/") {
        return Err(Error::InvalidValue {
            field: Field::AssumeRoleArn,
            value: role.clone(),
            reason: "not an IAM role ARN; write arn:aws:iam::ACCOUNT:role/NAME".into(),
        });
    }
    let session_name = options.assume_role_session_name.clone().unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        format!("ecs-migrate-{now}")
    });
    let mut provider = AssumeRoleProvider::builder(role)
        .configure(&config)
        .session_name(session_name);
    if let Some(external_id) = &options.external_id {
        provider = provider.external_id(external_id);
    }
    let provider = provider.build().await;
    Ok(config
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build())
}
