//! The family lock as a tag on the cluster: `ecs-migrate:lock:<family>` =
//! `run=… since=… expires=… migration=…` (`records/tags.rs`), written and read here, and the
//! lease's clock.

use super::{Held, Holder, CLOCK_SKEW, LEASE, RECORD_MARGIN};
use crate::records::tag_limits;
use crate::records::tags::{self, Fields, LOCK_PREFIX};
use crate::{Error, Plan, Timestamp};
use aws_sdk_ecs::types::Tag;
use std::time::Duration;

/// What a pause record written now by a run with `timeout` says in `ecs-migrate:expires`.
pub(crate) fn record_expiry(timeout: Option<Duration>) -> Option<Timestamp> {
    Some(Timestamp::from_now(timeout? + RECORD_MARGIN))
}

/// Whether a lease that runs until `expires` is still held. No expiry (`never`, written by
/// earlier versions) is not a lease.
pub(super) fn is_live(expires: Option<Timestamp>) -> bool {
    expires.is_some_and(|at| Timestamp::now().before(CLOCK_SKEW) <= at)
}

/// The family lock tag of this run, held since `since`, its lease running a [`LEASE`] from now.
pub(super) fn family_lock_tag(plan: &Plan, since: Timestamp) -> Tag {
    let holder = Holder {
        run_id: plan.run_id.clone(),
        since,
        expires: Some(Timestamp::from_now(LEASE)),
        migration: plan.migration.clone(),
        what: Held::Family(plan.family.clone()),
    };
    lock_tag(&plan.family, &holder)
}

/// Refuses, before anything changes, a family lock tag that would break ECS's tag limits on the
/// cluster (`records/tag_limits.rs`): its key holds the family, and the cluster may be full.
pub(super) fn check_lock_fits(
    cluster: &str,
    family: &str,
    cluster_tags: &[Tag],
) -> Result<(), Error> {
    // The longest values the lock holds.
    let time: Timestamp = "2026-01-01T00:00:00Z".parse().expect("a valid time");
    let holder = Holder {
        run_id: "r-000000000000".into(),
        since: time,
        expires: Some(time),
        migration: "0000000000000000".parse().expect("a valid id"),
        what: Held::Family(family.to_owned()),
    };
    let lock_key = tags::lock_key(family);
    tag_limits::check(
        "lock",
        &format!("cluster `{cluster}`"),
        cluster_tags,
        &[lock_tag(family, &holder)],
        || {
            if lock_key.chars().count() > tag_limits::MAX_KEY {
                "The lock's key holds the task definition family: use a family of at most 111 characters".to_owned()
            } else {
                "Remove tags the cluster no longer needs (`aws ecs untag-resource`)".to_owned()
            }
        },
    )
}

/// The family lock tag of `family` held by `holder`.
fn lock_tag(family: &str, holder: &Holder) -> Tag {
    let never: &dyn std::fmt::Display = &"never";
    let expires: &dyn std::fmt::Display = match &holder.expires {
        Some(at) => at,
        None => never,
    };
    Tag::builder()
        .key(tags::lock_key(family))
        .value(tags::write_fields(&[
            ("run", &holder.run_id),
            ("since", &holder.since),
            ("expires", expires),
            ("migration", &holder.migration),
        ]))
        .build()
}

/// A family lock tag, as (family, holder, or what makes it unreadable); `None` for other tags.
pub(super) fn parse_lock(tag: &Tag) -> Option<(String, Result<Holder, String>)> {
    let family = tag.key()?.strip_prefix(LOCK_PREFIX)?;
    let holder = Fields::parse(tag.value().unwrap_or_default()).and_then(|fields| {
        Ok(Holder {
            run_id: fields.require("run")?,
            since: fields.require("since")?,
            expires: fields.optional("expires", "never")?,
            migration: fields.require("migration")?,
            what: Held::Family(family.to_owned()),
        })
    });
    Some((family.to_owned(), holder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_live_until_it_runs_out_and_never_without_an_expiry() {
        assert!(is_live(Some(Timestamp::from_now(LEASE))));
        assert!(!is_live(Some("2020-01-01T00:00:00Z".parse().unwrap())));
        // Another machine's clock may be a little behind: just past is still live.
        assert!(is_live(Some(
            Timestamp::now().before(Duration::from_secs(30))
        )));
        assert!(!is_live(Some(
            Timestamp::now().before(Duration::from_secs(90))
        )));
        assert!(!is_live(None), "`never` (earlier versions) is no lease");
        assert_eq!(record_expiry(None), None);
        assert!(record_expiry(Some(Duration::from_secs(60))).is_some());
    }

    #[test]
    fn a_family_lock_tag_round_trips_through_its_writer() {
        let plan = crate::test_support::plan();
        let since = "2026-11-21T10:00:00Z".parse().unwrap();
        let tag = family_lock_tag(&plan, since);
        let (family, holder) = parse_lock(&tag).unwrap();
        let holder = holder.unwrap();
        assert_eq!(
            (
                family.as_str(),
                &holder.run_id,
                holder.since,
                &holder.migration
            ),
            ("app", &plan.run_id, since, &plan.migration)
        );
        assert!(is_live(holder.expires), "{:?}", holder.expires);
    }

    #[test]
    fn a_lock_written_by_an_earlier_version_without_expiry_is_no_lease() {
        let tag = Tag::builder()
            .key("ecs-migrate:lock:app")
            .value("run=r-1 since=2026-11-21T10:00:00Z expires=never migration=0123456789abcdef")
            .build();
        let (_, holder) = parse_lock(&tag).unwrap();
        assert_eq!(holder.unwrap().expires, None);
        let other = Tag::builder().key("team").value("payments").build();
        assert_eq!(parse_lock(&other), None);
    }

    #[test]
    fn an_unreadable_lock_says_what_is_wrong() {
        let tag = Tag::builder()
            .key("ecs-migrate:lock:app")
            .value("run=r-1 since=yesterday migration=0123456789abcdef")
            .build();
        let (family, holder) = parse_lock(&tag).unwrap();
        assert_eq!(family, "app");
        assert!(holder.unwrap_err().contains("`yesterday`"));
    }
}
