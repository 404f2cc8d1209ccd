//! [`Plan`]: a validated, resolved migration: every name turned into an ARN, the deciding container
//! chosen, and the exact RunTask request built. `--dry-run` prints it; [`crate::migration::run`]
//! executes it. It serialises in the shape of the ECS API, with environment values redacted.

use crate::{CapacityProvider, EnvVar, LaunchType, Logs, Tag, Timeout};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Cluster ARN.
    pub cluster: String,
    /// Full task definition ARN, with revision.
    pub task_definition: String,
    /// The container whose exit code decides the verdict.
    pub container: String,
    /// Whether it is essential (when not, its exit leaves the task running: the run stops it).
    pub container_essential: bool,
    /// The service the task definition and network were taken from, if any.
    pub from_service: Option<String>,
    #[serde(serialize_with = "serialize_timeout")]
    pub timeout: Timeout,
    /// The services paused around the migration, if any.
    pub pause: Option<crate::PausePlan>,
    /// Identifies this run in pause records and on the task (tag `ecs-migrate:run`).
    pub run_id: crate::RunId,
    /// Identifies the migration: task definition revision, container, command.
    pub migration: crate::MigrationId,
    /// The task definition family (the scope of the family lock).
    pub family: String,
    /// The last recorded outcome of this migration, if any.
    pub previous: Option<crate::Outcome>,
    /// Outcome records an earlier version kept as tags on the revision (any migration of it),
    /// moved to Parameter Store by the first run (not by a dry run).
    #[serde(skip)]
    pub outcome_tags: Vec<crate::Outcome>,
    /// Run even if `previous` says it succeeded.
    pub force: bool,
    /// Record the migration as succeeded without running it (it already ran by other means),
    /// unless an outcome is recorded.
    pub adopt: bool,
    /// How long to wait for another run that holds the app.
    #[serde(serialize_with = "serialize_secs")]
    pub wait_for_lock: std::time::Duration,
    /// Where the app's lock is kept: `"cluster-tag"` or `"s3://BUCKET/PREFIX"`.
    #[serde(serialize_with = "serialize_lock")]
    pub lock: crate::LockSetting,
    /// Where the deciding container's output is read from.
    pub logs: Logs,
    /// How many of the last log lines the report keeps.
    pub log_tail: usize,
    /// How long the log stream must stay quiet after the containers stopped.
    #[serde(serialize_with = "serialize_millis")]
    pub log_settle: std::time::Duration,
    /// When the migration task (and a paused service's old task) counts as over.
    pub decide_at: crate::DecideAt,
    pub run_task: RunTaskSpec,
}

fn serialize_lock<S: serde::Serializer>(
    lock: &crate::LockSetting,
    s: S,
) -> Result<S::Ok, S::Error> {
    match lock {
        crate::LockSetting::ClusterTag => s.serialize_str("cluster-tag"),
        s3 => s.collect_str(s3),
    }
}

fn serialize_secs<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

fn serialize_millis<S: serde::Serializer>(
    d: &std::time::Duration,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn serialize_timeout<S: serde::Serializer>(timeout: &Timeout, s: S) -> Result<S::Ok, S::Error> {
    match timeout.duration() {
        Some(d) => s.serialize_u64(d.as_secs()),
        None => s.serialize_none(),
    }
}

/// The RunTask request, field for field as ECS names them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTaskSpec {
    pub cluster: String,
    pub task_definition: String,
    pub count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProvider>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    pub overrides: Overrides,
    pub started_by: String,
    /// Idempotency token: see `MigrationId::client_token`.
    pub client_token: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<crate::AssignPublicIp>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    pub container_overrides: Vec<ContainerOverride>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<EnvVar>,
}

impl RunTaskSpec {
    /// Fills an SDK RunTask call with this request. The only place secrets leave the process.
    pub(crate) fn apply(
        &self,
        call: aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder,
    ) -> aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder {
        use aws_sdk_ecs::types as ecs;
        let mut call = call
            .cluster(&self.cluster)
            .task_definition(&self.task_definition)
            .count(self.count)
            .started_by(&self.started_by)
            .client_token(&self.client_token)
            .set_platform_version(self.platform_version.clone());
        if let Some(launch_type) = self.launch_type {
            call = call.launch_type(ecs::LaunchType::from(launch_type.as_str()));
        }
        for item in &self.capacity_provider_strategy {
            call = call.capacity_provider_strategy(
                ecs::CapacityProviderStrategyItem::builder()
                    .capacity_provider(&item.capacity_provider)
                    .set_weight(item.weight)
                    .set_base(item.base)
                    .build()
                    .expect("capacity provider is set"),
            );
        }
        if let Some(network) = &self.network_configuration {
            let vpc = &network.awsvpc_configuration;
            call = call.network_configuration(
                ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        ecs::AwsVpcConfiguration::builder()
                            .set_subnets(Some(vpc.subnets.clone()))
                            .set_security_groups(
                                (!vpc.security_groups.is_empty())
                                    .then(|| vpc.security_groups.clone()),
                            )
                            .set_assign_public_ip(
                                vpc.assign_public_ip
                                    .map(|ip| ecs::AssignPublicIp::from(ip.as_str())),
                            )
                            .build()
                            .expect("subnets are set"),
                    )
                    .build(),
            );
        }
        let mut overrides = ecs::TaskOverride::builder();
        for container in &self.overrides.container_overrides {
            let mut o = ecs::ContainerOverride::builder()
                .name(&container.name)
                .set_command(container.command.clone());
            for var in &container.environment {
                o = o.environment(
                    ecs::KeyValuePair::builder()
                        .name(&var.name)
                        .value(var.value.expose())
                        .build(),
                );
            }
            overrides = overrides.container_overrides(o.build());
        }
        call = call.overrides(overrides.build());
        for tag in &self.tags {
            call = call.tags(ecs::Tag::builder().key(&tag.key).value(&tag.value).build());
        }
        call
    }
}
