//! [`Definition`]: what a request resolves to that no run changes — the cluster, the task
//! definition revision and its deciding container, where the task runs, where its output goes,
//! and the migration's id. A rollout resolves it once per target while validating and runs that
//! revision; the rest of a plan (the services' counts, the records) is read again at the start.

use super::placement::{launch, network};
use super::services::{describe_cluster, describe_service};
use super::shared_reads::SharedReads;
use super::task_definition::{choose_container, describe_task_definition, task_definition_ref};
use crate::resolve::plan::NetworkConfiguration;
use crate::{CapacityProvider, Clients, Error, LaunchType, LogSource, Logs, MigrationId, Request};

#[derive(Debug, Clone)]
pub(crate) struct Definition {
    pub cluster: String,
    pub task_definition_arn: String,
    pub family: String,
    pub container: String,
    pub container_essential: bool,
    pub logs: Logs,
    pub network_configuration: Option<NetworkConfiguration>,
    pub launch_type: Option<LaunchType>,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
    pub platform_version: Option<String>,
    pub migration: MigrationId,
}

/// Reads the cluster (through `shared` when given), the service the task is taken from, and the
/// task definition: DescribeClusters, DescribeServices, DescribeTaskDefinition.
pub(crate) async fn define(
    clients: &Clients,
    request: &Request,
    shared: Option<&SharedReads>,
) -> Result<Definition, Error> {
    let ecs = &clients.ecs;
    let cluster = match shared {
        Some(shared) => shared.cluster(ecs, &request.cluster).await?,
        None => describe_cluster(ecs, &request.cluster).await?,
    };
    let service = match &request.from_service {
        Some(name) => Some(describe_service(ecs, &cluster, &request.cluster, name).await?),
        None => None,
    };
    let reference = task_definition_ref(request, service.as_ref())?;
    let task_definition = describe_task_definition(ecs, &reference).await?;
    let task_definition_arn = task_definition
        .task_definition_arn()
        .unwrap_or_default()
        .to_owned();
    let container = choose_container(
        &task_definition_arn,
        task_definition.container_definitions(),
        request.container.as_deref(),
    )?;
    let definition = task_definition
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(container.as_str()))
        .expect("the chosen container is in the task definition");
    let container_essential = definition.essential().unwrap_or(true);
    let logs = if request.follow_logs {
        LogSource::of(definition)
    } else {
        Logs::Off
    };
    let network_configuration = network(request, service.as_ref(), &task_definition)?;
    let (launch_type, capacity_provider_strategy) = launch(request, service.as_ref());
    let migration = MigrationId::new(
        &task_definition_arn,
        &container,
        request.command.as_deref(),
        request.key.as_deref(),
    );
    let family = task_definition
        .family()
        .map(str::to_owned)
        .unwrap_or_else(|| reference.family().to_owned());
    let platform_version = request
        .platform_version
        .clone()
        .or_else(|| service.as_ref()?.platform_version().map(str::to_owned));
    Ok(Definition {
        cluster,
        task_definition_arn,
        family,
        container,
        container_essential,
        logs,
        network_configuration,
        launch_type,
        capacity_provider_strategy,
        platform_version,
        migration,
    })
}
