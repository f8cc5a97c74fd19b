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
    base_url: String,
    /// Every upload is decoded and re-encoded here.
    pub images: Arc<image::Decoder>,
}

impl Media {
    pub fn from_config(config: &Config, base_url: &str) -> anyhow::Result<Media> {
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
            base_url: format!("{}/media/", base_url.trim_end_matches('/')),
            images: Arc::new(image::Decoder::new(
                config.image_threads,
                config.image_queue,
            )),
        })
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

    pub async fn get(&self, key: &str) -> Option<bytes::Bytes> {
        let res = self.store.get(&ObjPath::from(key)).await.ok()?;
        res.bytes().await.ok()
    }

    /// Never fails the request: a file left behind is logged (its row is already gone).
    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&ObjPath::from(key)).await {
            tracing::warn!(key, error = %e, "media delete failed");
        }
    }
}

/// A random, unguessable object key such as `items/3f9c….jpg`.
pub fn new_key(prefix: &str, ext: &str) -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{prefix}/{hex}.{ext}")
}
