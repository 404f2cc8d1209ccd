//! [`ErrorKind`]: the one vocabulary of error kinds. The CLI's JSON spells it in snake_case
//! (`"kind": "invalid_input"`), the Lambda's `errorType` in PascalCase (`InvalidInput`); both take
//! it from here, so a new kind reaches both.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input, or what it names in AWS, is wrong; nothing changed (exit 2).
    InvalidInput,
    /// Another run holds the app (exit 5).
    Locked,
    /// The invocation stopped waiting; the task runs on (exit 6).
    StillRunning,
    /// A paused service could not be put back.
    RestoreFailed,
    /// AWS refused or failed a call (exit 3).
    AwsError,
}

impl ErrorKind {
    /// snake_case: `invalid_input`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Locked => "locked",
            ErrorKind::StillRunning => "still_running",
            ErrorKind::RestoreFailed => "restore_failed",
            ErrorKind::AwsError => "aws_error",
        }
    }

    /// PascalCase: `InvalidInput`, derived from [`ErrorKind::as_str`].
    pub fn pascal_case(self) -> String {
        self.as_str()
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_spelt_the_same_in_snake_and_pascal_case() {
        let kinds = [
            ErrorKind::InvalidInput,
            ErrorKind::Locked,
            ErrorKind::StillRunning,
            ErrorKind::RestoreFailed,
            ErrorKind::AwsError,
        ];
        let pascal: Vec<String> = kinds.iter().map(|k| k.pascal_case()).collect();
        assert_eq!(
            pascal,
            [
                "InvalidInput",
                "Locked",
                "StillRunning",
                "RestoreFailed",
                "AwsError"
            ]
        );
    }
}
