//! Phase 6: put every paused service back from its record — one [`restore_one`] for the run's own
//! restore, a dead run's leftovers and `ecs-migrate restore` — or leave them paused and say how
//! to restore them.

use super::autoscaling;
use super::{Entry, PausePlan, Paused, ServiceReport};
use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::records::pause_record::PauseRecord;
use crate::records::tags;
use crate::{Clients, Error};

/// One service to put back: `record` says how, `desired_count` to what count.
pub(crate) struct Restore<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    pub record: &'a PauseRecord,
    pub desired_count: i32,
}

impl Paused<'_> {
    /// Why a service this run paused is no longer its to restore, read from the record it
    /// carries now: another run's (a run that took this one for dead and took over), or none
    /// (put back by hand). `None`: still ours, or unreadable just now (then ours is restored).
    async fn not_ours_to_restore(&self, entry: &Entry) -> Option<String> {
        let name = &entry.target.name;
        let tags = call::list_tags(
            &self.clients.ecs,
            &entry.target.arn,
            || format!("service `{name}`"),
            self.progress,
        )
        .await
        .ok()?;
        match PauseRecord::from_tags(&tags) {
            Some(Ok(record)) if record.run_id != entry.record.run_id => Some(format!(
                "service {name} is now paused by run {}, which took over: left to it",
                record.run_id
            )),
            None => Some(format!(
                "service {name} has no pause record any more (restored by hand?): left as it is"
            )),
            Some(_) => None,
        }
    }

    /// The services stay paused because `why` (a task of the migration still running): the
    /// reports say so, and the error gives the command that restores them later.
    pub(crate) fn left_paused(&self, why: &str) -> (Vec<ServiceReport>, Option<String>) {
        let Some(plan) = self.plan else {
            return (Vec::new(), None);
        };
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|e| e.target.name.as_str())
            .collect();
        let reports = self
            .entries
            .iter()
            .map(|entry| not_restored_yet(entry, plan))
            .collect();
        let error = format!(
            "left the services paused: {why}, and the old code must not run next to the migration. Their previous state is recorded on them: once the migration's tasks have stopped, run `{}`",
            restore_command(self.cluster, &names)
        );
        (reports, Some(error))
    }

    /// Phase 5: put every service back (or leave them paused when `keep` says so). Never
    /// selects on shutdown: an interrupt is exactly when this must run.
    pub(crate) async fn restore(&self, keep: bool) -> (Vec<ServiceReport>, Option<String>) {
        let Some(plan) = self.plan else {
            return (Vec::new(), None);
        };
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        if keep && self.entries.iter().any(|e| e.record_written) {
            let names: Vec<&str> = self
                .entries
                .iter()
                .map(|e| e.target.name.as_str())
                .collect();
            self.progress.event(Event::KeptPaused {
                services: &names,
                command: &restore_command(self.cluster, &names),
            });
        }
        for entry in &self.entries {
            let to = plan.restore_to.unwrap_or(entry.record.desired_count);
            let mut report = not_restored_yet(entry, plan);
            if !entry.record_written {
                // Never touched: nothing to undo.
                report.desired_after = Some(entry.target.before().0);
                report.restored = true;
            } else if !keep {
                if let Some(why) = self.not_ours_to_restore(entry).await {
                    self.progress.event(Event::Warning(why));
                } else {
                    let service = Restore {
                        name: &entry.target.name,
                        arn: &entry.target.arn,
                        record: &entry.record,
                        desired_count: to,
                    };
                    match restore_one(self.clients, self.cluster, service, self.progress).await {
                        Ok(()) => {
                            report.desired_after = Some(to);
                            report.autoscaling_restored = entry.record.autoscaling.is_some();
                            report.restored = true;
                        }
                        Err(err) => failures.push(format!("{}: {err}", entry.target.name)),
                    }
                }
            }
            reports.push(report);
        }
        let error = (!failures.is_empty()).then(|| {
            let names: Vec<&str> = self
                .entries
                .iter()
                .map(|e| e.target.name.as_str())
                .collect();
            format!(
                "could not restore {}; their previous state is still recorded on them: run `{}`",
                failures.join("; "),
                restore_command(self.cluster, &names)
            )
        });
        (reports, error)
    }
}

/// Puts one service back as its record says — desired count, then auto scaling exactly as
/// recorded — then removes the record, and says so.
pub(crate) async fn restore_one(
    clients: &Clients,
    cluster: &str,
    service: Restore<'_>,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let Restore {
        name,
        arn,
        record,
        desired_count,
    } = service;
    let resource = || format!("service `{name}` in cluster `{cluster}`");
    let call = clients
        .ecs
        .update_service()
        .cluster(cluster)
        .service(name)
        .desired_count(desired_count);
    call::send(progress, "UpdateService", resource, || call.clone().send()).await?;
    if let Some(state) = record.autoscaling {
        autoscaling::register(
            &clients.autoscaling,
            &autoscaling::resource_id(cluster, name),
            state,
            progress,
        )
        .await?;
    }
    let call = clients
        .ecs
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(
            tags::PAUSE_RECORD.iter().map(|k| k.to_string()).collect(),
        ));
    call::send(progress, "UntagResource", resource, || call.clone().send()).await?;
    progress.event(Event::ServiceRestored {
        service: name,
        desired_count,
        autoscaling: record.autoscaling.is_some(),
    });
    Ok(())
}

/// What the report says of a service before (or without) its restore.
pub(super) fn not_restored_yet(entry: &Entry, plan: &PausePlan) -> ServiceReport {
    ServiceReport {
        name: entry.target.name.clone(),
        desired_before: entry.record.desired_count,
        desired_during: if entry.scaled_down {
            plan.min_capacity
        } else {
            entry.record.desired_count
        },
        desired_after: None,
        autoscaling_suspended: entry.autoscaling_suspended,
        autoscaling_restored: false,
        restored: false,
        recovered_from: entry.target.leftover.as_ref().map(|r| r.run_id.clone()),
    }
}

/// The command an operator runs to restore services left paused.
pub fn restore_command(cluster: &str, services: &[&str]) -> String {
    let cluster = crate::aws::arn::resource_name(cluster);
    let mut command = format!("ecs-migrate restore --cluster {cluster}");
    for service in services {
        command.push_str(&format!(" --service {service}"));
    }
    command
}
