//! `ecs-migrate unlock`: clear a dead run's family lock by hand, and restore its services.

use super::restore::restore;
use crate::lock::{Found, Store};
use crate::progress::{Event, Progress};
use crate::{Clients, Error, LockSetting, ServiceReport};

/// What `ecs-migrate unlock` clears: the family lock of `task_definition` on `cluster`, kept
/// as `lock` says, and the pause records of `services`.
#[derive(Debug, Clone)]
pub struct Unlock {
    pub cluster: String,
    pub task_definition: String,
    pub services: Vec<String>,
    pub lock: LockSetting,
}

/// `ecs-migrate unlock`: clear the family lock and restore the services from their records. For
/// locks left by runs that are gone.
pub async fn unlock(
    clients: &Clients,
    unlock: &Unlock,
    progress: &dyn Progress,
) -> Result<Vec<ServiceReport>, Error> {
    let cluster = unlock.cluster.as_str();
    let cluster_arn = crate::resolve::services::describe_cluster(&clients.ecs, cluster).await?;
    let family = crate::aws::arn::family(&unlock.task_definition);
    let store = Store::new(clients, &cluster_arn, family, &unlock.lock);
    match store.read(progress).await? {
        Some(Found { holder, .. }) => {
            store.delete(None, progress).await?;
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
    if unlock.services.is_empty() {
        return Ok(Vec::new());
    }
    restore(clients, cluster, &unlock.services, None, progress).await
}
