//! What ecs-migrate keeps in AWS between runs: the pause records on services, the outcome of
//! each migration in SSM Parameter Store, the identity of a migration its tasks carry, and the
//! tag limits every record must fit.

pub(crate) mod migration_id;
pub(crate) mod outcome;
pub(crate) mod outcome_record;
pub(crate) mod pause_record;
pub(crate) mod tag_limits;
