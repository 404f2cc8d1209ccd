//! The task definition to run (given, or a live service's) and its deciding container.

use crate::aws::call;
use crate::{Error, Request, TaskDefinitionRef};
use aws_sdk_ecs::types::{ContainerDefinition, Service, TaskDefinition};
use aws_sdk_ecs::Client;

/// The task definition to describe: the one given (completed by `--revision`), else the service's.
pub(super) fn task_definition_ref(
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

pub(super) async fn describe_task_definition(
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
}
