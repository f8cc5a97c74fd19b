//! Media: one object-store interface (local directory or S3) and the image pipeline.
pub mod api;
pub mod image;

use std::sync::Arc;

use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};

use crate::config::Config;

/// The request body limit of one image upload: a 10 MB image and the multipart framing.
pub const IMAGE_BODY: usize = 11 * 1024 * 1024;

/// The form of an image upload: one or more `image` parts (JPEG, PNG, GIF or WebP, at most
/// 10 MB each; re-encoded by the server, metadata dropped).
#[derive(utoipa::ToSchema)]
pub struct ImageUpload {
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
}

#[derive(Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    /// Files under a local directory (backups copy them) rather than an S3 bucket.
    local: bool,
    base_url: String,
    /// Every upload is decoded and re-encoded here.
    pub images: Arc<image::Decoder>,
}

impl Media {
    pub fn from_config(config: &Config, base_url: &str) -> anyhow::Result<Media> {
        let local = !config
            .media_url
            .as_deref()
            .is_some_and(|u| u.starts_with("s3://"));
        let store: Arc<dyn ObjectStore> = match config.media_url.as_deref() {
            Some(url) if url.starts_with("s3://") => {
                let rest = &url["s3://".len()..];
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                // Credentials, region and endpoint come from the usual AWS_* variables.
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        s3,
                        prefix.trim_matches('/'),
                    ))
                }
            }
            Some(url) if !url.is_empty() => {
                let dir = url.strip_prefix("file://").unwrap_or(url);
                std::fs::create_dir_all(dir)?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
            }
            _ => {
                let dir = config.data_dir.join("media");
                std::fs::create_dir_all(&dir)?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
            }
        };
        Ok(Media {
            store,
            local,
            base_url: format!("{}/media/", base_url.trim_end_matches('/')),
            images: Arc::new(image::Decoder::new(
                config.image_threads,
                config.image_queue,
            )),
        })
    }

    /// Photos as items and rental records keep them: each decoded on the bounded pool (one file
    /// per job), re-encoded without metadata at full size and as a thumbnail, then stored under
    /// `prefix`. All are decoded before any is stored, so an unreadable one stores nothing.
    /// Returns the (full, thumbnail) keys in order.
    pub async fn store_photos(
        &self,
        prefix: &str,
        files: Vec<Vec<u8>>,
    ) -> crate::domain::error::AppResult<Vec<(String, String)>> {
        let mut processed = Vec::with_capacity(files.len());
        for f in files {
            processed.push(
                self.images
                    .process(f, image::FULL_SIDE, image::THUMB_SIDE)
                    .await?,
            );
        }
        let mut keys = Vec::with_capacity(processed.len());
        for p in processed {
            let key = new_key(prefix, p.full.ext);
            let thumb = new_key(prefix, p.thumb.ext);
            self.put(&key, p.full.bytes).await?;
            self.put(&thumb, p.thumb.bytes).await?;
            keys.push((key, thumb));
        }
        Ok(keys)
    }

    pub fn url(&self, key: &str) -> String {
        format!("{}{}", self.base_url, key)
    }

    pub async fn put(&self, key: &str, data: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&ObjPath::from(key), PutPayload::from(data))
            .await?;
        Ok(())
    }

    /// The stored bytes, `Ok(None)` when there is no such object, `Err` when the store could not
    /// answer (S3 unreachable): the caller answers 503 then, not 404.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<bytes::Bytes>> {
        match self.store.get(&ObjPath::from(key)).await {
            Ok(res) => Ok(Some(res.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the media live in a local directory (a backup copies them) or in S3 (a backup
    /// lists them; the bucket keeps them).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Every stored object: `(key, size in bytes)`, in no particular order.
    pub async fn list(&self) -> anyhow::Result<Vec<(String, u64)>> {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        let mut objects = self.store.list(None);
        while let Some(meta) = objects.next().await {
            let meta = meta?;
            out.push((meta.location.to_string(), meta.size));
        }
        Ok(out)
    }

    /// Whether an object is stored under `key`.
    pub async fn exists(&self, key: &str) -> anyhow::Result<bool> {
        match self.store.head(&ObjPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Never fails the request: a file left behind is logged (its row is already gone).
    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&ObjPath::from(key)).await {
            tracing::warn!(key, error = %e, "media delete failed");
        }
    }
}

/// A key as the server makes them (`items/3f9c….jpg`): letters, digits, `/ . _ -`, no `..`.
/// Anything else (from a URL or a backup file) is refused before it reaches the store.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.contains("..")
        && !key.starts_with('/')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
}

/// A random, unguessable object key such as `items/3f9c….jpg`.
pub fn new_key(prefix: &str, ext: &str) -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{prefix}/{hex}.{ext}")
}
