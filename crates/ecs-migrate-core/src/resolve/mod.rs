//! Resolution: turn a [`Request`] into a [`Plan`] with read-only AWS calls (DescribeClusters,
//! DescribeServices, DescribeTaskDefinition). Everything that can be refused is refused here, before
//! anything in AWS changes: a bad value never starts a task.

pub(crate) mod definition;
pub(crate) mod log_source;
mod placement;
pub(crate) mod plan;
pub(crate) mod services;
pub(crate) mod shared_reads;
mod task_definition;

use definition::{define, Definition};
use services::resolve_services;

use crate::aws::call;
use crate::records::tag_limits;
use crate::resolve::plan::{ContainerOverride, Overrides, RunTaskSpec};
use crate::{Clients, Error, Field, PausePlan, Plan, Request};

pub async fn resolve(clients: &Clients, request: &Request) -> Result<Plan, Error> {
    Ok(resolve_sharing(clients, request, None).await?.1)
}

/// [`resolve`], reading the cluster and its tags through `shared` when given (many requests
/// resolved at once: `shared_reads.rs`). Also returns the [`Definition`], which a later
/// [`complete`] of the same request takes as it is.
pub(crate) async fn resolve_sharing(
    clients: &Clients,
    request: &Request,
    shared: Option<&shared_reads::SharedReads>,
) -> Result<(Definition, Plan), Error> {
    // What needs no AWS call is checked first, so a typo costs no round trip.
    check_locally(request)?;
    let definition = define(clients, request, shared).await?;
    let plan = complete(clients, request, &definition).await?;
    // Whether the lock's store can be used: checked here for a plan shown before it runs (a
    // dry run, a rollout's validation); a run checks it again when it looks at the lock.
    let (cluster, family) = (&definition.cluster, &definition.family);
    let store = crate::lock::Store::new(clients, cluster, family, &request.lock);
    let cluster_tags = match (shared, &request.lock) {
        (Some(shared), crate::LockSetting::ClusterTag) => {
            Some(shared.cluster_tags(&clients.ecs, cluster).await?)
        }
        _ => None,
    };
    store.check_usable(cluster_tags).await?;
    Ok((definition, plan))
}

/// The rest of a plan, read as it is now: the services to pause and their counts
/// (DescribeServices), the revision's and the migration's records, and whether the records fit
/// ECS's tag limits. Not whether the lock's store can be used: the run's first look at the lock
/// finds that out before anything changes (`lock/store.rs`), so a rollout's target, checked at
/// the validation, spends no request on it when it starts.
pub(crate) async fn complete(
    clients: &Clients,
    request: &Request,
    definition: &Definition,
) -> Result<Plan, Error> {
    let ecs = &clients.ecs;
    let Definition {
        cluster,
        task_definition_arn,
        family,
        migration,
        ..
    } = definition;
    let pause = if request.services.is_empty() {
        None
    } else {
        Some(PausePlan {
            services: resolve_services(clients, cluster, &request.cluster, &request.services)
                .await?,
            min_capacity: request.min_capacity,
            restore_to: request.desired_count,
            keep_paused_on_failure: request.keep_paused_on_failure,
        })
    };
    let revision_tags = call::list_tags(
        ecs,
        task_definition_arn,
        || format!("task definition `{task_definition_arn}`"),
        &(),
    )
    .await?;
    let recorded = crate::records::outcome_record::read(
        clients,
        task_definition_arn,
        migration,
        &revision_tags,
        &(),
    )
    .await?;
    // The RunTask request is the same in every run of this migration (RunTask's idempotency
    // needs identical parameters for its token): this run's id goes on the task afterwards.
    let tags = request.tags.clone();
    check_records_fit(&tags, pause.as_ref())?;

    let overrides = Overrides {
        container_overrides: vec![ContainerOverride {
            name: definition.container.clone(),
            command: request.command.clone(),
            environment: request.environment.clone(),
        }],
    };
    Ok(Plan {
        run_task: RunTaskSpec {
            cluster: cluster.clone(),
            task_definition: task_definition_arn.clone(),
            count: 1,
            launch_type: definition.launch_type,
            capacity_provider_strategy: definition.capacity_provider_strategy.clone(),
            platform_version: definition.platform_version.clone(),
            network_configuration: definition.network_configuration.clone(),
            overrides,
            started_by: migration.started_by(),
            client_token: migration
                .client_token(recorded.outcome.as_ref().map(|o| o.value()).as_deref()),
            tags,
        },
        cluster: cluster.clone(),
        task_definition: task_definition_arn.clone(),
        container: definition.container.clone(),
        container_essential: definition.container_essential,
        from_service: request.from_service.clone(),
        timeout: request.timeout,
        pause,
        run_id: request.run_id.clone(),
        migration: migration.clone(),
        family: family.clone(),
        previous: recorded.outcome,
        outcome_tags: recorded.tags,
        force: request.force,
        adopt: request.adopt,
        wait_for_lock: request.wait_for_lock,
        lock: request.lock.clone(),
        logs: definition.logs.clone(),
        log_tail: request.log_tail,
        log_settle: request.log_settle,
        decide_at: request.decide_at,
    })
}

fn check_locally(request: &Request) -> Result<(), Error> {
    if request.cluster.trim().is_empty() {
        return Err(Error::InvalidValue {
            field: Field::Cluster,
            value: request.cluster.clone(),
            reason: "the cluster is empty; give a cluster name or ARN".into(),
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
    for (field, value) in [
        (Field::MinCapacity, Some(request.min_capacity)),
        (Field::DesiredCount, request.desired_count),
    ] {
        if let Some(value) = value.filter(|v| *v < 0) {
            return Err(Error::InvalidValue {
                field,
                value: value.to_string(),
                reason: "a service count cannot be negative".into(),
            });
        }
    }
    if let Some(command) = &request.command {
        if command.is_empty() || command.iter().all(|part| part.trim().is_empty()) {
            return Err(Error::InvalidValue {
                field: Field::Command,
                value: String::new(),
                reason: "the command override is empty; give the command, or leave it out to run the task definition's command".into(),
            });
        }
    }
    Ok(())
}

/// Refuses, before anything changes, a run whose records would break ECS's tag limits (see
/// `records/tag_limits.rs`): the pause record on each service, the run's tag on the task. (The
/// lock is checked by its store, `Store::check_usable`, when a plan is resolved whole, and the
/// tag lock's fit again at each look before the run takes the app (`lock/acquire.rs`), which
/// is the only check a rollout's target gets after its validation; outcomes are parameters in
/// Parameter Store, not tags.)
fn check_records_fit(user_tags: &[crate::Tag], pause: Option<&PausePlan>) -> Result<(), Error> {
    use aws_sdk_ecs::types::Tag;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    // The longest values each record may hold.
    let run_id: crate::RunId = "r-000000000000".into();
    let time: crate::Timestamp = "2026-01-01T00:00:00Z".parse().expect("a valid time");
    let migration: crate::MigrationId = "0000000000000000".parse().expect("a valid id");

    // The run's tag, on the task (with the user's tags).
    let mut task_tags: Vec<Tag> = user_tags.iter().map(|t| tag(&t.key, &t.value)).collect();
    task_tags.push(tag(crate::records::tags::RUN, run_id.as_str()));
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
            run_id: run_id.clone(),
            paused_at: time,
            desired_count: i32::MAX,
            autoscaling: service.autoscaling,
            migration: migration.clone(),
            expires: Some(time),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LaunchType;

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
