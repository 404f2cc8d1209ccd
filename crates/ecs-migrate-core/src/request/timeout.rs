//! `--timeout`: how long the whole run may take. Human durations (`90s`, `15m`, `2h`, `1h30m`);
//! `0` means no limit. There is deliberately no cap: migrations that take an hour are normal.

use crate::{Error, Field};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(Option<Duration>);

impl Timeout {
    pub const DEFAULT: Timeout = Timeout(Some(Duration::from_secs(3600)));
    pub const NONE: Timeout = Timeout(None);

    pub fn after(duration: Duration) -> Timeout {
        Timeout(Some(duration))
    }

    pub fn duration(self) -> Option<Duration> {
        self.0
    }
}

impl Default for Timeout {
    fn default() -> Self {
        Timeout::DEFAULT
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(d) => write!(f, "{}", humantime::format_duration(d)),
        }
    }
}

impl FromStr for Timeout {
    type Err = Error;

    fn from_str(text: &str) -> Result<Timeout, Error> {
        let text = text.trim();
        if text == "0" {
            return Ok(Timeout::NONE);
        }
        match humantime::parse_duration(text) {
            Ok(d) if d.is_zero() => Ok(Timeout::NONE),
            Ok(d) => Ok(Timeout(Some(d))),
            Err(err) => Err(Error::InvalidValue {
                field: Field::Timeout,
                value: text.to_owned(),
                reason: format!(
                    "{err}; write a duration with a unit like `90s`, `15m`, `2h` or `1h30m`, or `0` for no limit"
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_durations_and_zero() {
        assert_eq!(
            "90s".parse::<Timeout>().unwrap().duration(),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            "15m".parse::<Timeout>().unwrap().duration(),
            Some(Duration::from_secs(900))
        );
        assert_eq!(
            "2h".parse::<Timeout>().unwrap().duration(),
            Some(Duration::from_secs(7200))
        );
        assert_eq!("0".parse::<Timeout>().unwrap(), Timeout::NONE);
        assert_eq!(
            Timeout::default().duration(),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn a_bare_number_or_garbage_is_refused_with_examples() {
        for text in ["90", "soon", "-5m"] {
            let err = text.parse::<Timeout>().unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{text}`")) && err.contains("`15m`"),
                "{err}"
            );
        }
    }
}
