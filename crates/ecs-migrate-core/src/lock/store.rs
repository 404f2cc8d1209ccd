//! [`Store`]: where the family lock is kept — the cluster's tag (the default) or an S3 object
//! (`s3_store.rs`) — behind one interface: look, read, put (conditional on what was seen),
//! delete. The lease rules (`decide.rs`, `lease.rs`, `acquire.rs`) are the same for both; only
//! the S3 store can refuse a write that lost a race.

use super::record::{check_lock_fits, family_lock_tag, is_live, parse_lock};
use super::s3_store::{LockDocument, PauseRecords, S3Store};
use super::{Holder, LEASE};
use crate::aws::call;
use crate::progress::Progress;
use crate::records::tags;
use crate::{Clients, Error, LockSetting, Plan, RunId, Timestamp};
use std::time::Duration;

/// The state of the lock a write was conditional on: the S3 object's ETag; a tag has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Version {
    Tag,
    ETag(String),
}

/// What a conditional write did.
pub(crate) enum Put {
    Written(Version),
    /// Someone else wrote (or deleted) the lock since it was seen: nothing was written.
    Conflict,
}

/// The family lock as read: who holds it (or what makes it unreadable), and its version.
pub(crate) struct Found {
    pub holder: Result<Holder, String>,
    pub version: Version,
}

/// One look at the locks: this family's, and the runs whose leases are live (a pause record's
/// run is alive while its lease is).
pub(crate) struct Look {
    pub family: Option<Found>,
    pub leased: Vec<RunId>,
    /// The cluster's tags, as the tag store read them (`None` with the S3 store).
    pub cluster_tags: Option<Vec<aws_sdk_ecs::types::Tag>>,
}

/// What this run writes into the lock: the plan's run and migration, since when, and a nonce
/// unique to this write.
pub(crate) struct Claim<'p> {
    pub plan: &'p Plan,
    pub since: Timestamp,
    pub write: String,
}

impl<'p> Claim<'p> {
    /// The `n`th write of the plan's run, holding the app since `since`.
    pub fn new(plan: &'p Plan, since: Timestamp, n: u32) -> Claim<'p> {
        Claim {
            plan,
            since,
            write: format!("{}-{n}", plan.run_id),
        }
    }
}

/// The family lock of one app.
#[derive(Clone)]
pub(crate) enum Store<'a> {
    Tag {
        ecs: &'a aws_sdk_ecs::Client,
        cluster: String,
        family: String,
    },
    S3(S3Store<'a>),
}

impl<'a> Store<'a> {
    /// The lock of `family` on `cluster` (its ARN), kept as `setting` says.
    pub fn new(clients: &'a Clients, cluster: &str, family: &str, setting: &LockSetting) -> Self {
        match setting {
            LockSetting::ClusterTag => Store::Tag {
                ecs: &clients.ecs,
                cluster: cluster.to_owned(),
                family: family.to_owned(),
            },
            LockSetting::S3 { bucket, prefix } => Store::S3(S3Store {
                s3: &clients.s3,
                bucket: bucket.clone(),
                key: LockSetting::object_key(
                    prefix,
                    crate::aws::arn::resource_name(cluster),
                    family,
                ),
                family: family.to_owned(),
            }),
        }
    }

    /// The lock of the plan's app.
    pub fn for_plan(clients: &'a Clients, plan: &Plan) -> Self {
        Store::new(clients, &plan.cluster, &plan.family, &plan.lock)
    }

    /// This family's lock and the live leases. The tag store sees every family's lock on the
    /// cluster (one ListTagsForResource), whose tags it keeps for the fit check of a run about
    /// to take the app (`acquire.rs`); the S3 store reads this family's object.
    pub async fn look(&self, progress: &dyn Progress) -> Result<Look, Error> {
        match self {
            Store::Tag {
                ecs,
                cluster,
                family,
            } => {
                let tags =
                    call::list_tags(ecs, cluster, || format!("cluster `{cluster}`"), progress)
                        .await?;
                let locks: Vec<_> = tags.iter().filter_map(parse_lock).collect();
                let leased = live_leases(locks.iter().map(|(_, h)| h));
                let family = locks
                    .into_iter()
                    .find(|(f, _)| f == family)
                    .map(|(_, holder)| Found {
                        holder,
                        version: Version::Tag,
                    });
                Ok(Look {
                    family,
                    leased,
                    cluster_tags: Some(tags),
                })
            }
            Store::S3(s3) => {
                let family = s3.read(progress).await?.map(|read| Found {
                    holder: read.holder,
                    version: Version::ETag(read.etag),
                });
                let leased = live_leases(family.iter().map(|found| &found.holder));
                Ok(Look {
                    family,
                    leased,
                    cluster_tags: None,
                })
            }
        }
    }

    /// Before anything changes: can the lock be kept? The tag fits on the cluster (ECS's tag
    /// limits); the S3 object can be read (the bucket exists, the run may read it; a missing
    /// object is a free app). `cluster_tags`: the cluster's tags when already read.
    pub async fn check_usable(
        &self,
        cluster_tags: Option<Vec<aws_sdk_ecs::types::Tag>>,
    ) -> Result<(), Error> {
        match self {
            Store::Tag {
                ecs,
                cluster,
                family,
            } => {
                let tags = match cluster_tags {
                    Some(tags) => tags,
                    None => {
                        call::list_tags(ecs, cluster, || format!("cluster `{cluster}`"), &())
                            .await?
                    }
                };
                check_lock_fits(cluster, family, &tags)
            }
            Store::S3(s3) => s3.read(&()).await.map(|_| ()),
        }
    }

    /// This family's lock.
    pub async fn read(&self, progress: &dyn Progress) -> Result<Option<Found>, Error> {
        Ok(self.look(progress).await?.family)
    }

    /// Writes `claim` with a lease running a [`LEASE`] from now, if the lock is still at
    /// `expected` (`None`: if there is none). A tag is written whatever it holds. A transient
    /// failure is retried for `patience`.
    pub async fn put(
        &self,
        claim: &Claim<'_>,
        expected: Option<&Version>,
        patience: Duration,
        progress: &dyn Progress,
    ) -> Result<Put, Error> {
        let plan = claim.plan;
        match self {
            Store::Tag { ecs, cluster, .. } => {
                let call = ecs
                    .tag_resource()
                    .resource_arn(cluster)
                    .tags(family_lock_tag(plan, claim.since));
                call::send_within(
                    progress,
                    "TagResource",
                    || format!("cluster `{cluster}`"),
                    patience,
                    || call.clone().send(),
                )
                .await?;
                Ok(Put::Written(Version::Tag))
            }
            Store::S3(s3) => {
                let services = plan.pause.iter().flat_map(|p| &p.services);
                let doc = LockDocument {
                    run: plan.run_id.clone(),
                    since: claim.since,
                    expires: Timestamp::from_now(LEASE),
                    migration: plan.migration.clone(),
                    pause_records: PauseRecords::on(
                        &plan.cluster,
                        services.map(|s| s.name.clone()).collect(),
                    ),
                    write: claim.write.clone(),
                };
                s3.put(&doc, expected, patience, progress).await
            }
        }
    }

    /// Removes the lock if this run (`run_id`) holds it, as last written at `mine`; another
    /// run's lock is left as it is. The S3 store lets the condition on `mine` decide; a tag has
    /// none, so it is read first.
    pub async fn release(
        &self,
        run_id: &RunId,
        mine: &Version,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        match self {
            Store::Tag { .. } => match self.read(progress).await? {
                Some(Found {
                    holder: Ok(holder), ..
                }) if holder.run_id == *run_id => self.delete(None, progress).await,
                _ => Ok(()),
            },
            Store::S3(_) => self.delete(Some(mine), progress).await,
        }
    }

    /// Removes the lock if it is still at `expected` (`None`: whoever holds it); a lock that
    /// changed since is left as it is.
    pub async fn delete(
        &self,
        expected: Option<&Version>,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        match self {
            Store::Tag {
                ecs,
                cluster,
                family,
            } => {
                let call = ecs
                    .untag_resource()
                    .resource_arn(cluster)
                    .tag_keys(tags::lock_key(family));
                call::send(
                    progress,
                    "UntagResource",
                    || format!("cluster `{cluster}`"),
                    || call.clone().send(),
                )
                .await?;
                Ok(())
            }
            Store::S3(s3) => s3.delete(expected, progress).await,
        }
    }

    /// A dead run's family lock, before this run takes the app: the tag is removed; the S3
    /// object stays, since taking the app replaces it conditionally on the ETag seen.
    pub async fn clear_dead(&self, progress: &dyn Progress) -> Result<(), Error> {
        match self {
            Store::Tag { .. } => self.delete(None, progress).await,
            Store::S3(_) => Ok(()),
        }
    }
}

/// The runs among `holders` whose lease is live.
fn live_leases<'h>(holders: impl Iterator<Item = &'h Result<Holder, String>>) -> Vec<RunId> {
    holders
        .filter_map(|h| h.as_ref().ok())
        .filter(|h| is_live(h.expires))
        .map(|h| h.run_id.clone())
        .collect()
}
