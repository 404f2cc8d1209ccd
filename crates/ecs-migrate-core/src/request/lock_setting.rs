//! [`LockSetting`]: where a run keeps the app's lock — a tag on the cluster (the default, no
//! infrastructure) or an S3 object written with conditional requests (`s3://BUCKET/PREFIX`).

use crate::{Error, Field};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LockSetting {
    /// The tag `ecs-migrate:lock:<family>` on the cluster. Tags have no compare-and-swap: two
    /// runs of different migrations started within the same instant may both proceed.
    #[default]
    ClusterTag,
    /// The object `PREFIX/<cluster>/<family>.json` in `bucket`, taken with `If-None-Match: *`
    /// and renewed, taken over and released on its ETag: exactly one of any racing runs wins.
    S3 {
        bucket: String,
        /// Without leading or trailing `/`; may be empty.
        prefix: String,
    },
}

impl LockSetting {
    /// Where the lock of `family` on `cluster` (a name or an ARN) is, for people: `tag
    /// ecs-migrate:lock:app on the cluster`, `s3://locks/prod/main/app.json (conditional writes)`.
    pub fn location(&self, cluster: &str, family: &str) -> String {
        match self {
            LockSetting::ClusterTag => {
                format!(
                    "tag {} on the cluster",
                    crate::records::tags::lock_key(family)
                )
            }
            LockSetting::S3 { bucket, prefix } => format!(
                "s3://{bucket}/{} (conditional writes)",
                LockSetting::object_key(prefix, crate::aws::arn::resource_name(cluster), family)
            ),
        }
    }

    /// The object key of `family`'s lock on `cluster` (a name, not an ARN), for the S3 lock.
    pub fn object_key(prefix: &str, cluster: &str, family: &str) -> String {
        if prefix.is_empty() {
            format!("{cluster}/{family}.json")
        } else {
            format!("{prefix}/{cluster}/{family}.json")
        }
    }
}

impl fmt::Display for LockSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockSetting::ClusterTag => f.write_str("the cluster's tag"),
            LockSetting::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            LockSetting::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

impl FromStr for LockSetting {
    type Err = Error;

    /// `s3://BUCKET/PREFIX` (the prefix optional); blank means the cluster's tag.
    fn from_str(text: &str) -> Result<LockSetting, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(LockSetting::ClusterTag);
        }
        let invalid = |reason: &str| {
            Error::InvalidValue {
            field: Field::Lock,
            value: text.to_owned(),
            reason: format!("{reason}; write s3://BUCKET/PREFIX (the bucket must exist), or leave it out for the cluster's tag"),
        }
        };
        let Some(rest) = text.strip_prefix("s3://") else {
            return Err(invalid("not an S3 URL"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(invalid(
                "the bucket name must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.contains("//") {
            return Err(invalid("the prefix has an empty part (`//`)"));
        }
        Ok(LockSetting::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_url_names_the_bucket_and_the_prefix() {
        assert_eq!(
            "s3://acme-locks/ecs-migrate/"
                .parse::<LockSetting>()
                .unwrap(),
            LockSetting::S3 {
                bucket: "acme-locks".into(),
                prefix: "ecs-migrate".into()
            }
        );
        assert_eq!(
            "s3://acme-locks".parse::<LockSetting>().unwrap(),
            LockSetting::S3 {
                bucket: "acme-locks".into(),
                prefix: String::new()
            }
        );
        assert_eq!("".parse::<LockSetting>().unwrap(), LockSetting::ClusterTag);
        assert_eq!(
            LockSetting::object_key("locks/prod", "main", "app"),
            "locks/prod/main/app.json"
        );
        assert_eq!(LockSetting::object_key("", "main", "app"), "main/app.json");
        let s3: LockSetting = "s3://locks/prod".parse().unwrap();
        assert_eq!(
            s3.location("arn:aws:ecs:eu-west-1:123456789012:cluster/main", "app"),
            "s3://locks/prod/main/app.json (conditional writes)"
        );
        assert_eq!(
            LockSetting::ClusterTag.location("main", "app"),
            "tag ecs-migrate:lock:app on the cluster"
        );
    }

    #[test]
    fn a_bad_lock_url_names_the_value_and_the_shape() {
        for bad in [
            "acme-locks/x",
            "s3://",
            "s3://Acme",
            "s3://a",
            "s3://x_y/p",
            "s3://ok-bucket/a//b",
        ] {
            let err = bad.parse::<LockSetting>().unwrap_err().to_string();
            assert!(
                err.contains(bad.trim()) && err.contains("s3://BUCKET/PREFIX"),
                "{err}"
            );
        }
    }
}
