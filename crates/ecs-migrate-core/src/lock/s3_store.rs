//! The S3 lock: the family lock as the object `PREFIX/<cluster>/<family>.json`, written only
//! with conditional requests, as Terraform's S3 backend locks its state.
//!
//! - take a free app: PutObject `If-None-Match: *` (fails with 412 if any object is there);
//! - renew, take over a dead run's lock, join a live run of the same migration: PutObject
//!   `If-Match: <the ETag this run last saw>` (412 if anyone wrote it since);
//! - release: DeleteObject `If-Match: <this run's ETag>` (412: the lock is someone else's now).
//!
//! So exactly one of any number of racing runs wins, whatever their timing. S3 is strongly
//! consistent for reads after writes. A write whose answer was lost (a timeout, a 5xx) is sent
//! again by the SDK and then fails with 412 against its own first attempt: each write carries a
//! nonce, and a 412 is judged by reading the object back — the run's own nonce means it won.
//! 409 `ConditionalRequestConflict` (two conditional writes in flight) is judged the same way.

use super::store::{Put, Version};
use super::{Held, Holder};
use crate::aws::call;
use crate::progress::Progress;
use crate::records::tags::PAUSE_RECORD;
use crate::{Error, MigrationId, RunId, Timestamp};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};

/// The lock object's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LockDocument {
    pub run: RunId,
    pub since: Timestamp,
    pub expires: Timestamp,
    pub migration: MigrationId,
    /// Where the run keeps its pause records: tags on these services of `cluster`.
    pub pause_records: PauseRecords,
    /// Unique to each write, so that a run knows its own write when it reads it back.
    pub write: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PauseRecords {
    pub cluster: String,
    pub services: Vec<String>,
    /// The tag keys of a pause record.
    pub tags: Vec<String>,
}

impl PauseRecords {
    pub fn on(cluster: &str, services: Vec<String>) -> PauseRecords {
        PauseRecords {
            cluster: cluster.to_owned(),
            services,
            tags: PAUSE_RECORD.iter().map(|key| (*key).to_owned()).collect(),
        }
    }
}

/// The S3 lock of one family.
#[derive(Debug, Clone)]
pub(crate) struct S3Store<'a> {
    pub s3: &'a Client,
    pub bucket: String,
    pub key: String,
    pub family: String,
}

/// What a read found: the holder (or what makes the document unreadable), its write nonce and
/// its ETag.
pub(crate) struct Read {
    pub holder: Result<Holder, String>,
    pub write: Option<String>,
    pub etag: String,
}

impl S3Store<'_> {
    fn resource(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// A failed call's error, with a missing bucket named as such.
    fn named(&self, err: Error) -> Error {
        match err.aws_code() {
            Some("NoSuchBucket") => Error::LockBucketNotFound {
                bucket: self.bucket.clone(),
            },
            _ => err,
        }
    }

    /// The lock object, `None` when there is none. A missing bucket is an error naming it.
    pub async fn read(&self, progress: &dyn Progress) -> Result<Option<Read>, Error> {
        let call = self.s3.get_object().bucket(&self.bucket).key(&self.key);
        let out = match call::send(
            progress,
            "GetObject",
            || self.resource(),
            || call.clone().send(),
        )
        .await
        {
            Ok(out) => out,
            Err(err) if err.aws_code() == Some("NoSuchKey") => return Ok(None),
            Err(err) => return Err(self.named(err)),
        };
        let etag = out.e_tag().unwrap_or_default().to_owned();
        let body = out.body.collect().await.map_err(|err| Error::Aws {
            operation: "GetObject",
            resource: Some(self.resource()),
            code: None,
            message: format!("reading the object: {err}"),
            transient: true,
            retried_for: None,
        })?;
        let parsed: Result<LockDocument, String> =
            serde_json::from_slice(&body.into_bytes()).map_err(|err| err.to_string());
        Ok(Some(Read {
            write: parsed.as_ref().ok().map(|d| d.write.clone()),
            holder: parsed.map(|doc| Holder {
                run_id: doc.run,
                since: doc.since,
                expires: Some(doc.expires),
                migration: doc.migration,
                what: Held::Family(self.family.clone()),
            }),
            etag,
        }))
    }

    /// Writes `doc` if the object is still at `expected` (`None`: if there is none).
    pub async fn put(
        &self,
        doc: &LockDocument,
        expected: Option<&Version>,
        patience: std::time::Duration,
        progress: &dyn Progress,
    ) -> Result<Put, Error> {
        let body = serde_json::to_vec_pretty(doc).expect("a lock document serialises");
        let etag = match expected {
            Some(Version::ETag(etag)) => Some(etag.clone()),
            _ => None,
        };
        let sent = call::send_within(
            progress,
            "PutObject",
            || self.resource(),
            patience,
            || {
                let call = self
                    .s3
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .content_type("application/json")
                    .body(ByteStream::from(body.clone()));
                match &etag {
                    Some(etag) => call.if_match(etag),
                    None => call.if_none_match("*"),
                }
                .send()
            },
        )
        .await;
        match sent {
            Ok(out) => Ok(Put::Written(Version::ETag(
                out.e_tag().unwrap_or_default().to_owned(),
            ))),
            // `If-Match` on an object deleted since (released, unlocked) is 404 `NoSuchKey`.
            Err(err)
                if is_conflict(&err) || (etag.is_some() && err.aws_code() == Some("NoSuchKey")) =>
            {
                // Lost to another writer, or to our own first attempt whose answer was lost.
                match self.read(progress).await? {
                    Some(read) if read.write.as_deref() == Some(doc.write.as_str()) => {
                        Ok(Put::Written(Version::ETag(read.etag)))
                    }
                    _ => Ok(Put::Conflict),
                }
            }
            Err(err) => Err(self.named(err)),
        }
    }

    /// Deletes the object if it is still at `expected` (`None`: whatever it holds); one that
    /// changed since is left.
    pub async fn delete(
        &self,
        expected: Option<&Version>,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        let mut call = self.s3.delete_object().bucket(&self.bucket).key(&self.key);
        if let Some(Version::ETag(etag)) = expected {
            call = call.if_match(etag);
        }
        match call::send(
            progress,
            "DeleteObject",
            || self.resource(),
            || call.clone().send(),
        )
        .await
        {
            // Gone already (our own first attempt, whose answer was lost, or an unlock), or
            // changed since: someone else's now.
            Ok(_) => Ok(()),
            Err(err) if err.aws_code() == Some("NoSuchKey") || is_conflict(&err) => Ok(()),
            Err(err) => Err(self.named(err)),
        }
    }
}

/// 412 `PreconditionFailed` (the object changed) or 409 `ConditionalRequestConflict` (another
/// conditional write in flight): either way, read the object to know who holds it.
fn is_conflict(err: &Error) -> bool {
    matches!(
        err.aws_code(),
        Some("PreconditionFailed" | "ConditionalRequestConflict")
    )
}
