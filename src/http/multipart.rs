//! Reads image fields from a multipart body with the contract's errors.
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::StatusCode;

use crate::http::AppError;
use crate::media::image::MAX_BYTES;

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("파일이 너무 커요".into())
    } else {
        AppError::field("image", "multipart 본문을 읽을 수 없어요")
    }
}

/// All fields named `image` (at most `max`), each at most 10 MB. A body that is not multipart
/// at all is a 400 in the contract's shape too.
pub async fn images(
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    max: usize,
) -> Result<Vec<Vec<u8>>, AppError> {
    let out = form(mp, &[], max).await?.images;
    if out.is_empty() {
        return Err(AppError::field("image", "required"));
    }
    Ok(out)
}

/// One part, chunk by chunk: refused (413) as soon as it passes `MAX_BYTES`, so the rest of an
/// oversized part is never buffered. Answering early also ends the request without reading on.
async fn read_part(mut field: Field<'_>) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_BYTES {
            return Err(AppError::PayloadTooLarge(
                "이미지는 10MB까지 올릴 수 있어요".into(),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(AppError::field("image", "빈 파일이에요"));
    }
    Ok(bytes)
}

/// The longest text field a form with images may carry (notes are bounded again by their own
/// rule; this only bounds what is buffered).
const TEXT_FIELD_MAX: usize = 16 * 1024;

/// A multipart form of short text fields and `image` files.
pub struct Form {
    pub text: std::collections::HashMap<String, String>,
    pub images: Vec<Vec<u8>>,
}

/// Reads the text fields named in `fields` (each at most 16 KB, UTF-8) and up to `max` `image`
/// files (each at most 10 MB, refused while streaming); more than `max` images is a 400. Other
/// parts are skipped unread, so padding a form with fields costs no memory. Zero images is the
/// caller's rule to decide.
pub async fn form(
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    fields: &[&str],
    max: usize,
) -> Result<Form, AppError> {
    let mut mp = mp.map_err(|_| AppError::field("image", "multipart/form-data 본문이 필요해요"))?;
    let mut out = Form {
        text: Default::default(),
        images: Vec::new(),
    };
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if name == "image" {
            if out.images.len() == max {
                return Err(AppError::field(
                    "image",
                    format!("이미지는 {max}장까지 올릴 수 있어요"),
                ));
            }
            out.images.push(read_part(field).await?);
            continue;
        }
        if !fields.contains(&name.as_str()) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > TEXT_FIELD_MAX {
                return Err(AppError::field(&name, "너무 길어요"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text =
            String::from_utf8(bytes).map_err(|_| AppError::field(&name, "UTF-8이 아니에요"))?;
        out.text.insert(name, text);
    }
    Ok(out)
}
