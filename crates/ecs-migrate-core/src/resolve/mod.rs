//! Resolution: turn a [`Request`] into a [`Plan`] with read-only AWS calls (DescribeClusters,
//! DescribeServices, DescribeTaskDefinition). Everything that can be refused is refused here, before
//! anything in AWS changes: a bad value never starts a task.

pub(crate) mod log_source;
pub(crate) mod plan;

use crate::aws::call;
use crate::pause::autoscaling;
use crate::records::pause_record::PauseRecord;
use crate::records::tag_limits;
use crate::resolve::plan::{
    AwsVpcConfiguration, ContainerOverride, NetworkConfiguration, Overrides, RunTaskSpec,
};
use crate::{
    CapacityProvider, Clients, Error, LaunchType, LogSource, Logs, PausePlan, Plan, Request,
    ServiceTarget, TaskDefinitionRef,
};
use aws_sdk_ecs::types::{ContainerDefinition, NetworkMode, Service, TaskDefinition};
use aws_sdk_ecs::Client;

pub async fn resolve(clients: &Clients, request: &Request) -> Result<Plan, Error> {
    // What needs no AWS call is checked first, so a typo costs no round trip.
    check_locally(request)?;
    let ecs = &clients.ecs;

    let cluster = describe_cluster(ecs, &request.cluster).await?;
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
    let pause = if request.services.is_empty() {
        None
    } else {
        Some(PausePlan {
            services: resolve_services(clients, &cluster, &request.cluster, &request.services)
                .await?,
            min_capacity: request.min_capacity,
            restore_to: request.desired_count,
            keep_paused_on_failure: request.keep_paused_on_failure,
        })
    };
    let run_id = request.run_id.clone();
    let migration = crate::MigrationId::new(
        &task_definition_arn,
        &container,
        request.command.as_deref(),
        request.key.as_deref(),
    );
    let revision_tags = call::list_tags(
        ecs,
        &task_definition_arn,
        || format!("task definition `{task_definition_arn}`"),
        &(),
    )
    .await?;
    let recorded = crate::records::outcome_record::read(
        clients,
        &task_definition_arn,
        &migration,
        &revision_tags,
        &(),
    )
    .await?;
    let family = task_definition
        .family()
        .map(str::to_owned)
        .unwrap_or_else(|| reference.family().to_owned());
    // The RunTask request is the same in every run of this migration (RunTask's idempotency
    // needs identical parameters for its token): this run's id goes on the task afterwards.
    let tags = request.tags.clone();
    check_records_fit(clients, &cluster, &family, &tags, pause.as_ref()).await?;
    let platform_version = request
        .platform_version
        .clone()
        .or_else(|| service.as_ref()?.platform_version().map(str::to_owned));

    let overrides = Overrides {
        container_overrides: vec![ContainerOverride {
            name: container.clone(),
            command: request.command.clone(),
            environment: request.environment.clone(),
        }],
    };
    Ok(Plan {
        run_task: RunTaskSpec {
            cluster: cluster.clone(),
            task_definition: task_definition_arn.clone(),
            count: 1,
            launch_type,
            capacity_provider_strategy,
            platform_version,
            network_configuration,
            overrides,
            started_by: migration.started_by(),
            client_token: migration
                .client_token(recorded.outcome.as_ref().map(|o| o.value()).as_deref()),
            tags,
        },
        cluster,
        task_definition: task_definition_arn,
        container,
        container_essential,
        from_service: request.from_service.clone(),
        timeout: request.timeout,
        pause,
        run_id,
        migration,
        family,
        previous: recorded.outcome,
        outcome_tags: recorded.tags,
        force: request.force,
        adopt: request.adopt,
        wait_for_lock: request.wait_for_lock,
        logs,
        log_tail: request.log_tail,
        log_settle: request.log_settle,
        decide_at: request.decide_at,
    })
}

fn check_locally(request: &Request) -> Result<(), Error> {
    if request.cluster.trim().is_empty() {
        return Err(Error::InvalidValue {
            flag: "--cluster",
            value: request.cluster.clone(),
            reason: "the cluster is empty; pass a cluster name or ARN".into(),
        });
    }
    if let (Some(launch_type), false) = (request.launch_type, request.capacity_providers.is_empty())
    {
        return Err(Error::LaunchTypeAndCapacityProviders {
            launch_type: launch_type.to_string(),
        });
    }
    if request.task_definition.is_none() && request.from_service.is_none() {
        return Err(match request.revision {
            Some(revision) => Error::RevisionWithoutTaskDefinition { revision },
            None => Error::MissingTaskDefinition,
        });
    }
    if let (Some(td), Some(revision)) = (&request.task_definition, request.revision) {
        td.clone().with_revision(revision)?;
    }
    for (flag, value) in [
        ("--min-capacity", Some(request.min_capacity)),
        ("--desired-count", request.desired_count),
    ] {
        if let Some(value) = value.filter(|v| *v < 0) {
            return Err(Error::InvalidValue {
                flag,
                value: value.to_string(),
                reason: "a service count cannot be negative".into(),
            });
        }
    }
    if let Some(command) = &request.command {
        if command.is_empty() || command.iter().all(|part| part.trim().is_empty()) {
            return Err(Error::InvalidValue {
                flag: "command",
                value: String::new(),
                reason: "the command override is empty; put the command after `--`, or leave it out to run the task definition's command".into(),
            });
        }
    }
    Ok(())
}

/// Refuses, before anything changes, a run whose records would break ECS's tag limits (see
/// `tag_limits.rs`): the family lock on the cluster, the pause record on each service, the
/// run's tag on the task. (Outcomes are parameters in Parameter Store, not tags.)
async fn check_records_fit(
    clients: &Clients,
    cluster: &str,
    family: &str,
    user_tags: &[crate::Tag],
    pause: Option<&PausePlan>,
) -> Result<(), Error> {
    use aws_sdk_ecs::types::Tag;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let run_id = "r-000000000000";
    let time = "2026-01-01T00:00:00Z";

    // The lock, on the cluster.
    let lock_key = format!("{}{family}", crate::lock::LOCK_PREFIX);
    let lock_value = format!("run={run_id} since={time} expires={time} migration=0000000000000000");
    let cluster_tags = call::list_tags(
        &clients.ecs,
        cluster,
        || format!("cluster `{cluster}`"),
        &(),
    )
    .await?;
    tag_limits::check(
        "lock",
        &format!("cluster `{cluster}`"),
        &cluster_tags,
        &[tag(&lock_key, &lock_value)],
        || {
            if lock_key.chars().count() > tag_limits::MAX_KEY {
                "The lock's key holds the task definition family: use a family of at most 111 characters".to_owned()
            } else {
                "Remove tags the cluster no longer needs (`aws ecs untag-resource`)".to_owned()
            }
        },
    )?;

    // The run's tag, on the task (with the user's tags).
    let mut task_tags: Vec<Tag> = user_tags.iter().map(|t| tag(&t.key, &t.value)).collect();
    task_tags.push(tag(crate::records::pause_record::TAG_RUN, run_id));
    tag_limits::check("run", "the migration task", &[], &task_tags, || {
        format!(
            "Pass at most {} tags for the migration task",
            tag_limits::MAX_TAGS - 1
        )
    })?;

    // The pause record, on each service.
    for service in pause.iter().flat_map(|p| &p.services) {
        let present: Vec<Tag> = service.tag_keys.iter().map(|k| tag(k, "")).collect();
        let record = crate::PauseRecord {
            run_id: run_id.into(),
            paused_at: time.into(),
            desired_count: i32::MAX,
            autoscaling: service.autoscaling,
            migration: "0000000000000000".into(),
            expires: Some(time.into()),
        };
        tag_limits::check(
            "pause",
            &format!("service `{}`", service.name),
            &present,
            &record.to_tags(),
            || {
                "Remove tags the service no longer needs (`aws ecs untag-resource`), or do not pause it".to_owned()
            },
        )?;
    }
    Ok(())
}

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

async fn describe_service(
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
        let leftover = match PauseRecord::from_tags(&tags) {
            None => None,
            Some(Ok(record)) => Some(record),
            Some(Err(problem)) => {
                return Err(Error::BrokenPauseRecord {
                    cluster: cluster.to_owned(),
                    service: service_name,
                    problem,
                })
            }
        };
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

/// The task definition to describe: the one given (completed by `--revision`), else the service's.
fn task_definition_ref(
    request: &Request,
    service: Option<&Service>,
) -> Result<TaskDefinitionRef, Error> {
    let reference = match (&request.task_definition, service) {
        (Some(td), _) => td.clone(),
        (None, Some(service)) => {
            let arn =
                service
                    .task_definition()
                    .ok_or_else(|| Error::ServiceWithoutTaskDefinition {
                        cluster: request.cluster.clone(),
                        service: service.service_name().unwrap_or_default().to_owned(),
                    })?;
            let td: TaskDefinitionRef = arn.parse()?;
            match request.revision {
                // `--from-service app --revision 43`: the family the app runs, at revision 43.
                Some(_) => td.without_revision(),
                None => td,
            }
        }
        (None, None) => return Err(Error::MissingTaskDefinition),
    };
    match request.revision {
        Some(revision) => reference.with_revision(revision),
        None => Ok(reference),
    }
}

async fn describe_task_definition(
    ecs: &Client,
    reference: &TaskDefinitionRef,
) -> Result<TaskDefinition, Error> {
    let text = reference.to_string();
    let call = ecs.describe_task_definition().task_definition(&text);
    let out = call::send(
        &(),
        "DescribeTaskDefinition",
        || format!("task definition `{text}`"),
        || call.clone().send(),
    )
    .await;
    match out {
        Ok(out) => out.task_definition.ok_or(Error::TaskDefinitionNotFound {
            task_definition: text,
        }),
        // ECS answers an unknown task definition with a ClientException.
        Err(Error::Aws {
            code: Some(code), ..
        }) if code == "ClientException" => Err(Error::TaskDefinitionNotFound {
            task_definition: text,
        }),
        Err(err) => Err(err),
    }
}

/// The deciding container: the named one, or the only essential one (`essential` defaults to true).
pub(crate) fn choose_container(
    task_definition: &str,
    containers: &[ContainerDefinition],
    wanted: Option<&str>,
) -> Result<String, Error> {
    let names = || -> Vec<String> {
        containers
            .iter()
            .filter_map(|c| c.name().map(str::to_owned))
            .collect()
    };
    if let Some(wanted) = wanted {
        return match containers.iter().find(|c| c.name() == Some(wanted)) {
            Some(_) => Ok(wanted.to_owned()),
            None => Err(Error::UnknownContainer {
                task_definition: task_definition.to_owned(),
                container: wanted.to_owned(),
                containers: names(),
            }),
        };
    }
    let essential: Vec<String> = containers
        .iter()
        .filter(|c| c.essential().unwrap_or(true))
        .filter_map(|c| c.name().map(str::to_owned))
        .collect();
    match essential.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::NoEssentialContainer {
            task_definition: task_definition.to_owned(),
            containers: names(),
        }),
        _ => Err(Error::SeveralEssentialContainers {
            task_definition: task_definition.to_owned(),
            containers: essential,
        }),
    }
}

/// The awsvpc configuration: each field as given, else the service's.
fn network(
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
                flag: "--subnets/--security-groups",
                value: request
                    .subnets
                    .iter()
                    .chain(&request.security_groups)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                reason: format!(
                    "task definition `{task_definition_arn}` uses network mode {mode}, which takes no network configuration; drop these flags"
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
fn launch(
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

    fn container(name: &str, essential: Option<bool>) -> ContainerDefinition {
        ContainerDefinition::builder()
            .name(name)
            .set_essential(essential)
            .build()
    }

    #[test]
    fn the_only_essential_container_decides_and_essential_defaults_to_true() {
        let containers = [container("migrate", None), container("envoy", Some(false))];
        assert_eq!(
            choose_container("td", &containers, None).unwrap(),
            "migrate"
        );
    }

    #[test]
    fn several_essential_containers_are_refused_with_their_names() {
        let containers = [container("app", Some(true)), container("worker", None)];
        let err = choose_container("td", &containers, None).unwrap_err();
        assert!(
            matches!(&err, Error::SeveralEssentialContainers { containers, .. } if containers == &["app", "worker"]),
            "{err}"
        );
        assert_eq!(
            choose_container("td", &containers, Some("worker")).unwrap(),
            "worker"
        );
    }

    #[test]
    fn an_unknown_container_name_lists_the_real_ones() {
        let containers = [container("app", None)];
        let err = choose_container("td", &containers, Some("ap"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`ap`") && err.contains("one of: app"), "{err}");
    }

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

    #[test]
    fn nothing_to_run_is_refused_before_any_call() {
        let request = Request {
            cluster: "prod".into(),
            ..Request::default()
        };
        assert!(matches!(
            check_locally(&request),
            Err(Error::MissingTaskDefinition)
        ));
        let request = Request {
            cluster: "prod".into(),
            task_definition: Some("app".parse().unwrap()),
            launch_type: Some(LaunchType::Ec2),
            capacity_providers: vec!["FARGATE".parse().unwrap()],
            ..Request::default()
        };
        assert!(matches!(
            check_locally(&request),
            Err(Error::LaunchTypeAndCapacityProviders { .. })
        ));
    }
}
