//! What the user said about the task definition: a family, `family:revision`, or an ARN with or
//! without a revision. Terraform users often hold the revision-less ARN and the revision apart, so
//! `--revision` can complete either form.

use crate::Error;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDefinitionRef {
    /// `app` or `arn:aws:ecs:eu-west-1:123456789012:task-definition/app`.
    base: String,
    revision: Option<u32>,
}

impl TaskDefinitionRef {
    pub fn revision(&self) -> Option<u32> {
        self.revision
    }

    /// The family name, whichever form was given.
    pub fn family(&self) -> &str {
        crate::aws::arn::resource_name(&self.base)
    }

    /// The same family (or ARN) with its revision dropped.
    pub fn without_revision(self) -> Self {
        TaskDefinitionRef {
            revision: None,
            ..self
        }
    }

    /// Completes a revision-less reference with `--revision`.
    pub fn with_revision(self, revision: u32) -> Result<Self, Error> {
        match self.revision {
            Some(existing) if existing != revision => Err(Error::RevisionConflict {
                task_definition: self.to_string(),
                revision,
                existing,
            }),
            _ => Ok(TaskDefinitionRef {
                revision: Some(revision),
                ..self
            }),
        }
    }
}

impl fmt::Display for TaskDefinitionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.revision {
            Some(revision) => write!(f, "{}:{revision}", self.base),
            None => f.write_str(&self.base),
        }
    }
}

fn invalid(value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidTaskDefinition {
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// ECS family names: up to 255 letters, digits, hyphens and underscores.
fn check_family(value: &str, family: &str) -> Result<(), Error> {
    if family.is_empty() {
        return Err(invalid(value, "the family is empty"));
    }
    if family.len() > 255 {
        return Err(invalid(value, "the family is longer than 255 characters"));
    }
    if let Some(bad) = family
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(invalid(
            value,
            format!("`{bad}` is not allowed in a family name (letters, digits, `-` and `_` only)"),
        ));
    }
    Ok(())
}

fn parse_revision(value: &str, revision: &str) -> Result<u32, Error> {
    match revision.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(
            value,
            format!("revision `{revision}` is not a positive whole number"),
        )),
    }
}

/// Splits `family[:revision]`.
fn split_family(value: &str, text: &str) -> Result<(String, Option<u32>), Error> {
    match text.split_once(':') {
        Some((family, revision)) => {
            check_family(value, family)?;
            Ok((family.to_owned(), Some(parse_revision(value, revision)?)))
        }
        None => {
            check_family(value, text)?;
            Ok((text.to_owned(), None))
        }
    }
}

impl FromStr for TaskDefinitionRef {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        let value = value.trim();
        if !value.starts_with("arn:") {
            let (base, revision) = split_family(value, value)?;
            return Ok(TaskDefinitionRef { base, revision });
        }
        // arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY[:REVISION]
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        if parts.len() != 6 {
            return Err(invalid(value, "an ARN has six `:`-separated parts"));
        }
        let [_, partition, service, region, account, resource] = parts[..] else {
            unreachable!("six parts checked above")
        };
        if partition.is_empty() {
            return Err(invalid(value, "the ARN has no partition"));
        }
        if service != "ecs" {
            return Err(invalid(
                value,
                format!("this is an ARN of service `{service}`, not `ecs`"),
            ));
        }
        if region.is_empty() {
            return Err(invalid(value, "the ARN has no region"));
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(
                value,
                format!("account `{account}` is not a 12-digit AWS account id"),
            ));
        }
        let Some(family_rev) = resource.strip_prefix("task-definition/") else {
            return Err(invalid(
                value,
                format!("resource `{resource}` is not `task-definition/FAMILY[:REVISION]`"),
            ));
        };
        let (family, revision) = split_family(value, family_rev)?;
        Ok(TaskDefinitionRef {
            base: format!("arn:{partition}:ecs:{region}:{account}:task-definition/{family}"),
            revision,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_forms() {
        let family: TaskDefinitionRef = "app".parse().unwrap();
        assert_eq!((family.family(), family.revision()), ("app", None));

        let with_rev: TaskDefinitionRef = "app:42".parse().unwrap();
        assert_eq!(with_rev.to_string(), "app:42");

        let arn: TaskDefinitionRef = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42"
            .parse()
            .unwrap();
        assert_eq!(arn.family(), "app");
        assert_eq!(arn.revision(), Some(42));
        assert_eq!(
            arn.to_string(),
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42"
        );
    }

    #[test]
    fn revision_completes_a_family_or_a_revisionless_arn() {
        let arn: TaskDefinitionRef = "arn:aws:ecs:eu-west-1:123456789012:task-definition/fleet"
            .parse()
            .unwrap();
        assert_eq!(
            arn.with_revision(5).unwrap().to_string(),
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/fleet:5"
        );
        let same: TaskDefinitionRef = "app:5".parse().unwrap();
        assert_eq!(same.with_revision(5).unwrap().to_string(), "app:5");
    }

    #[test]
    fn a_second_different_revision_is_a_conflict() {
        let err = "app:4"
            .parse::<TaskDefinitionRef>()
            .unwrap()
            .with_revision(5)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::RevisionConflict {
                revision: 5,
                existing: 4,
                ..
            }
        ));
    }

    #[test]
    fn malformed_references_name_the_problem() {
        for (value, needle) in [
            ("app:latest", "revision `latest`"),
            ("app:0", "revision `0`"),
            ("my app", "` ` is not allowed"),
            ("", "family is empty"),
            (
                "arn:aws:s3:eu-west-1:123456789012:task-definition/app:1",
                "service `s3`",
            ),
            (
                "arn:aws:ecs:eu-west-1:1234:task-definition/app:1",
                "12-digit",
            ),
            ("arn:aws:ecs:eu-west-1:123456789012:service/app", "resource"),
            ("arn:aws:ecs:eu-west-1", "six"),
        ] {
            let err = value.parse::<TaskDefinitionRef>().unwrap_err().to_string();
            assert!(err.contains(needle), "{value:?}: {err}");
            assert!(err.contains("full ARN"), "{value:?} says the fix: {err}");
        }
    }
}
