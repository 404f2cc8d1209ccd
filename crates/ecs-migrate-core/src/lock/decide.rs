//! What a run may do with the app, given one look at it: the lock's rules as a pure function,
//! tested without AWS. `acquire.rs` makes the look and carries the decision out.

use super::Holder;
use crate::records::outcome::Outcome;
use crate::{MigrationId, RunId};

/// One look at the app, by a run other than `holders`'.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// Who else holds (part of) the app: the family lock and the pause records that are not
    /// this run's.
    pub holders: Vec<Holder>,
    /// The runs whose lease is live (renewed within a lease, allowing for clock skew).
    pub leased: Vec<RunId>,
    /// The live task of each migration among `holders`, if it has one.
    pub live: Vec<(MigrationId, Option<String>)>,
    /// An outcome of this run's migration that another run recorded while this one waited.
    pub finished: Option<Outcome>,
    /// When every holder runs this run's migration and none has a live task: the task one of
    /// them left to end unwatched, its outcome not recorded (`launch/live_tasks.rs::ended_of`).
    pub ended: Option<String>,
}

impl Seen {
    fn live_task(&self, migration: &MigrationId) -> Option<&String> {
        self.live
            .iter()
            .find(|(m, _)| m == migration)
            .and_then(|(_, task)| task.as_ref())
    }
}

/// What the run does now.
#[derive(Debug, PartialEq)]
pub(super) enum Decision {
    /// Another run recorded this migration's outcome: report it.
    Finished(Outcome),
    /// Join the live run of this same migration: watch its task.
    Join { task_arn: String, holder: RunId },
    /// The app is this run's, once what the runs in `take_over` left is taken over.
    Free { take_over: Vec<Holder> },
    /// `holder` is alive (its task, if it has one, is `task`): wait, after taking over what
    /// the dead runs in `take_over` left.
    Wait {
        holder: Holder,
        task: Option<String>,
        take_over: Vec<Holder>,
    },
}

/// The lock's rules, for a run of `migration`:
/// - an outcome another run recorded meanwhile is the answer;
/// - nobody else: free;
/// - only runs of this same migration, with its task alive, or ended and its outcome not
///   recorded: join (the task's exit is the verdict; a new task would run the migration twice);
/// - a holder with neither a live task of its migration nor a live lease is dead: taken over;
/// - any other holder is alive: wait for it.
pub(super) fn decide(seen: Seen, migration: &MigrationId) -> Decision {
    if let Some(outcome) = seen.finished {
        return Decision::Finished(outcome);
    }
    if seen.holders.is_empty() {
        return Decision::Free {
            take_over: Vec::new(),
        };
    }
    if seen.holders.iter().all(|h| h.migration == *migration) {
        if let Some(task_arn) = seen.live_task(migration).or(seen.ended.as_ref()) {
            return Decision::Join {
                task_arn: task_arn.clone(),
                holder: seen.holders[0].run_id.clone(),
            };
        }
    }
    let (mut alive, mut take_over) = (Vec::new(), Vec::new());
    for holder in &seen.holders {
        let task = seen.live_task(&holder.migration).cloned();
        if task.is_none() && !seen.leased.contains(&holder.run_id) {
            take_over.push(holder.clone());
        } else {
            alive.push((holder.clone(), task));
        }
    }
    match alive.into_iter().next() {
        None => Decision::Free { take_over },
        Some((holder, task)) => Decision::Wait {
            holder,
            task,
            take_over,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Held;

    const MINE: &str = "0000000000000042";

    fn id(migration: &str) -> MigrationId {
        migration.parse().unwrap()
    }

    fn holder(run: &str, migration: &str, what: Held) -> Holder {
        Holder {
            run_id: run.into(),
            since: "2026-12-01T10:00:00Z".parse().unwrap(),
            expires: None,
            migration: id(migration),
            what,
        }
    }

    fn family(run: &str, migration: &str) -> Holder {
        holder(run, migration, Held::Family("app".into()))
    }

    #[test]
    fn nobody_holding_the_app_leaves_it_free() {
        assert_eq!(
            decide(Seen::default(), &id(MINE)),
            Decision::Free { take_over: vec![] }
        );
    }

    #[test]
    fn a_run_of_the_same_migration_with_a_live_task_is_joined() {
        let seen = Seen {
            holders: vec![
                family("r-1", MINE),
                holder("r-1", MINE, Held::Service("web".into())),
            ],
            live: vec![(id(MINE), Some("task/1".into()))],
            ..Seen::default()
        };
        assert_eq!(
            decide(seen, &id(MINE)),
            Decision::Join {
                task_arn: "task/1".into(),
                holder: "r-1".into()
            }
        );
    }

    #[test]
    fn a_leased_run_of_the_same_migration_whose_task_ended_unrecorded_is_joined_not_waited_for() {
        // A Lambda that handed off, its migration over before the next invocation: the lease
        // is still live, but a run that waited it out would only then find the same task.
        let seen = Seen {
            holders: vec![family("r-1", MINE)],
            leased: vec!["r-1".into()],
            live: vec![(id(MINE), None)],
            ended: Some("task/1".into()),
            ..Seen::default()
        };
        assert_eq!(
            decide(seen, &id(MINE)),
            Decision::Join {
                task_arn: "task/1".into(),
                holder: "r-1".into()
            }
        );
    }

    #[test]
    fn an_ended_task_is_not_joined_while_a_run_of_another_migration_holds_the_app_too() {
        let other = holder("r-2", "0000000000000041", Held::Service("worker".into()));
        let seen = Seen {
            holders: vec![family("r-1", MINE), other],
            leased: vec!["r-1".into(), "r-2".into()],
            live: vec![(id(MINE), None), (id("0000000000000041"), None)],
            ended: Some("task/1".into()),
            ..Seen::default()
        };
        assert!(matches!(decide(seen, &id(MINE)), Decision::Wait { .. }));
    }

    #[test]
    fn a_run_of_another_migration_with_a_live_task_is_waited_for_even_without_a_lease() {
        let seen = Seen {
            holders: vec![family("r-1", "0000000000000041")],
            live: vec![(id("0000000000000041"), Some("task/1".into()))],
            ..Seen::default()
        };
        assert_eq!(
            decide(seen, &id(MINE)),
            Decision::Wait {
                holder: family("r-1", "0000000000000041"),
                task: Some("task/1".into()),
                take_over: vec![]
            }
        );
    }

    #[test]
    fn a_leased_run_without_a_task_is_waited_for_even_of_the_same_migration() {
        // Draining, say: its task is not started yet; joining now would start a second run.
        let seen = Seen {
            holders: vec![family("r-1", MINE)],
            leased: vec!["r-1".into()],
            live: vec![(id(MINE), None)],
            ..Seen::default()
        };
        assert!(matches!(
            decide(seen, &id(MINE)),
            Decision::Wait { task: None, ref take_over, .. } if take_over.is_empty()
        ));
    }

    #[test]
    fn a_run_with_neither_task_nor_lease_is_taken_over() {
        let dead = holder("r-0", "0000000000000040", Held::Service("web".into()));
        let seen = Seen {
            holders: vec![dead.clone()],
            live: vec![(id("0000000000000040"), None)],
            ..Seen::default()
        };
        assert_eq!(
            decide(seen, &id(MINE)),
            Decision::Free {
                take_over: vec![dead]
            }
        );
    }

    #[test]
    fn a_dead_run_is_taken_over_while_a_live_one_is_waited_for() {
        let dead = holder("r-0", "0000000000000040", Held::Service("worker".into()));
        let live = family("r-1", "0000000000000041");
        let seen = Seen {
            holders: vec![dead.clone(), live.clone()],
            leased: vec!["r-1".into()],
            live: vec![
                (id("0000000000000040"), None),
                (id("0000000000000041"), None),
            ],
            ..Seen::default()
        };
        assert_eq!(
            decide(seen, &id(MINE)),
            Decision::Wait {
                holder: live,
                task: None,
                take_over: vec![dead]
            }
        );
    }

    #[test]
    fn an_outcome_recorded_meanwhile_is_the_answer_whoever_holds_the_app() {
        let outcome = Outcome::adopted(&crate::test_support::plan());
        let seen = Seen {
            holders: vec![family("r-1", MINE)],
            leased: vec!["r-1".into()],
            finished: Some(outcome.clone()),
            ..Seen::default()
        };
        assert_eq!(decide(seen, &id(MINE)), Decision::Finished(outcome));
    }
}
