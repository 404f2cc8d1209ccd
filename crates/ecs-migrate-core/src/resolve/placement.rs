//! Where the task runs: its awsvpc network configuration and its launch type or capacity
//! providers, each as given, else the service's.

use crate::resolve::plan::{AwsVpcConfiguration, NetworkConfiguration};
use crate::{CapacityProvider, Error, Field, LaunchType, Request};
use aws_sdk_ecs::types::{NetworkMode, Service, TaskDefinition};

/// The awsvpc configuration: each field as given, else the service's.
pub(super) fn network(
    request: &Request,
    service: Option<&Service>,
    task_definition: &TaskDefinition,
) -> Result<Option<NetworkConfiguration>, Error> {
    let task_definition_arn = task_definition.task_definition_arn().unwrap_or_default();
    let awsvpc = task_definition.network_mode() == Some(&NetworkMode::Awsvpc);
    if !awsvpc {
        if !request.subnets.is_empty() || !request.security_groups.is_empty() {
            let mode = task_definition
                .network_mode()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_else(|| "bridge".into());
            return Err(Error::InvalidValue {
                field: Field::Subnets,
                value: request
                    .subnets
                    .iter()
                    .chain(&request.security_groups)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                reason: format!(
                    "task definition `{task_definition_arn}` uses network mode {mode}, which takes no network configuration; give no subnets or security groups"
                ),
            });
        }
        return Ok(None);
    }
    let from_service = service
        .and_then(|s| s.network_configuration())
        .and_then(|n| n.awsvpc_configuration());
    let subnets = if request.subnets.is_empty() {
        from_service
            .map(|v| v.subnets().to_vec())
            .unwrap_or_default()
    } else {
        request.subnets.clone()
    };
    if subnets.is_empty() {
        return Err(Error::NoSubnets {
            task_definition: task_definition_arn.to_owned(),
        });
    }
    let security_groups = if request.security_groups.is_empty() {
        from_service
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default()
    } else {
        request.security_groups.clone()
    };
    let assign_public_ip = request.assign_public_ip.or_else(|| {
        from_service
            .and_then(|v| v.assign_public_ip())
            .and_then(|ip| ip.as_str().parse().ok())
    });
    Ok(Some(NetworkConfiguration {
        awsvpc_configuration: AwsVpcConfiguration {
            subnets,
            security_groups,
            assign_public_ip,
        },
    }))
}

/// Launch type or capacity provider strategy: as given, else the service's, else Fargate.
pub(super) fn launch(
    request: &Request,
    service: Option<&Service>,
) -> (Option<LaunchType>, Vec<CapacityProvider>) {
    if !request.capacity_providers.is_empty() {
        return (None, request.capacity_providers.clone());
    }
    if let Some(launch_type) = request.launch_type {
        return (Some(launch_type), Vec::new());
    }
    if let Some(service) = service {
        let strategy: Vec<CapacityProvider> = service
            .capacity_provider_strategy()
            .iter()
            .map(|item| CapacityProvider {
                capacity_provider: item.capacity_provider().to_owned(),
                weight: Some(item.weight()),
                base: Some(item.base()),
            })
            .collect();
        if !strategy.is_empty() {
            return (None, strategy);
        }
        if let Some(launch_type) = service.launch_type().and_then(|l| l.as_str().parse().ok()) {
            return (Some(launch_type), Vec::new());
        }
    }
    (Some(LaunchType::Fargate), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_defaults_to_fargate_and_capacity_providers_drop_the_launch_type() {
        let request = Request::default();
        assert_eq!(launch(&request, None), (Some(LaunchType::Fargate), vec![]));
        let request = Request {
            capacity_providers: vec!["FARGATE_SPOT:1".parse().unwrap()],
            ..Request::default()
        };
        let (launch_type, strategy) = launch(&request, None);
        assert_eq!(launch_type, None);
        assert_eq!(strategy[0].capacity_provider, "FARGATE_SPOT");
    }
}
