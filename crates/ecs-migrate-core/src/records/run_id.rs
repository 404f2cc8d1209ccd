//! [`RunId`]: one run of ecs-migrate (`r-` and 12 hex digits), as the lock, the pause records,
//! the migration task's tag and the outcome name it.

use std::hash::{BuildHasher, Hasher};

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A new run's id, unique to this process and moment.
    pub fn new() -> RunId {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        hasher.write_u32(std::process::id());
        RunId(format!("r-{:012x}", hasher.finish() & 0xffff_ffff_ffff))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RunId {
    fn default() -> Self {
        RunId::new()
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run id that cannot be one: empty, or with characters a tag value cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a run id such as r-0123456789ab")]
pub struct NotARunId(pub String);

impl std::str::FromStr for RunId {
    type Err = NotARunId;

    /// Any run id another version wrote: non-empty, letters, digits, `-` and `_`.
    fn from_str(text: &str) -> Result<RunId, NotARunId> {
        let valid = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(RunId(text.to_owned()))
        } else {
            Err(NotARunId(text.to_owned()))
        }
    }
}

impl From<&str> for RunId {
    /// For tests and fixed ids; what is read from AWS goes through `FromStr`.
    fn from(text: &str) -> RunId {
        RunId(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_run_ids_differ_and_read_back() {
        let (a, b) = (RunId::new(), RunId::new());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 14);
        assert_eq!(a.as_str().parse::<RunId>(), Ok(a));
    }

    #[test]
    fn a_value_that_is_no_run_id_is_refused_by_name() {
        assert_eq!(
            "r 1".parse::<RunId>().unwrap_err().to_string(),
            "`r 1` is not a run id such as r-0123456789ab"
        );
        assert!("".parse::<RunId>().is_err());
    }
}
