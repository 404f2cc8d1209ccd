//! AWS configuration: the standard credential chain and environment (`AWS_REGION`, `AWS_PROFILE`,
//! `AWS_ENDPOINT_URL`, ...) as the AWS CLI reads them, with the CLI's `--region`, `--profile` and
//! `--endpoint-url` on top.

use crate::Error;
use aws_config::{BehaviorVersion, Region, SdkConfig};

#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
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
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(Error::NoRegion);
    }
    Ok(config)
}
