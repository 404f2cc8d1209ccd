//! `ecs-migrate restore`: put back services a run left paused, from the records on them.

use crate::pause::restore::{restore_command, restore_one, Restore};
use crate::progress::{Event, Progress};
use crate::{Clients, Error, ServiceReport};

/// `ecs-migrate restore`: put back services a run left paused, from the records on them. A
/// service without a record is left as it is (and said so).
pub async fn restore(
    clients: &Clients,
    cluster: &str,
    services: &[String],
    desired_count: Option<i32>,
    progress: &dyn Progress,
) -> Result<Vec<ServiceReport>, Error> {
    let cluster_arn = crate::resolve::services::describe_cluster(&clients.ecs, cluster).await?;
    let targets =
        crate::resolve::services::resolve_services(clients, &cluster_arn, cluster, services)
            .await?;
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for target in targets {
        let Some(record) = &target.leftover else {
            progress.event(Event::Warning(format!(
                "service {} has no ecs-migrate pause record: nothing to restore (desired count stays {})",
                target.name, target.desired_count
            )));
            reports.push(ServiceReport {
                name: target.name.clone(),
                desired_before: target.desired_count,
                desired_during: target.desired_count,
                desired_after: Some(target.desired_count),
                autoscaling_suspended: false,
                autoscaling_restored: false,
                restored: false,
                recovered_from: None,
            });
            continue;
        };
        progress.event(Event::LeftoverFound {
            service: &target.name,
            run_id: &record.run_id,
            paused_at: record.paused_at,
            desired_count: record.desired_count,
            now: target.desired_count,
        });
        let to = desired_count.unwrap_or(record.desired_count);
        // One service that cannot be restored does not keep the others down.
        let service = Restore {
            name: &target.name,
            arn: &target.arn,
            record,
            desired_count: to,
        };
        if let Err(err) = restore_one(clients, &cluster_arn, service, progress).await {
            failures.push(format!("{}: {err}", target.name));
            continue;
        }
        reports.push(ServiceReport {
            name: target.name.clone(),
            desired_before: record.desired_count,
            desired_during: target.desired_count,
            desired_after: Some(to),
            autoscaling_suspended: record.autoscaling.is_some(),
            autoscaling_restored: record.autoscaling.is_some(),
            restored: true,
            recovered_from: Some(record.run_id.clone()),
        });
    }
    if failures.is_empty() {
        return Ok(reports);
    }
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    Err(Error::RestoreFailed {
        cluster: cluster_arn.clone(),
        cause: None,
        restore_error: format!(
            "restored {} of {} services; could not restore {}; their previous state is still recorded on them: run `{}` again",
            reports.iter().filter(|r| r.restored).count(),
            services.len(),
            failures.join("; "),
            restore_command(&cluster_arn, &names)
        ),
    })
}
