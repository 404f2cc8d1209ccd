//! An S3 bucket holding one lock object, answering conditional PutObject and DeleteObject as S3
//! does (412 `PreconditionFailed`, 404 `NoSuchKey`), that can lose the answer to a write it
//! carried out (as a timeout or a 5xx after the write does).

use aws_sdk_s3::error::ErrorMetadata;
use aws_sdk_s3::operation::delete_object::{DeleteObjectError, DeleteObjectOutput};
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An object's body and ETag.
type Object = (Vec<u8>, String);

#[derive(Clone, Default)]
pub(crate) struct LockBucket {
    /// The object.
    pub object: Arc<Mutex<Option<Object>>>,
    /// The next PutObject is carried out and then answered 500.
    pub lose_next_put: Arc<AtomicBool>,
    /// Another run's document, written just before the next PutObject arrives (it won the race).
    pub lands_before_next_put: Arc<Mutex<Option<Vec<u8>>>>,
    /// PutObject requests that reached the bucket (SDK retries included).
    pub puts: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
}

fn error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(code).build()
}

impl LockBucket {
    pub(crate) fn client(&self) -> aws_sdk_s3::Client {
        let (bucket, read) = (self.clone(), self.clone());
        let get =
            mock!(aws_sdk_s3::Client::get_object).then_compute_response(move |_| {
                match read.object.lock().unwrap().clone() {
                    Some((body, etag)) => MockResponse::Output(
                        GetObjectOutput::builder()
                            .e_tag(etag)
                            .body(ByteStream::from(body))
                            .build(),
                    ),
                    None => MockResponse::Error(GetObjectError::generic(error("NoSuchKey"))),
                }
            });
        let put = mock!(aws_sdk_s3::Client::put_object).then_compute_response(move |input| {
            bucket.puts.fetch_add(1, Ordering::Relaxed);
            let mut object = bucket.object.lock().unwrap();
            if let Some(other) = bucket.lands_before_next_put.lock().unwrap().take() {
                *object = Some((other, "\"other\"".into()));
            }
            let current = object.as_ref().map(|(_, etag)| etag.clone());
            let refused = match (input.if_none_match(), input.if_match(), &current) {
                (Some("*"), _, Some(_)) => Some("PreconditionFailed"),
                (_, Some(_), None) => Some("NoSuchKey"),
                (_, Some(wanted), Some(etag)) if wanted != etag => Some("PreconditionFailed"),
                _ => None,
            };
            if let Some(code) = refused {
                return MockResponse::Error(PutObjectError::generic(error(code)));
            }
            let body = input.body().bytes().unwrap_or_default().to_vec();
            let etag = format!("\"{}\"", bucket.writes.fetch_add(1, Ordering::Relaxed));
            *object = Some((body, etag.clone()));
            if bucket.lose_next_put.swap(false, Ordering::Relaxed) {
                return MockResponse::Error(PutObjectError::generic(error("InternalError")));
            }
            MockResponse::Output(PutObjectOutput::builder().e_tag(etag).build())
        });
        let gone = self.clone();
        let delete = mock!(aws_sdk_s3::Client::delete_object).then_compute_response(move |input| {
            let mut object = gone.object.lock().unwrap();
            match (input.if_match(), object.as_ref()) {
                (_, None) => MockResponse::Error(DeleteObjectError::generic(error("NoSuchKey"))),
                (Some(wanted), Some((_, etag))) if wanted != etag => {
                    MockResponse::Error(DeleteObjectError::generic(error("PreconditionFailed")))
                }
                _ => {
                    *object = None;
                    MockResponse::Output(DeleteObjectOutput::builder().build())
                }
            }
        });
        // The SDK's own retries would resend an input the mocks no longer hold; ecs-migrate's
        // retries on top (aws/call.rs) send the call afresh, as a lost answer needs.
        mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&get, &put, &delete], |c| c
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()))
    }

    /// The lock document now, if there is one.
    pub(crate) fn document(&self) -> Option<serde_json::Value> {
        let object = self.object.lock().unwrap();
        object
            .as_ref()
            .map(|(body, _)| serde_json::from_slice(body).unwrap())
    }
}
