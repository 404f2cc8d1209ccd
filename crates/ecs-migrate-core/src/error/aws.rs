//! An AWS SDK error as ecs-migrate treats it: one line for the user (the operation, the
//! resource, AWS's code and message, what to do), whether waiting can help, and
//! `Error::aws`, which makes an [`Error::Aws`] of one.

use super::Error;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_smithy_types::error::display::DisplayErrorContext;
use std::fmt::Write as _;

/// The IAM service prefix of an operation the core calls.
fn service_of(operation: &str) -> &'static str {
    match operation {
        "GetLogEvents" | "FilterLogEvents" | "DescribeLogStreams" => "logs",
        "DescribeScalableTargets" | "RegisterScalableTarget" => "application-autoscaling",
        "AssumeRole" => "sts",
        "GetObject" | "PutObject" | "DeleteObject" => "s3",
        "StartExecution" | "DescribeExecution" => "states",
        _ => "ecs",
    }
}

/// `Error::Aws` as one line: the operation, the resource, AWS's code and message, what to do.
/// `answer` is AWS's error code, when AWS answered, and its message.
pub(super) fn aws_message(
    operation: &str,
    resource: Option<&str>,
    (code, message): (Option<&str>, &str),
    transient: bool,
    retried_for: Option<std::time::Duration>,
) -> String {
    let service = service_of(operation);
    let mut out = format!("AWS {service}:{operation}");
    if let Some(resource) = resource {
        let _ = write!(out, " on {resource}");
    }
    out.push_str(" failed: ");
    match code {
        Some(code) if !message.is_empty() && message != code => {
            let _ = write!(out, "{code}: {message}");
        }
        Some(code) => out.push_str(code),
        None => out.push_str(message),
    }
    let denied = code.is_some_and(|c| {
        c.contains("AccessDenied")
            || c == "UnauthorizedOperation"
            || c == "UnrecognizedClientException"
    });
    if denied {
        let _ = write!(
            out,
            ". Allow `{service}:{operation}` on that resource in the IAM policy of the identity ecs-migrate runs as"
        );
        if operation == "GetObject" {
            // Without s3:ListBucket, S3 answers a missing object with 403, not 404.
            out.push_str(
                ", and `s3:ListBucket` on the bucket (without it a missing object reads as access denied)",
            );
        }
    } else if transient {
        match retried_for {
            Some(d) if !d.is_zero() => {
                let _ = write!(
                    out,
                    ". It was retried for {}s (throttling, 5xx or the network); try again later, or lower the API load on this account",
                    d.as_secs()
                );
            }
            _ => out.push_str(". This is transient (throttling, 5xx or the network); try again"),
        }
    }
    out
}

/// An SDK error as one readable line: AWS's code and message when AWS answered, else what
/// went wrong on the way. Never the SDK's `Debug` form (headers, raw bodies).
pub(crate) fn one_line<E, R>(err: &aws_sdk_ecs::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    tracing::debug!(error = ?err, "AWS call failed");
    let (code, message) = code_and_message(err);
    match code {
        Some(code) if !message.is_empty() && message != code => format!("{code}: {message}"),
        Some(code) => code,
        None => message,
    }
}

pub(super) fn code_and_message<E, R>(
    err: &aws_sdk_ecs::error::SdkError<E, R>,
) -> (Option<String>, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_ecs::error::SdkError;
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().map(str::to_owned);
            let message = e
                .message()
                .map(str::to_owned)
                .or_else(|| code.clone())
                .unwrap_or_else(|| "the service returned an error without a code".to_owned());
            (code, message)
        }
        SdkError::TimeoutError(_) => (None, "the request timed out".to_owned()),
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                "timed out"
            } else if failure.is_io() {
                "connection failed"
            } else {
                "could not be sent"
            };
            let detail = std::error::Error::source(err)
                .map(|source| DisplayErrorContext(source).to_string())
                .unwrap_or_default();
            (None, format!("the request {why} ({detail})"))
        }
        SdkError::ResponseError(_) => (
            None,
            "the response could not be read (not an AWS answer: check the endpoint)".to_owned(),
        ),
        _ => (None, "the request could not be built".to_owned()),
    }
}

/// How the wait loop should treat a failed AWS call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Throttling, a 5xx or a network fault: back off and keep waiting.
    Transient,
    /// Anything else (access denied, validation): waiting will not help.
    Permanent,
}

pub(crate) fn classify<E, R>(err: &aws_sdk_ecs::error::SdkError<E, R>) -> Retry
where
    E: ProvideErrorMetadata,
{
    use aws_sdk_ecs::error::SdkError;
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Retry::Transient
        }
        SdkError::ServiceError(_) => match err.code() {
            Some(code)
                if code.contains("Throttl")
                    || code == "RequestLimitExceeded"
                    || code == "TooManyRequestsException"
                    || code == "SlowDown"
                    || code == "ServerException"
                    || code == "ServiceUnavailable"
                    || code == "ServiceUnavailableException"
                    || code == "InternalFailure"
                    || code == "InternalServerError"
                    || code == "InternalError"
                    || code == "InternalServiceException"
                    || code == "ConcurrentUpdateException"
                    || code == "RequestTimeout"
                    || code == "RequestTimeoutException" =>
            {
                Retry::Transient
            }
            _ => Retry::Permanent,
        },
        _ => Retry::Permanent,
    }
}

impl Error {
    /// Wraps an SDK error from `operation` on `resource`: AWS's code and message, never the
    /// SDK's `Debug` form (that goes to `tracing` at debug level).
    pub(crate) fn aws<E, R>(
        operation: &'static str,
        resource: Option<String>,
        err: aws_sdk_ecs::error::SdkError<E, R>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        tracing::debug!(operation, error = ?err, "AWS call failed");
        let (code, message) = code_and_message(&err);
        Error::Aws {
            operation,
            resource,
            code,
            message,
            transient: classify(&err) == Retry::Transient,
            retried_for: None,
        }
    }

    /// Notes how long a transient failure was retried before it became this error.
    pub(crate) fn retried_for(mut self, for_: Option<std::time::Duration>) -> Error {
        if let Error::Aws { retried_for, .. } = &mut self {
            *retried_for = for_;
        }
        self
    }

    /// AWS's error code, for an [`Error::Aws`] AWS answered.
    pub(crate) fn aws_code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether waiting may help (see [`Error::Aws`]'s `transient`).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Aws {
                transient: true,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_s3_read_names_the_action_and_list_bucket() {
        let text = aws_message(
            "GetObject",
            Some("s3://locks/team-a/app/migrate.json"),
            (Some("AccessDenied"), "Access Denied"),
            false,
            None,
        );
        assert!(
            text.starts_with("AWS s3:GetObject on s3://locks/team-a/app/migrate.json failed: AccessDenied: Access Denied. Allow `s3:GetObject`"),
            "{text}"
        );
        assert!(text.contains("`s3:ListBucket` on the bucket"), "{text}");
        let put = aws_message(
            "PutObject",
            None,
            (Some("AccessDenied"), "Access Denied"),
            false,
            None,
        );
        assert!(
            put.contains("Allow `s3:PutObject`") && !put.contains("ListBucket"),
            "{put}"
        );
    }
}
