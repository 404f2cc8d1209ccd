//! [`MigrationId`]: what makes two runs "the same migration": the task definition revision (full
//! ARN), the deciding container and its command. Run-once records, re-attach and RunTask's
//! idempotency token are all keyed by it.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MigrationId(String);

/// A value that is not a migration id (16 lowercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a migration id (16 hex digits, as `ecs-migrate history` shows)")]
pub struct NotAMigrationId(pub String);

impl std::str::FromStr for MigrationId {
    type Err = NotAMigrationId;

    fn from_str(text: &str) -> Result<MigrationId, NotAMigrationId> {
        let valid = text.len() == 16
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        if valid {
            Ok(MigrationId(text.to_owned()))
        } else {
            Err(NotAMigrationId(text.to_owned()))
        }
    }
}

impl TryFrom<String> for MigrationId {
    type Error = NotAMigrationId;

    fn try_from(text: String) -> Result<MigrationId, NotAMigrationId> {
        text.parse()
    }
}

impl From<MigrationId> for String {
    fn from(id: MigrationId) -> String {
        id.0
    }
}

fn hex(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.truncate(len);
    out
}

impl MigrationId {
    /// `command == None` means the task definition's own command. `key` is what the user adds to
    /// the identity (Terraform's `triggers`, say): a blank one changes nothing, so migrations
    /// recorded without a key keep their id.
    pub fn new(
        task_definition_arn: &str,
        container: &str,
        command: Option<&[String]>,
        key: Option<&str>,
    ) -> Self {
        let mut digest = Sha256::new();
        digest.update(task_definition_arn.as_bytes());
        digest.update([0]);
        digest.update(container.as_bytes());
        digest.update([0]);
        match command {
            Some(command) => {
                for part in command {
                    digest.update(part.as_bytes());
                    digest.update([0]);
                }
            }
            None => digest.update(b"\xff(task definition command)"),
        }
        if let Some(key) = key.filter(|key| !key.trim().is_empty()) {
            digest.update(b"\xfe(key)");
            digest.update(key.as_bytes());
        }
        MigrationId(hex(&digest.finalize(), 16))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `startedBy` of this migration's tasks (ECS allows 36 characters): ListTasks filters on it,
    /// which is how a later run finds a task to re-attach to.
    pub fn started_by(&self) -> String {
        started_by(&self.0)
    }

    /// RunTask's `clientToken`: the migration and the last recorded outcome of it. Runs of the
    /// same migration from the same starting point (a retried call, two pipelines at once, a
    /// re-invoked Lambda) get the same token, so ECS starts one task for them all (for 24 h);
    /// once an outcome is recorded, the next attempt gets a new token.
    pub fn client_token(&self, last_outcome: Option<&str>) -> String {
        let mut digest = Sha256::new();
        digest.update(self.0.as_bytes());
        digest.update([0]);
        digest.update(last_outcome.unwrap_or("none").as_bytes());
        format!("ecs-migrate-{}", hex(&digest.finalize(), 32))
    }
}

/// `startedBy` of the tasks of the migration whose id is `id`.
fn started_by(id: &str) -> String {
    format!("ecs-migrate/{id}")
}

impl std::fmt::Display for MigrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42";

    #[test]
    fn the_same_migration_has_the_same_id_and_a_different_one_does_not() {
        let cmd = ["bin/rails".to_owned(), "db:migrate".to_owned()];
        let a = MigrationId::new(TD, "app", Some(&cmd), None);
        assert_eq!(a, MigrationId::new(TD, "app", Some(&cmd), None));
        assert_ne!(a, MigrationId::new(TD, "app", None, None));
        assert_ne!(a, MigrationId::new(TD, "worker", Some(&cmd), None));
        let other_td = TD.replace(":42", ":43");
        assert_ne!(a, MigrationId::new(&other_td, "app", Some(&cmd), None));
        // Arguments are not merely concatenated.
        let split = ["bin/rails db:migrate".to_owned()];
        assert_ne!(a, MigrationId::new(TD, "app", Some(&split), None));
    }

    #[test]
    fn a_key_makes_another_migration_and_a_blank_one_changes_nothing() {
        let cmd = ["migrate".to_owned()];
        let plain = MigrationId::new(TD, "app", Some(&cmd), None);
        assert_eq!(plain, MigrationId::new(TD, "app", Some(&cmd), Some("")));
        assert_eq!(plain, MigrationId::new(TD, "app", Some(&cmd), Some("  ")));
        let keyed = MigrationId::new(TD, "app", Some(&cmd), Some("sql=abc"));
        assert_ne!(plain, keyed);
        assert_eq!(
            keyed,
            MigrationId::new(TD, "app", Some(&cmd), Some("sql=abc"))
        );
        assert_ne!(
            keyed,
            MigrationId::new(TD, "app", Some(&cmd), Some("sql=abd"))
        );
        // The id of a migration recorded before keys existed is unchanged.
        assert_eq!(plain.as_str().len(), 16);
    }

    #[test]
    fn an_id_reads_back_and_anything_else_is_refused_by_name() {
        let id = MigrationId::new(TD, "app", None, None);
        assert_eq!(id.as_str().parse::<MigrationId>(), Ok(id.clone()));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<MigrationId>(&json).unwrap(), id);
        for bad in ["unknown", "0123456789ABCDEF", "0123456789abcde"] {
            let err = bad.parse::<MigrationId>().unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("`{bad}` is not a migration id")),
                "{err}"
            );
        }
        assert!(serde_json::from_str::<MigrationId>("\"nope\"").is_err());
    }

    #[test]
    fn started_by_and_token_fit_ecs_limits() {
        let id = MigrationId::new(TD, "app", None, None);
        assert!(id.started_by().len() <= 36);
        let token = id.client_token(None);
        assert!(token.len() <= 64 && token.chars().all(|c| (33..=126).contains(&(c as u32))));
        assert_ne!(
            token,
            id.client_token(Some("failed at=2026-11-21T10:00:00Z"))
        );
    }
}
