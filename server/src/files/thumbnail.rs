//! Pictures: their size, and a small version to show inline (JPEG, or PNG when the picture has
//! transparency), made from the bytes with bounded memory.

use bytes::Bytes;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The thumbnail fits in this many pixels each way.
pub const THUMBNAIL_SIZE: u32 = 320;

/// Largest picture decoded (each way), so that a small file cannot claim gigabytes.
const MAX_PIXELS_EACH_WAY: u32 = 12_000;

/// Most memory one decode may use.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether thumbnails are made for this type.
pub fn is_picture(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// A picture's width and height, and its thumbnail.
#[derive(Debug)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The small version's bytes.
    pub bytes: Bytes,
    /// Its type.
    pub content_type: &'static str,
}

/// Decodes a picture and makes its thumbnail (CPU-bound: call from a blocking task). `None`
/// when the bytes do not decode as a picture within the limits.
pub fn make(bytes: &[u8]) -> Option<Thumbnail> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_EACH_WAY);
    limits.max_image_height = Some(MAX_PIXELS_EACH_WAY);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let (width, height) = (picture.width(), picture.height());
    let small = picture.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
    let mut out = Cursor::new(Vec::new());
    let content_type = if small.color().has_alpha() {
        small.write_to(&mut out, ImageFormat::Png).ok()?;
        "image/png"
    } else {
        DynamicImage::ImageRgb8(small.to_rgb8())
            .write_to(&mut out, ImageFormat::Jpeg)
            .ok()?;
        "image/jpeg"
    };
    Some(Thumbnail {
        width,
        height,
        bytes: Bytes::from(out.into_inner()),
        content_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn encode(picture: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_photo_gets_a_small_jpeg_and_keeps_its_size() {
        let photo = RgbImage::from_fn(1200, 800, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let png = encode(DynamicImage::ImageRgb8(photo), ImageFormat::Png);
        let t = make(&png).expect("a picture");
        assert_eq!((t.width, t.height), (1200, 800));
        assert_eq!(t.content_type, "image/jpeg");
        let small = image::load_from_memory(&t.bytes).unwrap();
        assert_eq!((small.width(), small.height()), (320, 213));
    }

    #[test]
    fn transparency_is_kept_in_a_png_thumbnail() {
        let logo = RgbaImage::from_pixel(64, 64, Rgba([10, 20, 30, 0]));
        let png = encode(DynamicImage::ImageRgba8(logo), ImageFormat::Png);
        let t = make(&png).expect("a picture");
        assert_eq!(t.content_type, "image/png");
    }

    #[test]
    fn what_does_not_decode_has_no_thumbnail() {
        assert!(make(b"\x89PNG\r\n\x1a\n but not really").is_none());
        assert!(make(b"plain text").is_none());
    }
}
