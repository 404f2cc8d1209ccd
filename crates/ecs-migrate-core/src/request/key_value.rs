//! `KEY=VALUE` arguments: `--tag` (tags on the migration task) and `--env` (environment of the
//! migration container, whose values are secrets).

use crate::{Error, Field, Secret};
use serde::Serialize;
use std::str::FromStr;

/// A tag on the migration task. ECS limits: key 1–128 characters, value up to 256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An environment variable for the migration container. The value is never printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Secret,
}

fn split(field: Field, text: &str) -> Result<(&str, &str), Error> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value)),
        Some(_) => Err(Error::InvalidValue {
            field,
            value: text.to_owned(),
            reason: "the key before `=` is empty; write KEY=VALUE".into(),
        }),
        None => Err(Error::InvalidValue {
            field,
            value: text.to_owned(),
            reason: "there is no `=`; write KEY=VALUE".into(),
        }),
    }
}

impl FromStr for Tag {
    type Err = Error;

    fn from_str(text: &str) -> Result<Tag, Error> {
        let (key, value) = split(Field::Tags, text)?;
        if key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(Error::InvalidValue {
                field: Field::Tags,
                value: text.to_owned(),
                reason: "ECS allows keys of up to 128 characters and values of up to 256".into(),
            });
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Error::InvalidValue {
                field: Field::Tags,
                value: text.to_owned(),
                reason: "keys starting with `aws:` are reserved by AWS; choose another key".into(),
            });
        }
        Ok(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl FromStr for EnvVar {
    type Err = Error;

    fn from_str(text: &str) -> Result<EnvVar, Error> {
        // Never echo the value in an error: only the name part is shown.
        let Some((name, value)) = text.split_once('=') else {
            return Err(Error::InvalidValue {
                field: Field::Environment,
                value: crate::request::secret::REDACTED.to_owned(),
                reason: "there is no `=`; write NAME=VALUE".into(),
            });
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::InvalidValue {
                field: Field::Environment,
                value: format!("={}", crate::request::secret::REDACTED),
                reason: "the name before `=` is empty; write NAME=VALUE".into(),
            });
        }
        Ok(EnvVar {
            name: name.to_owned(),
            value: Secret::new(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_on_the_first_equals_sign() {
        let tag: Tag = "team=db=core".parse().unwrap();
        assert_eq!((tag.key.as_str(), tag.value.as_str()), ("team", "db=core"));
        let empty_value: Tag = "release=".parse().unwrap();
        assert_eq!(empty_value.value, "");
    }

    #[test]
    fn bad_tags_are_refused_with_the_fix() {
        for (text, needle) in [
            ("team", "no `=`"),
            ("=x", "key before `=` is empty"),
            ("aws:foo=1", "reserved"),
        ] {
            let err = text.parse::<Tag>().unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
            assert!(err.contains(&format!("`{text}`")), "names the value: {err}");
        }
    }

    #[test]
    fn env_errors_never_echo_the_value() {
        let err = "hunter2".parse::<EnvVar>().unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let var: EnvVar = "DATABASE_URL=postgres://u:hunter2@db".parse().unwrap();
        assert!(!format!("{var:?}").contains("hunter2"));
        assert_eq!(var.value.expose(), "postgres://u:hunter2@db");
    }
}
