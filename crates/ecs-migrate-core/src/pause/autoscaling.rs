//! Application Auto Scaling for a paused service: a scalable target would scale the service right
//! back up (or hold it at its minimum), so its dynamic and scheduled scaling are suspended and its
//! minimum lowered for the pause, and all of it is put back exactly as recorded afterwards.

use crate::aws::call;
use crate::progress::Progress;
use crate::records::pause_record::AutoScalingState;
use crate::Error;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};
use aws_sdk_applicationautoscaling::Client;

/// The scalable target's resource id: `service/CLUSTER_NAME/SERVICE_NAME`.
pub(crate) fn resource_id(cluster_arn: &str, service: &str) -> String {
    let cluster = crate::aws::arn::resource_name(cluster_arn);
    format!("service/{cluster}/{service}")
}

/// The service's scalable target, if it has one.
pub(crate) async fn describe(
    client: &Client,
    resource_id: &str,
    progress: &dyn Progress,
) -> Result<Option<AutoScalingState>, Error> {
    let call = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(resource_id);
    let out = call::send(
        progress,
        "DescribeScalableTargets",
        || format!("scalable target `{resource_id}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(out
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == resource_id)
        .map(|t| {
            let suspended = t.suspended_state();
            AutoScalingState {
                min_capacity: t.min_capacity(),
                max_capacity: t.max_capacity(),
                dynamic_scaling_in_suspended: suspended
                    .and_then(|s| s.dynamic_scaling_in_suspended())
                    .unwrap_or(false),
                dynamic_scaling_out_suspended: suspended
                    .and_then(|s| s.dynamic_scaling_out_suspended())
                    .unwrap_or(false),
                scheduled_scaling_suspended: suspended
                    .and_then(|s| s.scheduled_scaling_suspended())
                    .unwrap_or(false),
            }
        }))
}

/// Registers the target with `state`'s bounds and suspended flags (all three always sent).
pub(crate) async fn register(
    client: &Client,
    resource_id: &str,
    state: AutoScalingState,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let call = client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .min_capacity(state.min_capacity)
        .max_capacity(state.max_capacity)
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(state.dynamic_scaling_in_suspended)
                .dynamic_scaling_out_suspended(state.dynamic_scaling_out_suspended)
                .scheduled_scaling_suspended(state.scheduled_scaling_suspended)
                .build(),
        );
    call::send(
        progress,
        "RegisterScalableTarget",
        || format!("scalable target `{resource_id}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(())
}

/// The state a paused service's target is held in: everything suspended, minimum lowered to the
/// paused count (the maximum is kept, raised only if it would be below the minimum).
pub(crate) fn paused(before: AutoScalingState, min_capacity: i32) -> AutoScalingState {
    AutoScalingState {
        min_capacity,
        max_capacity: before.max_capacity.max(min_capacity),
        dynamic_scaling_in_suspended: true,
        dynamic_scaling_out_suspended: true,
        scheduled_scaling_suspended: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_id_uses_the_cluster_name() {
        assert_eq!(
            resource_id(
                "arn:aws:ecs:eu-west-1:123456789012:cluster/fleet",
                "fleet-vuln"
            ),
            "service/fleet/fleet-vuln"
        );
    }

    #[test]
    fn paused_state_suspends_everything_and_lowers_the_minimum() {
        let before = AutoScalingState {
            min_capacity: 2,
            max_capacity: 8,
            dynamic_scaling_in_suspended: false,
            dynamic_scaling_out_suspended: false,
            scheduled_scaling_suspended: true,
        };
        let during = paused(before, 0);
        assert_eq!((during.min_capacity, during.max_capacity), (0, 8));
        assert!(during.dynamic_scaling_in_suspended && during.dynamic_scaling_out_suspended);
        assert!(during.scheduled_scaling_suspended);
    }
}
