//! `ecs-migrate unlock`: clear a dead run's family lock by hand, and restore its services.

use super::restore::restore;
use crate::progress::{Event, Progress};
use crate::{Clients, Error, ServiceReport};

/// `ecs-migrate unlock`: clear the family lock of `task_definition` on `cluster` and restore
/// `services` from their records. For locks left by runs that are gone.
pub async fn unlock(
    clients: &Clients,
    cluster: &str,
    task_definition: &str,
    services: &[String],
    progress: &dyn Progress,
) -> Result<Vec<ServiceReport>, Error> {
    let cluster_arn = crate::resolve::services::describe_cluster(&clients.ecs, cluster).await?;
    let family = crate::aws::arn::family(task_definition);
    match crate::lock::read_family_lock(&clients.ecs, &cluster_arn, family, progress).await? {
        Some(holder) => {
            crate::lock::release_family_lock(&clients.ecs, &cluster_arn, family, progress).await?;
            progress.event(Event::Warning(match holder {
                Ok(holder) => format!(
                    "cleared the lock on task definition family {family} held by run {} since {}",
                    holder.run_id, holder.since
                ),
                Err(problem) => format!(
                    "cleared the unreadable lock on task definition family {family} ({problem})"
                ),
            }));
        }
        None => progress.event(Event::Warning(format!(
            "task definition family {family} was not locked"
        ))),
    }
    if services.is_empty() {
        return Ok(Vec::new());
    }
    restore(clients, cluster, services, None, progress).await
}
