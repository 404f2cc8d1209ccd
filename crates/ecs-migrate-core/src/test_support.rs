//! Builders shared by the unit tests.

use crate::resolve::plan::{Overrides, RunTaskSpec};
use crate::{Plan, Timeout};
use aws_sdk_ecs::types::{Container, Task, TaskStopCode};
use aws_smithy_types::DateTime;

pub(crate) const CLUSTER: &str = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
pub(crate) const TASK_DEFINITION: &str =
    "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42";
pub(crate) const TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef";

pub(crate) fn plan() -> Plan {
    Plan {
        cluster: CLUSTER.into(),
        task_definition: TASK_DEFINITION.into(),
        container: "migrate".into(),
        container_essential: true,
        from_service: None,
        timeout: Timeout::default(),
        logs: crate::Logs::Off,
        pause: None,
        run_id: "r-test".into(),
        migration: crate::MigrationId::new(TASK_DEFINITION, "migrate", None, None),
        family: "app".into(),
        previous: None,
        outcome_tags: vec![],
        force: false,
        adopt: false,
        wait_for_lock: std::time::Duration::from_secs(300),
        lock: crate::LockSetting::ClusterTag,
        log_tail: 20,
        log_settle: std::time::Duration::from_secs(2),
        decide_at: crate::DecideAt::ContainerExit,
        run_task: RunTaskSpec {
            cluster: CLUSTER.into(),
            task_definition: TASK_DEFINITION.into(),
            count: 1,
            launch_type: Some(crate::LaunchType::Fargate),
            capacity_provider_strategy: vec![],
            platform_version: None,
            network_configuration: None,
            overrides: Overrides {
                container_overrides: vec![],
            },
            started_by: "ecs-migrate/test".into(),
            client_token: "token".into(),
            tags: vec![],
        },
    }
}

pub(crate) fn stopped_task(code: TaskStopCode, containers: Vec<Container>) -> Task {
    Task::builder()
        .task_arn(TASK)
        .last_status("STOPPED")
        .stop_code(code)
        .started_at(DateTime::from_secs(1_700_000_000))
        .stopped_at(DateTime::from_secs(1_700_000_060))
        .set_containers(Some(containers))
        .build()
}
