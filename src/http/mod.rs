//! HTTP plumbing shared by every domain: the error contract, extractors, middleware.
pub mod csrf;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod multipart;
pub mod query;

pub use error::{AppError, AppResult};

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn extract_double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}
