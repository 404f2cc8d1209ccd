//! Where the deciding container's output goes: its `awslogs` configuration in the task
//! definition names the log group and region, and the stream is `prefix/container/task-id`.

use aws_sdk_ecs::types::{ContainerDefinition, LogDriver};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSource {
    pub group: String,
    /// `awslogs-region`; `None` means the region ecs-migrate runs in.
    pub region: Option<String>,
    pub stream_prefix: String,
    pub container: String,
}

/// What the plan says about logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Logs {
    /// Stream this source while the task runs, and read it to the end after.
    Follow(LogSource),
    /// The task definition gives no way to find the logs; the reason says why.
    Unavailable { reason: String },
    /// `--no-logs`.
    Off,
}

impl LogSource {
    /// The stream of `task_arn`'s container: `prefix/container/task-id`.
    pub fn stream(&self, task_arn: &str) -> String {
        let task_id = crate::aws::arn::resource_name(task_arn);
        format!("{}/{}/{task_id}", self.stream_prefix, self.container)
    }

    pub(crate) fn of(container: &ContainerDefinition) -> Logs {
        let name = container.name().unwrap_or_default();
        let Some(config) = container.log_configuration() else {
            return Logs::Unavailable {
                reason: format!(
                    "container `{name}` has no logConfiguration; add the awslogs driver to its task definition to see its output here"
                ),
            };
        };
        if config.log_driver() != &LogDriver::Awslogs {
            return Logs::Unavailable {
                reason: format!(
                    "container `{name}` logs with the {} driver; ecs-migrate can stream awslogs only",
                    config.log_driver().as_str()
                ),
            };
        }
        let options = config.options();
        let Some(group) = options.and_then(|o| o.get("awslogs-group")) else {
            return Logs::Unavailable {
                reason: format!("container `{name}`'s awslogs configuration has no awslogs-group"),
            };
        };
        let Some(prefix) = options.and_then(|o| o.get("awslogs-stream-prefix")) else {
            return Logs::Unavailable {
                reason: format!(
                    "container `{name}`'s awslogs configuration has no awslogs-stream-prefix, so its stream name cannot be known; add one"
                ),
            };
        };
        Logs::Follow(LogSource {
            group: group.clone(),
            region: options.and_then(|o| o.get("awslogs-region")).cloned(),
            stream_prefix: prefix.clone(),
            container: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::LogConfiguration;

    fn container(driver: LogDriver, options: &[(&str, &str)]) -> ContainerDefinition {
        let mut config = LogConfiguration::builder().log_driver(driver);
        for (k, v) in options {
            config = config.options(*k, *v);
        }
        ContainerDefinition::builder()
            .name("migrate")
            .log_configuration(config.build().unwrap())
            .build()
    }

    #[test]
    fn awslogs_gives_group_region_and_the_task_stream() {
        let logs = LogSource::of(&container(
            LogDriver::Awslogs,
            &[
                ("awslogs-group", "/ecs/app"),
                ("awslogs-region", "eu-west-1"),
                ("awslogs-stream-prefix", "app"),
            ],
        ));
        let Logs::Follow(source) = logs else {
            panic!("{logs:?}")
        };
        assert_eq!(source.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            source.stream("arn:aws:ecs:eu-west-1:123456789012:task/prod/abc123"),
            "app/migrate/abc123"
        );
    }

    #[test]
    fn other_drivers_and_missing_options_say_why() {
        for (c, needle) in [
            (container(LogDriver::Splunk, &[]), "splunk driver"),
            (
                container(LogDriver::Awslogs, &[("awslogs-group", "g")]),
                "awslogs-stream-prefix",
            ),
            (
                ContainerDefinition::builder().name("migrate").build(),
                "no logConfiguration",
            ),
        ] {
            match LogSource::of(&c) {
                Logs::Unavailable { reason } => assert!(reason.contains(needle), "{reason}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
