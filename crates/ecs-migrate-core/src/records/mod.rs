//! What ecs-migrate keeps in AWS between runs: the pause records on services, the outcome of
//! each migration in SSM Parameter Store, the identity of a migration its tasks carry, and the
//! tag limits every record must fit. Its tags' keys and their one codec are in `tags.rs`; the
//! values they hold are typed (`Timestamp`, `RunId`, `MigrationId`).

pub(crate) mod migration_id;
pub(crate) mod outcome;
pub(crate) mod outcome_record;
pub(crate) mod pause_record;
pub(crate) mod run_id;
pub(crate) mod tag_limits;
pub mod tags;
pub(crate) mod timestamp;
