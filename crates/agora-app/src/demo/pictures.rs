//! Pictures for the demo products, drawn by code when the demo is seeded: a card tinted by the
//! product's category with the product's initials in large block letters. The binary ships no
//! image files and needs no network.

use image::{ImageFormat, Rgb, RgbImage};

/// The side of a demo picture, in pixels.
const SIDE: u32 = 640;

/// 5 × 7 block letters, one row per byte (the low five bits, the leftmost pixel highest).
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        _ => return None,
    })
}

/// Up to two initials of a title that the block letters can draw.
fn initials(title: &str) -> Vec<[u8; 7]> {
    title
        .split_whitespace()
        .filter_map(|w| w.chars().find_map(glyph))
        .take(2)
        .collect()
}

/// The tint of a category: the same category always gets the same colour.
fn tint(category: &str) -> [u8; 3] {
    const PALETTE: [[u8; 3]; 8] = [
        [37, 99, 235],
        [5, 150, 105],
        [217, 119, 6],
        [190, 24, 93],
        [124, 58, 237],
        [8, 145, 178],
        [101, 163, 13],
        [220, 38, 38],
    ];
    let hash = category
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    PALETTE[hash as usize % PALETTE.len()]
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> Rgb<u8> {
    let m = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Rgb([m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])])
}

/// A PNG picture for a product: a pale card of its category's tint, a darker disc, its initials.
pub fn picture(title: &str, category: &str) -> Vec<u8> {
    let colour = tint(category);
    let white = [255, 255, 255];
    let mut img = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        // A soft diagonal gradient on a pale ground.
        let t = 0.80 + 0.12 * ((x + y) as f32 / (2 * SIDE) as f32);
        mix(colour, white, t)
    });
    let centre = SIDE as f32 / 2.0;
    let radius = SIDE as f32 * 0.36;
    for (x, y, px) in img.enumerate_pixels_mut() {
        let d = ((x as f32 - centre).powi(2) + (y as f32 - centre).powi(2)).sqrt();
        if d <= radius {
            *px = mix(colour, [0, 0, 0], 0.08);
        }
    }
    let letters = initials(title);
    let scale = 22u32;
    let gap = scale;
    let width = letters.len() as u32 * 5 * scale + letters.len().saturating_sub(1) as u32 * gap;
    let left = (SIDE - width.min(SIDE)) / 2;
    let top = (SIDE - 7 * scale) / 2;
    for (i, rows) in letters.iter().enumerate() {
        let x0 = left + i as u32 * (5 * scale + gap);
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..5u32 {
                if bits & (0x10 >> col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        img.put_pixel(x0 + col * scale + dx, top + row as u32 * scale + dy, Rgb(white));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .expect("a PNG encodes in memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_a_png_of_the_set_size_with_the_initials() {
        let png = picture("Burr coffee grinder", "cookware");
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (SIDE, SIDE));
        // The top-left pixel of the "B" is white.
        let scale = 22;
        let left = (SIDE - (2 * 5 * scale + scale)) / 2;
        let top = (SIDE - 7 * scale) / 2;
        assert_eq!(img.get_pixel(left + 1, top + 1), &Rgb([255, 255, 255]));
        assert_eq!(initials("27-inch 4K monitor").len(), 2);
        assert_eq!(tint("audio"), tint("audio"));
    }
}
