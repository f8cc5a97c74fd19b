//! Image pipeline: accept JPEG/PNG/WebP/GIF by content, cap size and pixels, apply the EXIF
//! orientation, and re-encode without any metadata. CPU-bound: callers run it on the blocking pool.
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::http::AppError;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 40_000_000;
pub const FULL_SIDE: u32 = 1600;
pub const THUMB_SIDE: u32 = 400;

pub struct Encoded {
    pub bytes: Vec<u8>,
    pub ext: &'static str,
}

pub struct Processed {
    pub full: Encoded,
    pub thumb: Encoded,
}

pub fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

pub fn process(data: &[u8], full_side: u32, thumb_side: u32) -> Result<Processed, AppError> {
    if data.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge(
            "이미지는 10MB까지 올릴 수 있어요".into(),
        ));
    }
    let format = image::guess_format(data).ok();
    if !matches!(
        format,
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(AppError::UnsupportedMediaType(
            "JPEG, PNG, WebP, GIF 이미지만 올릴 수 있어요".into(),
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(format.expect("checked above"));
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(AppError::field("image", "이미지를 읽을 수 없어요"));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(AppError::PayloadTooLarge(
            "이미지 해상도가 너무 커요".into(),
        ));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let full = encode(&shrink(img.clone(), full_side))?;
    let thumb = encode(&shrink(img, thumb_side))?;
    Ok(Processed { full, thumb })
}

fn decode_error(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => {
            AppError::PayloadTooLarge("이미지 해상도가 너무 커요".into())
        }
        _ => AppError::field("image", "이미지를 읽을 수 없어요"),
    }
}

fn shrink(img: DynamicImage, side: u32) -> DynamicImage {
    if img.width().max(img.height()) <= side {
        img
    } else {
        img.resize(side, side, FilterType::Triangle)
    }
}

/// Opaque images become JPEG, images with transparency PNG. Neither carries the source's metadata.
fn encode(img: &DynamicImage) -> Result<Encoded, AppError> {
    let mut out = Vec::new();
    if img.color().has_alpha() {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(Encoded {
            bytes: out,
            ext: "png",
        })
    } else {
        let rgb = img.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(Encoded {
            bytes: out,
            ext: "jpg",
        })
    }
}
