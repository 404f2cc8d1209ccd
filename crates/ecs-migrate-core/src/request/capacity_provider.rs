//! `--capacity-provider NAME[:weight[:base]]`, one item of a capacity provider strategy.

use crate::{Error, Field};
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProvider {
    pub capacity_provider: String,
    pub weight: Option<i32>,
    pub base: Option<i32>,
}

impl FromStr for CapacityProvider {
    type Err = Error;

    fn from_str(text: &str) -> Result<CapacityProvider, Error> {
        let invalid = |reason: &str| Error::InvalidValue {
            field: Field::CapacityProviders,
            value: text.to_owned(),
            reason: format!("{reason}; write NAME[:WEIGHT[:BASE]], e.g. `FARGATE_SPOT:3:1`"),
        };
        let mut parts = text.split(':');
        let name = parts.next().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(invalid("the name is empty"));
        }
        let mut number = |what: &str, max: i32| -> Result<Option<i32>, Error> {
            match parts.next() {
                None => Ok(None),
                Some(n) => match n.parse::<i32>() {
                    Ok(v) if (0..=max).contains(&v) => Ok(Some(v)),
                    _ => Err(invalid(&format!(
                        "{what} `{n}` is not a whole number from 0 to {max}"
                    ))),
                },
            }
        };
        let weight = number("weight", 1000)?;
        let base = number("base", 100_000)?;
        if parts.next().is_some() {
            return Err(invalid("too many `:`-separated parts"));
        }
        Ok(CapacityProvider {
            capacity_provider: name.to_owned(),
            weight,
            base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_weight_and_base() {
        let item: CapacityProvider = "FARGATE_SPOT:3:1".parse().unwrap();
        assert_eq!(item.capacity_provider, "FARGATE_SPOT");
        assert_eq!((item.weight, item.base), (Some(3), Some(1)));
        let bare: CapacityProvider = "FARGATE".parse().unwrap();
        assert_eq!((bare.weight, bare.base), (None, None));
    }

    #[test]
    fn refuses_malformed_items() {
        for text in ["", ":1", "FARGATE:x", "FARGATE:1:2:3", "FARGATE:-1"] {
            let err = text.parse::<CapacityProvider>().unwrap_err().to_string();
            assert!(err.contains("NAME[:WEIGHT[:BASE]]"), "{text}: {err}");
        }
    }
}
