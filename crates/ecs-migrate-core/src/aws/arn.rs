//! ECS ARNs taken apart, in one place: `arn:aws:ecs:REGION:ACCOUNT:cluster/prod`,
//! `…:task/prod/0123abcd`, `…:task-definition/app:42`. A bare name passes through unchanged.

/// The resource's own name or id: what follows the last `/` (`prod` for a cluster ARN, the task
/// id for a task ARN, `app:42` for a task definition ARN).
pub(crate) fn resource_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A task definition's family, from a family, `family:revision` or an ARN of either.
pub(crate) fn family(task_definition: &str) -> &str {
    let name = resource_name(task_definition);
    name.split(':').next().unwrap_or(name)
}

/// A task definition ARN's family and revision; `None` without a revision.
pub(crate) fn family_and_revision(task_definition: &str) -> Option<(&str, &str)> {
    resource_name(task_definition).split_once(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_arns_and_bare_names_pass_through() {
        assert_eq!(
            resource_name("arn:aws:ecs:eu-west-1:123456789012:cluster/prod"),
            "prod"
        );
        assert_eq!(
            resource_name("arn:aws:ecs:eu-west-1:123456789012:task/prod/0123abcd"),
            "0123abcd"
        );
        assert_eq!(resource_name("prod"), "prod");
        let td = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app-worker:42";
        assert_eq!(family(td), "app-worker");
        assert_eq!(family("app:3"), "app");
        assert_eq!(family("app"), "app");
        assert_eq!(family_and_revision(td), Some(("app-worker", "42")));
        assert_eq!(family_and_revision("app"), None);
    }
}
