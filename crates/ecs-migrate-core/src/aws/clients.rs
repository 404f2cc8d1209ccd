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
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Clients {
        Clients {
            ecs: aws_sdk_ecs::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }
}
