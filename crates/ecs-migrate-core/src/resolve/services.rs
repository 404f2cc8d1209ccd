//! The cluster and the services to pause, as ECS describes them (and the pause records they
//! already carry).

use crate::aws::call;
use crate::pause::autoscaling;
use crate::records::pause_record::PauseRecord;
use crate::{Clients, Error, ServiceTarget};
use aws_sdk_ecs::types::Service;
use aws_sdk_ecs::Client;

/// Returns the cluster ARN of an ACTIVE cluster.
pub(crate) async fn describe_cluster(ecs: &Client, cluster: &str) -> Result<String, Error> {
    let call = ecs.describe_clusters().clusters(cluster);
    let out = call::send(
        &(),
        "DescribeClusters",
        || format!("cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    match out.clusters().first() {
        Some(found) if found.status() == Some("ACTIVE") => {
            Ok(found.cluster_arn().unwrap_or(cluster).to_owned())
        }
        found => Err(Error::ClusterNotFound {
            cluster: cluster.to_owned(),
            status: found.and_then(|c| c.status()).map(str::to_owned),
        }),
    }
}

pub(super) async fn describe_service(
    ecs: &Client,
    cluster_arn: &str,
    cluster: &str,
    service: &str,
) -> Result<Service, Error> {
    let call = ecs
        .describe_services()
        .cluster(cluster_arn)
        .services(service);
    let out = call::send(
        &(),
        "DescribeServices",
        || format!("service `{service}` in cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    match out.services().first() {
        Some(found) if found.status() == Some("ACTIVE") || found.status() == Some("DRAINING") => {
            Ok(found.clone())
        }
        found => Err(Error::ServiceNotFound {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            status: found.and_then(|s| s.status()).map(str::to_owned),
        }),
    }
}

/// Finds every named service (all of them, before anything is written: one unknown service
/// refuses the whole run), with its tags (a pause record left by a dead run) and its scalable
/// target.
pub(crate) async fn resolve_services(
    clients: &Clients,
    cluster_arn: &str,
    cluster: &str,
    names: &[String],
) -> Result<Vec<ServiceTarget>, Error> {
    let mut unique: Vec<&String> = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    let mut found: Vec<Service> = Vec::new();
    for chunk in unique.chunks(10) {
        let call = clients
            .ecs
            .describe_services()
            .cluster(cluster_arn)
            .set_services(Some(chunk.iter().map(|s| s.to_string()).collect()));
        let out = call::send(
            &(),
            "DescribeServices",
            || format!("cluster `{cluster}`"),
            || call.clone().send(),
        )
        .await?;
        found.extend(out.services().iter().cloned());
    }
    let mut targets = Vec::new();
    for name in unique {
        let named = |s: &&Service| {
            s.service_name() == Some(name.as_str()) || s.service_arn() == Some(name.as_str())
        };
        let service = found
            .iter()
            .find(named)
            .filter(|s| s.status() == Some("ACTIVE"))
            .ok_or_else(|| Error::ServiceNotFound {
                cluster: cluster.to_owned(),
                service: name.clone(),
                status: found
                    .iter()
                    .find(named)
                    .and_then(|s| s.status())
                    .map(str::to_owned),
            })?;
        let arn = service.service_arn().unwrap_or_default().to_owned();
        let service_name = service.service_name().unwrap_or(name).to_owned();
        let tags = call::list_tags(
            &clients.ecs,
            &arn,
            || format!("service `{service_name}`"),
            &(),
        )
        .await?;
        let leftover = pause_record(cluster, &service_name, &tags)?;
        let autoscaling = autoscaling::describe(
            &clients.autoscaling,
            &autoscaling::resource_id(cluster_arn, &service_name),
            &(),
        )
        .await?;
        targets.push(ServiceTarget {
            name: service_name,
            arn,
            desired_count: service.desired_count(),
            autoscaling,
            leftover,
            tag_keys: tags
                .iter()
                .filter_map(|t| t.key().map(str::to_owned))
                .collect(),
        });
    }
    Ok(targets)
}

/// The pause record in a service's tags, if any.
fn pause_record(
    cluster: &str,
    service: &str,
    tags: &[aws_sdk_ecs::types::Tag],
) -> Result<Option<PauseRecord>, Error> {
    match PauseRecord::from_tags(tags) {
        None => Ok(None),
        Some(Ok(record)) => Ok(Some(record)),
        Some(Err(problem)) => Err(Error::BrokenPauseRecord {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            problem,
        }),
    }
}

/// `targets` (resolved before) with the pause records they carry now: what a run waiting for
/// the app looks at on every poll, without describing the services again.
pub(crate) async fn reread_records(
    ecs: &Client,
    cluster: &str,
    targets: &[ServiceTarget],
    progress: &dyn crate::Progress,
) -> Result<Vec<ServiceTarget>, Error> {
    let mut now = Vec::with_capacity(targets.len());
    for target in targets {
        let tags = call::list_tags(
            ecs,
            &target.arn,
            || format!("service `{}`", target.name),
            progress,
        )
        .await?;
        now.push(ServiceTarget {
            leftover: pause_record(cluster, &target.name, &tags)?,
            tag_keys: tags
                .iter()
                .filter_map(|t| t.key().map(str::to_owned))
                .collect(),
            ..target.clone()
        });
    }
    Ok(now)
}
