//! `--launch-type` and `--assign-public-ip`: small closed sets of ECS values, checked before any call.

use crate::{Error, Field};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LaunchType {
    #[serde(rename = "FARGATE")]
    Fargate,
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "EXTERNAL")]
    External,
}

impl LaunchType {
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchType::Fargate => "FARGATE",
            LaunchType::Ec2 => "EC2",
            LaunchType::External => "EXTERNAL",
        }
    }
}

impl fmt::Display for LaunchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LaunchType {
    type Err = Error;

    fn from_str(text: &str) -> Result<LaunchType, Error> {
        match text.trim().to_ascii_uppercase().as_str() {
            "FARGATE" => Ok(LaunchType::Fargate),
            "EC2" => Ok(LaunchType::Ec2),
            "EXTERNAL" => Ok(LaunchType::External),
            _ => Err(Error::InvalidValue {
                field: Field::LaunchType,
                value: text.to_owned(),
                reason: "use one of FARGATE, EC2, EXTERNAL (or give a capacity provider instead)"
                    .into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AssignPublicIp {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

impl AssignPublicIp {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignPublicIp::Enabled => "ENABLED",
            AssignPublicIp::Disabled => "DISABLED",
        }
    }
}

impl FromStr for AssignPublicIp {
    type Err = Error;

    fn from_str(text: &str) -> Result<AssignPublicIp, Error> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ENABLED" | "TRUE" | "YES" | "1" => Ok(AssignPublicIp::Enabled),
            "DISABLED" | "FALSE" | "NO" | "0" => Ok(AssignPublicIp::Disabled),
            _ => Err(Error::InvalidValue {
                field: Field::AssignPublicIp,
                value: text.to_owned(),
                reason: "use ENABLED or DISABLED".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_types_are_case_insensitive_and_closed() {
        assert_eq!(
            "fargate".parse::<LaunchType>().unwrap(),
            LaunchType::Fargate
        );
        let err = "LAMBDA".parse::<LaunchType>().unwrap_err().to_string();
        assert!(
            err.contains("`LAMBDA`") && err.contains("FARGATE, EC2, EXTERNAL"),
            "{err}"
        );
    }

    #[test]
    fn public_ip_accepts_ecs_and_boolean_spellings() {
        assert_eq!(
            "true".parse::<AssignPublicIp>().unwrap(),
            AssignPublicIp::Enabled
        );
        assert_eq!(
            "DISABLED".parse::<AssignPublicIp>().unwrap(),
            AssignPublicIp::Disabled
        );
        assert!("maybe".parse::<AssignPublicIp>().is_err());
    }
}
