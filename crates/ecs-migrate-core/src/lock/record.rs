//! The family lock as a tag on the cluster: `ecs-migrate:lock:<family>` =
//! `run=… since=… expires=… migration=…`, written and read here, and the lease's clock.

use super::{Holder, CLOCK_SKEW, LEASE, LOCK_PREFIX, RECORD_MARGIN};
use crate::aws::call;
use crate::progress::Progress;
use crate::{Error, MigrationId, Plan};
use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::time::{Duration, SystemTime};

/// Now, RFC 3339 to the second (what the records and the history show).
pub(crate) fn now() -> String {
    DateTime::from_secs(DateTime::from(SystemTime::now()).secs())
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// `duration` from now, RFC 3339 to the second.
pub(super) fn from_now(duration: Duration) -> String {
    let at = DateTime::from(SystemTime::now() + duration);
    DateTime::from_secs(at.secs() + 1)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// What a pause record written now by a run with `timeout` says in `ecs-migrate:expires`.
pub(crate) fn record_expiry(timeout: Option<Duration>) -> Option<String> {
    Some(from_now(timeout? + RECORD_MARGIN))
}

/// Whether a lease that runs until `expires` is still held. No expiry (`never`, written by
/// earlier versions) or an unreadable one is not a lease.
pub(super) fn is_live(expires: Option<&str>) -> bool {
    let lapsed_by = DateTime::from(SystemTime::now() - CLOCK_SKEW);
    expires
        .and_then(|expires| DateTime::from_str(expires, Format::DateTime).ok())
        .is_some_and(|at| lapsed_by <= at)
}

pub(super) fn family_lock_tag(
    plan: &Plan,
    family: &str,
    migration: &MigrationId,
    since: &str,
) -> Tag {
    Tag::builder()
        .key(format!("{LOCK_PREFIX}{family}"))
        .value(format!(
            "run={} since={since} expires={} migration={migration}",
            plan.run_id,
            from_now(LEASE)
        ))
        .build()
}

/// Every family lock on the cluster, as (family, holder).
fn parse_lock(tag: &Tag) -> Option<(String, Holder)> {
    let family = tag.key()?.strip_prefix(LOCK_PREFIX)?;
    let mut holder = Holder {
        run_id: String::new(),
        since: String::new(),
        expires: None,
        migration: String::new(),
        what: format!("task definition family {family}"),
    };
    for part in tag.value()?.split_whitespace() {
        let (key, value) = part.split_once('=')?;
        match key {
            "run" => holder.run_id = value.to_owned(),
            "since" => holder.since = value.to_owned(),
            "expires" => holder.expires = (value != "never").then(|| value.to_owned()),
            "migration" => holder.migration = value.to_owned(),
            _ => {}
        }
    }
    Some((family.to_owned(), holder))
}

/// Every family lock on the cluster.
pub(super) async fn read_locks(
    ecs: &Client,
    cluster: &str,
    progress: &dyn Progress,
) -> Result<Vec<(String, Holder)>, Error> {
    let tags = call::list_tags(ecs, cluster, || format!("cluster `{cluster}`"), progress).await?;
    Ok(tags.iter().filter_map(parse_lock).collect())
}

pub(crate) async fn read_family_lock(
    ecs: &Client,
    cluster: &str,
    family: &str,
    progress: &dyn Progress,
) -> Result<Option<Holder>, Error> {
    let locks = read_locks(ecs, cluster, progress).await?;
    Ok(locks.into_iter().find(|(f, _)| f == family).map(|(_, h)| h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_live_until_it_runs_out_and_never_without_an_expiry() {
        assert!(is_live(Some(&from_now(LEASE))));
        assert!(!is_live(Some("2020-01-01T00:00:00Z")));
        // Another machine's clock may be a little behind: just past is still live.
        let just_past = DateTime::from(SystemTime::now() - Duration::from_secs(30))
            .fmt(Format::DateTime)
            .unwrap();
        assert!(is_live(Some(&just_past)));
        assert!(!is_live(None), "`never` (earlier versions) is no lease");
        assert!(!is_live(Some("soon")), "an unreadable expiry is no lease");
        assert_eq!(record_expiry(None), None);
        assert!(record_expiry(Some(Duration::from_secs(60))).is_some());
    }

    #[test]
    fn a_family_lock_tag_round_trips_through_its_writer() {
        let plan = crate::test_support::plan();
        let tag = family_lock_tag(&plan, "app", &plan.migration, "2026-11-21T10:00:00Z");
        let (family, holder) = parse_lock(&tag).unwrap();
        assert_eq!(
            (
                family.as_str(),
                holder.run_id.as_str(),
                holder.since.as_str(),
                holder.migration.as_str()
            ),
            (
                "app",
                "r-test",
                "2026-11-21T10:00:00Z",
                plan.migration.as_str()
            )
        );
        assert!(is_live(holder.expires.as_deref()), "{:?}", holder.expires);
    }

    #[test]
    fn a_lock_written_by_an_earlier_version_without_expiry_is_no_lease() {
        let tag = Tag::builder()
            .key("ecs-migrate:lock:app")
            .value("run=r-1 since=2026-11-21T10:00:00Z expires=never migration=abc")
            .build();
        let (_, holder) = parse_lock(&tag).unwrap();
        assert_eq!(holder.expires, None);
        let other = Tag::builder().key("team").value("payments").build();
        assert_eq!(parse_lock(&other), None);
    }
}
