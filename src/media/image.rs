//! Image pipeline: accept JPEG/PNG/WebP/GIF by content, refuse from the header what would decode
//! too large, apply the EXIF orientation, and re-encode without any metadata. CPU-bound and
//! memory-hungry: it runs on `Decoder`, a bounded pool with a budget of decoded bytes.
use std::io::Cursor;
use std::sync::{Arc, Condvar, Mutex};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::blocking::{BoundedPool, Busy};
use crate::domain::error::AppError;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_SIDE: u32 = 12_000;
/// Largest decoded image (width × height × bytes per pixel) we accept; also the budget of
/// decoded bytes all decodes together may hold at once.
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;
/// A filtered resize keeps a float copy (16 bytes per pixel) of `width × new height`; above this
/// we average pixel areas instead, which needs no scratch copy.
const RESIZE_SCRATCH: u64 = 16 * 1024 * 1024;
pub const FULL_SIDE: u32 = 1600;
pub const THUMB_SIDE: u32 = 400;
pub const AVATAR_SIDE: u32 = 512;

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

fn too_large() -> AppError {
    AppError::PayloadTooLarge("이미지 해상도가 너무 커요".into())
}

/// Decodes images on a few threads with a short queue (full → 503), and lets the running decodes
/// hold at most `MAX_DECODED_BYTES` between them: a flood of large images waits or is refused
/// instead of multiplying memory.
pub struct Decoder {
    pool: BoundedPool,
    budget: Arc<Budget>,
}

impl Decoder {
    pub fn new(threads: usize, queue: usize) -> Decoder {
        // Freed pixel buffers must go back to the OS, not stay in a malloc arena per thread.
        crate::blocking::keep_big_blocks_out_of_arenas();
        Decoder {
            pool: BoundedPool::new("image", threads, queue),
            budget: Arc::new(Budget::new(MAX_DECODED_BYTES)),
        }
    }

    /// Processes one upload on the pool; 503 `unavailable` when the queue is full.
    pub async fn process(
        &self,
        data: Vec<u8>,
        full_side: u32,
        thumb_side: u32,
    ) -> Result<Processed, AppError> {
        let budget = self.budget.clone();
        self.pool
            .run(move || process(&data, full_side, thumb_side, &budget))
            .await
            .map_err(busy)?
    }

    /// The pool itself, so tests can occupy it the way slow uploads would.
    pub fn pool(&self) -> &BoundedPool {
        &self.pool
    }
}

fn busy(_: Busy) -> AppError {
    AppError::Unavailable("사진을 처리하는 요청이 많아요. 잠시 후 다시 시도해 주세요".into())
}

/// Bytes of decoded images currently held; a decode waits (on its pool thread) for room.
struct Budget {
    free: Mutex<u64>,
    room: Condvar,
    total: u64,
}

struct Reserved<'a> {
    budget: &'a Budget,
    amount: u64,
}

impl Budget {
    fn new(total: u64) -> Budget {
        Budget {
            free: Mutex::new(total),
            room: Condvar::new(),
            total,
        }
    }

    fn reserve(&self, amount: u64) -> Reserved<'_> {
        // Each decode is at most the whole budget, so it always fits once the others finish.
        let amount = amount.min(self.total);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < amount {
            free = self.room.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= amount;
        Reserved {
            budget: self,
            amount,
        }
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        let mut free = self.budget.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += self.amount;
        self.budget.room.notify_all();
    }
}

fn process(
    data: &[u8],
    full_side: u32,
    thumb_side: u32,
    budget: &Budget,
) -> Result<Processed, AppError> {
    if data.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge(
            "이미지는 10MB까지 올릴 수 있어요".into(),
        ));
    }
    let format = match image::guess_format(data) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => f,
        _ => {
            return Err(AppError::UnsupportedMediaType(
                "JPEG, PNG, WebP, GIF 이미지만 올릴 수 있어요".into(),
            ))
        }
    };
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    // Only the header is read here: dimensions and colour type.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(AppError::field("image", "이미지를 읽을 수 없어요"));
    }
    // width × height × bytes per pixel, refused before a single pixel is decoded.
    let decoded = decoder.total_bytes();
    if decoded > MAX_DECODED_BYTES {
        return Err(too_large());
    }
    let _held = budget.reserve(decoded * working_factor(format, data));
    let orientation = decoder.orientation().ok();
    let img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    // The full size is made from the decoded image, which is dropped right after; the thumbnail
    // comes from the full size. 16-bit images become 8-bit only once small.
    let mut full = eight_bit(shrink(img, full_side));
    if let Some(o) = orientation {
        // Rotating after shrinking: the bounds are square, so the result is the same, cheaper.
        full.apply_orientation(o);
    }
    let thumb = if full.width().max(full.height()) <= thumb_side {
        encode(&full)?
    } else {
        encode(&shrink_ref(&full, thumb_side))?
    };
    Ok(Processed {
        full: encode(&full)?,
        thumb,
    })
}

/// Decoders need more than the output for some inputs: a progressive JPEG keeps every DCT
/// coefficient (up to 2 bytes per sample beside the 1-byte output), a WebP a 32-bit canvas.
fn working_factor(format: ImageFormat, data: &[u8]) -> u64 {
    match format {
        ImageFormat::Jpeg if is_progressive_jpeg(data) => 3,
        ImageFormat::WebP => 2,
        _ => 1,
    }
}

/// Walks the JPEG marker segments up to the first start-of-frame: SOF2 (and the other
/// progressive/lossless SOFs) need whole-image coefficient buffers, baseline SOF0/SOF1 do not.
fn is_progressive_jpeg(data: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        let marker = data[i + 1];
        match marker {
            0xC0 | 0xC1 => return false,
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return true,
            0xFF => {
                i += 1;
                continue;
            }
            0xD8 | 0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        i += 2 + len;
    }
    false
}

fn decode_error(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => too_large(),
        _ => AppError::field("image", "이미지를 읽을 수 없어요"),
    }
}

/// Fits `img` within `side` × `side`, consuming it so its buffer is freed as soon as possible.
fn shrink(img: DynamicImage, side: u32) -> DynamicImage {
    if img.width().max(img.height()) <= side {
        img
    } else {
        shrink_ref(&img, side)
    }
}

fn shrink_ref(img: &DynamicImage, side: u32) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    let new_h = (u64::from(h) * u64::from(side) / u64::from(w.max(h))).max(1);
    if u64::from(w) * new_h * 16 <= RESIZE_SCRATCH {
        img.resize(side, side, FilterType::Triangle)
    } else {
        // Area averaging: every source pixel counted once, no full-size float copy.
        img.thumbnail(side, side)
    }
}

/// 16-bit and float images as 8-bit, the way they are encoded.
fn eight_bit(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => img,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn png16(w: u32, h: u32) -> Vec<u8> {
        let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(
            w,
            h,
            image::Rgb([40_000, 1_000, 65_535]),
        );
        let mut out = Vec::new();
        DynamicImage::ImageRgb16(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_16_bit_png_becomes_an_8_bit_jpeg_of_the_same_colour() {
        let budget = Budget::new(MAX_DECODED_BYTES);
        let p = process(&png16(2000, 1000), FULL_SIDE, THUMB_SIDE, &budget).unwrap();
        assert_eq!(p.full.ext, "jpg");
        let full = image::load_from_memory(&p.full.bytes).unwrap();
        assert_eq!((full.width(), full.height()), (1600, 800));
        let px = full.to_rgb8().get_pixel(800, 400).0;
        assert!(
            px[0].abs_diff(156) <= 3 && px[1] <= 8 && px[2] >= 250,
            "{px:?}"
        );
        let thumb = image::load_from_memory(&p.thumb.bytes).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
    }

    #[test]
    fn progressive_jpegs_are_told_from_baseline_ones() {
        let mut baseline = Vec::new();
        JpegEncoder::new(&mut baseline)
            .encode_image(&image::RgbImage::new(8, 8))
            .unwrap();
        assert!(!is_progressive_jpeg(&baseline));
        // The same stream with its SOF0 marker turned into SOF2.
        let sof = baseline.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut progressive = baseline.clone();
        progressive[sof + 1] = 0xC2;
        assert!(is_progressive_jpeg(&progressive));
    }

    #[test]
    fn the_budget_makes_a_decode_wait_for_room() {
        let budget = Arc::new(Budget::new(100));
        let first = budget.reserve(80);
        let b = budget.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _r = b.reserve(50);
            tx.send(()).unwrap();
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(100))
            .is_err());
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
        // More than the whole budget is capped to it rather than waiting forever.
        drop(budget.reserve(1000));
    }
}
