//! Product images: checked to be real images (decoded, not just named so), stored in the blob
//! folder with a thumbnail for listings, shown in the product's gallery.

use agora_core::audit::AuditAction;
use std::io::Cursor;
use std::sync::Arc;

use agora_store::catalog::{self as catalog_store, ImageRow};
use agora_store::{new_id, now_ms, products as product_store};
use image::{ImageFormat, ImageReader, Limits};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{audit, product_changes, shops, Actor, App, AppError, AppResult, ConflictKind};

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// Thumbnails fit in this square.
const THUMBNAIL_PX: u32 = 400;
/// At most this many images per product.
pub const MAX_IMAGES: usize = 12;

/// An image of a product's gallery: the blob keys of the picture and its thumbnail, which the
/// HTTP layer turns into addresses.
#[derive(Debug, Clone)]
pub struct ImageView {
    pub id: String,
    /// The blob key of the picture as uploaded.
    pub key: String,
    /// The blob key of its thumbnail, a small JPEG for listings.
    pub thumbnail_key: String,
    pub width: i64,
    pub height: i64,
}

pub(crate) fn view(i: &ImageRow) -> ImageView {
    ImageView {
        id: i.id.clone(),
        key: i.blob_key.clone(),
        thumbnail_key: i.thumb_key.clone(),
        width: i.width,
        height: i.height,
    }
}

/// The most pixels an image may have (a 7,300 × 5,470 photo): its header is read first, and a
/// larger image is refused before any pixel is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// What one decode may allocate: the pixels of the largest image as 8-bit RGBA, plus room for the
/// decoder's own buffers. Deeper images near the pixel limit are refused rather than decoded.
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4 + 32 * 1024 * 1024;
/// Uploads waiting for a decoder beyond those decoding; more are told to retry.
const DECODE_QUEUE: usize = 8;

/// Bounds the memory that decoding images takes: a few decode at once, a short queue waits, and
/// beyond it uploads are answered 503 with Retry-After. A flood slows down; memory stays flat.
#[derive(Debug, Clone)]
pub struct DecodeGate {
    /// Decoding and waiting uploads together.
    admitted: Arc<Semaphore>,
    decoding: Arc<Semaphore>,
}

impl DecodeGate {
    pub fn new(decoders: usize, queue: usize) -> Self {
        let decoders = decoders.max(1);
        Self {
            admitted: Arc::new(Semaphore::new(decoders + queue)),
            decoding: Arc::new(Semaphore::new(decoders)),
        }
    }

    /// One decoder per core, and a short queue.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, DECODE_QUEUE)
    }

    /// Waits for a decoder when the queue has room; the permits are held while decoding.
    async fn enter(&self) -> AppResult<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| AppError::Busy { retry_after_s: 2 })?;
        let decoding = Arc::clone(&self.decoding)
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok((admitted, decoding))
    }
}

/// What decoding an upload found.
struct Decoded {
    content_type: &'static str,
    width: u32,
    height: u32,
    thumbnail: Vec<u8>,
}

/// Decodes the upload (refusing anything that is not a PNG, JPEG or WebP image, and images so large
/// that decoding them would exhaust memory) and renders its thumbnail as JPEG.
fn decode(bytes: &[u8]) -> AppResult<Decoded> {
    let unsupported = || AppError::UnsupportedMediaType("images must be PNG, JPEG or WebP files".into());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| unsupported())?;
    let (format, content_type) = match reader.format() {
        Some(ImageFormat::Png) => (ImageFormat::Png, "image/png"),
        Some(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg"),
        Some(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp"),
        _ => return Err(unsupported()),
    };
    let unreadable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => AppError::invalid("file", "is too large to decode"),
        e => AppError::invalid("file", format!("is not a readable image: {e}")),
    };
    // The header alone tells the size: a small file can claim a huge picture.
    let (width, height) = reader.into_dimensions().map_err(unreadable)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AppError::invalid(
            "file",
            format!(
                "is {width}×{height} pixels; images may have at most {} megapixels",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let image = reader.decode().map_err(unreadable)?;
    let thumb = image.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let mut thumbnail = Vec::new();
    thumb
        .write_to(&mut Cursor::new(&mut thumbnail), ImageFormat::Jpeg)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a thumbnail: {e}")))?;
    Ok(Decoded {
        content_type,
        width: image.width(),
        height: image.height(),
        thumbnail,
    })
}

fn full() -> AppError {
    AppError::conflict(
        ConflictKind::LimitReached,
        format!("a product has at most {MAX_IMAGES} images"),
    )
}

/// Adds an image to a product of one of the actor's shops. The limit is checked before decoding
/// (to spare the work) and again in the transaction that adds the image, so that concurrent
/// uploads never exceed it.
pub async fn upload(app: &App, actor: &Actor, product_id: &str, bytes: Vec<u8>) -> AppResult<ImageView> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(AppError::TooLarge {
            max_bytes: MAX_IMAGE_BYTES,
        });
    }
    {
        let mut conn = app.db.conn().await?;
        let (product, _) = product_store::by_id(&mut conn, product_id)
            .await?
            .ok_or(AppError::NotFound("product"))?;
        shops::managed(&mut conn, actor, &product.shop_id)
            .await
            .map_err(|e| e.not_found_as("product"))?;
        if catalog_store::images_of_product(&mut conn, product_id).await?.len() >= MAX_IMAGES {
            return Err(full());
        }
    }
    let permits = app.image_decoders.enter().await?;
    let (decoded, bytes) = tokio::task::spawn_blocking(move || decode(&bytes).map(|d| (d, bytes)))
        .await
        .map_err(anyhow::Error::from)??;
    drop(permits);
    let blob_key = app.blobs.put(&bytes).await.map_err(anyhow::Error::from)?;
    let thumb_key = app.blobs.put(&decoded.thumbnail).await.map_err(anyhow::Error::from)?;
    let now = now_ms();
    let row = ImageRow {
        id: new_id("img"),
        product_id: product_id.to_owned(),
        blob_key,
        thumb_key,
        content_type: decoded.content_type.to_owned(),
        width: i64::from(decoded.width),
        height: i64::from(decoded.height),
        position: 0,
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    let (product, _) = product_store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    shops::managed(&mut tx, actor, &product.shop_id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    if !catalog_store::insert_image(&mut tx, &row, MAX_IMAGES as i64).await? {
        return Err(full());
    }
    let data = serde_json::json!({ "image_id": row.id, "width": row.width, "height": row.height });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ProductImageAdded,
        product_id,
        data,
    )
    .await?;
    product_changes::publish_change(&mut tx, product_id, now).await?;
    tx.commit().await?;
    app.products.invalidate(product_id);
    Ok(view(&row))
}

/// Removes an image from a product of one of the actor's shops.
pub async fn delete(app: &App, actor: &Actor, product_id: &str, image_id: &str) -> AppResult<()> {
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let (product, _) = product_store::by_id(&mut tx, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    shops::managed(&mut tx, actor, &product.shop_id)
        .await
        .map_err(|e| e.not_found_as("product"))?;
    if !catalog_store::delete_image(&mut tx, product_id, image_id).await? {
        return Err(AppError::NotFound("image"));
    }
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::ProductImageRemoved,
        product_id,
        serde_json::json!({ "image_id": image_id }),
    )
    .await?;
    product_changes::publish_change(&mut tx, product_id, now).await?;
    tx.commit().await?;
    app.products.invalidate(product_id);
    Ok(())
}

/// An image's bytes and content type, by blob key. Only blobs that are product images are served
/// this way: qualification documents stay private.
pub async fn media(app: &App, key: &str) -> AppResult<(String, Vec<u8>)> {
    let mut conn = app.db.conn().await?;
    let content_type = catalog_store::image_blob_type(&mut conn, key)
        .await?
        .ok_or(AppError::NotFound("image"))?;
    drop(conn);
    let bytes = app.blobs.get(key).await.map_err(|e| AppError::from_io(e, "image"))?;
    Ok((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn a_real_image_gets_a_bounded_jpeg_thumbnail() {
        let d = decode(&png(1200, 600)).unwrap();
        assert_eq!((d.content_type, d.width, d.height), ("image/png", 1200, 600));
        let thumb = image::load_from_memory(&d.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        assert!(matches!(
            decode(b"%PDF-1.4 not an image"),
            Err(AppError::UnsupportedMediaType(_))
        ));
        let mut broken = png(10, 10);
        broken.truncate(30);
        assert!(matches!(decode(&broken), Err(AppError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_flood_of_uploads_queues_briefly_then_is_told_to_retry() {
        let gate = DecodeGate::new(1, 1);
        let decoding = gate.enter().await.unwrap();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        while gate.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(
            matches!(gate.enter().await, Err(AppError::Busy { retry_after_s: 2 })),
            "beyond the queue"
        );
        drop(decoding);
        waiting.await.unwrap().unwrap();
        assert!(gate.enter().await.is_ok(), "the queue drains");
    }
}
