//! [`Clients`]: the AWS SDK clients the core uses, built once from one SDK configuration (or
//! from fakes, in tests).

use aws_config::SdkConfig;

#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// Parameter Store: the outcome records (see `records/outcome_record.rs`).
    pub ssm: aws_sdk_ssm::Client,
    /// S3: the lock, when it is kept there (`lock/s3_store.rs`). Path-style addressing at a
    /// custom endpoint (an emulator, a VPC endpoint URL), as the AWS CLI does.
    pub s3: aws_sdk_s3::Client,
    /// One DescribeTasks loop per cluster, shared by the runs that use these clients
    /// (`watch/task_poller.rs`).
    pub tasks: crate::watch::task_poller::TaskPollers,
    /// The pace of CloudWatch Logs reads, shared by the runs that use these clients.
    pub log_reads: crate::aws::pacer::Pacer,
}

/// The retry partition of a paced ECS client.
const PACED_PARTITION: &str = "ecs-migrate-paced-ecs";

/// The ECS client's configuration: the SDK's own, every request paced (`aws/pacer.rs`) unless
/// the configuration brings an HTTP client of its own.
///
/// A paced client's retries are not also gated by the SDK's retry quota. That quota (a token
/// bucket of 500, 5 a throttled retry, 14 any other) is shared by every request of the process,
/// so in a rollout the targets of one process spend one bucket: under a long throttling storm it
/// ran dry after ~130 s, and from then on each request was tried once, leaving services paused
/// for minutes after their migration had ended (docs/aws-semantics.md, "The SDK's retry
/// quota"). The quota exists to keep retries from adding load to a struggling service; the pace
/// already bounds every attempt, retries included, to what ECS allows.
fn paced_ecs(config: &SdkConfig) -> aws_sdk_ecs::Config {
    use aws_sdk_ecs::config::retry::{RetryPartition, TokenBucket};
    let mut builder = aws_sdk_ecs::config::Builder::from(config);
    if config.http_client().is_none() {
        builder.set_http_client(crate::aws::pacer::paced_http_client(
            crate::aws::pacer::Pacer::ecs(),
        ));
        builder.set_retry_partition(Some(
            RetryPartition::custom(PACED_PARTITION)
                .token_bucket(TokenBucket::unlimited())
                .build(),
        ));
    }
    builder.build()
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Clients {
        Clients {
            ecs: aws_sdk_ecs::Client::from_conf(paced_ecs(config)),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some())
                    .build(),
            ),
            tasks: Default::default(),
            log_reads: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paced_ecs_client_retries_in_a_partition_of_its_own() {
        let config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let partition = paced_ecs(&config)
            .retry_partition()
            .map(ToString::to_string);
        assert_eq!(partition.as_deref(), Some(PACED_PARTITION));
    }
}
