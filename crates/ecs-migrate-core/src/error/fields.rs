//! Which settings would fix an error: [`Error::fields`], for each edge to name in its own
//! terms (a CLI flag, a Lambda payload key), and [`Error::for_field`], which gives a value's
//! error the setting it was read for.

use super::Error;
use crate::Field;

impl Error {
    /// The settings that would fix this error, for the edge to name in its own terms (a flag,
    /// a payload key); empty when no setting would.
    pub fn fields(&self) -> Vec<Field> {
        match self {
            Error::InvalidTaskDefinition { .. }
            | Error::RevisionWithoutTaskDefinition { .. }
            | Error::ServiceWithoutTaskDefinition { .. } => vec![Field::TaskDefinition],
            Error::RevisionConflict { .. } => vec![Field::Revision, Field::TaskDefinition],
            Error::MissingTaskDefinition => vec![Field::TaskDefinition, Field::FromService],
            Error::InvalidValue { field, .. } => vec![*field],
            Error::LaunchTypeAndCapacityProviders { .. } => {
                vec![Field::LaunchType, Field::CapacityProviders]
            }
            Error::NoRegion => vec![Field::Region],
            Error::NoSubnets { .. } => {
                vec![Field::Subnets, Field::SecurityGroups, Field::FromService]
            }
            Error::SeveralEssentialContainers { .. }
            | Error::NoEssentialContainer { .. }
            | Error::UnknownContainer { .. } => vec![Field::Container],
            Error::Locked { .. } => vec![Field::WaitForLock],
            Error::LockBucketNotFound { .. } => vec![Field::Lock],
            _ => Vec::new(),
        }
    }

    /// The same value error, about `field`: a value's parser (a duration, `KEY=VALUE`) does not
    /// know which setting it reads; its caller does (a duration may be the lock wait).
    pub fn for_field(self, field: Field) -> Error {
        match self {
            Error::InvalidValue { value, reason, .. } => Error::InvalidValue {
                field,
                value,
                reason,
            },
            other => other,
        }
    }
}
