//! Uploaded files' bytes: kept on the local disk under the data dir, or in an S3-compatible
//! bucket when configured ([`object_store`]); what the bytes are ([`sniff`]); and pictures'
//! thumbnails ([`thumbnail`]). Who may fetch a file is the domain's question
//! ([`crate::domain::files`]); this module only keeps bytes.

pub mod sniff;
pub mod thumbnail;

use crate::config::Config;
use crate::error::AppError;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use protocol::FileId;
use std::sync::Arc;

/// Where files' bytes are kept.
#[derive(Clone, Debug)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    backend: &'static str,
}

/// Which of a file's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The file as uploaded.
    Original,
    /// A picture's thumbnail.
    Thumbnail,
}

impl Files {
    /// The store the configuration names: the S3 bucket, or `<data dir>/files`.
    pub fn from_config(config: &Config) -> Result<Self, AppError> {
        let failed = |e: object_store::Error| AppError::Internal(format!("file store: {e}"));
        match &config.s3_bucket {
            Some(bucket) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(&config.s3_region);
                if let Some(key) = &config.s3_access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &config.s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                if let Some(endpoint) = &config.s3_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                Ok(Self {
                    store: Arc::new(builder.build().map_err(failed)?),
                    backend: "s3",
                })
            }
            None => {
                let dir = config.data_dir.join("files");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| AppError::Internal(format!("cannot create {dir:?}: {e}")))?;
                let local =
                    object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(failed)?;
                Ok(Self {
                    store: Arc::new(local),
                    backend: "local",
                })
            }
        }
    }

    /// `local` or `s3`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    fn path(id: FileId, part: Part) -> Path {
        match part {
            Part::Original => Path::from(format!("{id}")),
            Part::Thumbnail => Path::from(format!("{id}.thumb")),
        }
    }

    /// Stores one part of a file.
    pub async fn put(&self, id: FileId, part: Part, bytes: Bytes) -> Result<(), AppError> {
        self.store
            .put(&Self::path(id, part), PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| AppError::Unavailable(format!("the file store failed: {e}")))?;
        Ok(())
    }

    /// One part of a file's bytes; `NOT_FOUND` if it is gone.
    pub async fn get(&self, id: FileId, part: Part) -> Result<Bytes, AppError> {
        let result = match self.store.get(&Self::path(id, part)).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Err(AppError::NotFound("file")),
            Err(e) => return Err(AppError::Unavailable(format!("the file store failed: {e}"))),
        };
        result
            .bytes()
            .await
            .map_err(|e| AppError::Unavailable(format!("the file store failed: {e}")))
    }

    /// Deletes a file's parts (those that exist).
    pub async fn delete(&self, id: FileId) {
        for part in [Part::Original, Part::Thumbnail] {
            match self.store.delete(&Self::path(id, part)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(%id, error = %e, "could not delete a stored file"),
            }
        }
    }
}
