//! The demo shops' products.

use agora_core::money::{Currency, Money};
use agora_core::pricing::PriceTier;
use agora_core::product::{ProductInput, VariantInput};

use super::{Sellers, Shops};
use crate::products;
use crate::{App, AppResult};

/// Whose shop a product is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seller {
    Nora,
    Lucie,
    Hans,
}

/// seller, category, title, description, price in cents, stock, GTIN.
type ProductSeed = (Seller, &'static str, &'static str, &'static str, i64, i64, &'static str);

const PRODUCTS: &[ProductSeed] = &[
    (
        Seller::Nora,
        "audio",
        "Nordlicht Aurora wireless headphones",
        "Over-ear, active noise cancelling, 40 h battery.",
        14900,
        25,
        "4006381333931",
    ),
    (
        Seller::Nora,
        "audio",
        "Nordlicht Fjord in-ear headphones",
        "Wireless earbuds with charging case.",
        7900,
        60,
        "4006381333948",
    ),
    (
        Seller::Nora,
        "audio",
        "Studio monitor headphones, closed back",
        "Flat response for mixing; 3 m cable.",
        9900,
        12,
        "",
    ),
    (
        Seller::Nora,
        "audio",
        "Bluetooth speaker Polar mini",
        "Splash-proof speaker, 12 h playback.",
        4900,
        40,
        "",
    ),
    (
        Seller::Nora,
        "audio",
        "USB-C audio adapter",
        "24-bit DAC with headphone jack.",
        1900,
        200,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "Mechanical keyboard Tundra 87",
        "Tenkeyless, hot-swappable switches.",
        11900,
        18,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "Wireless mouse Glacier",
        "Silent clicks, 70 days per charge.",
        3900,
        75,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "27-inch 4K monitor",
        "IPS panel, USB-C with 65 W power delivery.",
        38900,
        7,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "USB-C docking station 11-in-1",
        "Two HDMI, Ethernet, SD reader.",
        12900,
        30,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "Laptop stand, aluminium",
        "Adjustable height, folds flat.",
        3400,
        90,
        "",
    ),
    (
        Seller::Nora,
        "computers",
        "Webcam 1080p with privacy shutter",
        "Autofocus and dual microphones.",
        5900,
        0,
        "",
    ),
    (
        Seller::Lucie,
        "bags",
        "Hand-stitched leather tote",
        "Vegetable-tanned leather, made in Lyon.",
        18900,
        4,
        "",
    ),
    (
        Seller::Lucie,
        "bags",
        "Canvas weekender bag",
        "Waxed canvas with leather trim.",
        12900,
        6,
        "",
    ),
    (
        Seller::Lucie,
        "bags",
        "Leather card holder",
        "Four slots, natural edge finish.",
        3900,
        20,
        "",
    ),
    (
        Seller::Lucie,
        "jewellery",
        "Moonstone silver pendant",
        "Sterling silver, 45 cm chain.",
        6900,
        9,
        "",
    ),
    (
        Seller::Lucie,
        "jewellery",
        "Brass crescent earrings",
        "Hand-hammered, hypoallergenic hooks.",
        3500,
        14,
        "",
    ),
    (
        Seller::Lucie,
        "textiles",
        "Linen table cloth, natural",
        "Stonewashed linen, 160 × 250 cm.",
        7900,
        10,
        "",
    ),
    (
        Seller::Lucie,
        "textiles",
        "Wool throw blanket",
        "Merino wool, 130 × 180 cm.",
        11500,
        5,
        "",
    ),
    (
        Seller::Lucie,
        "cookware",
        "Ceramic serving bowl",
        "Wheel-thrown stoneware, food safe.",
        4200,
        8,
        "",
    ),
    (
        Seller::Hans,
        "coffee",
        "Single-origin coffee beans, Ethiopia 1 kg",
        "Washed Yirgacheffe, light roast.",
        2890,
        120,
        "4012345000016",
    ),
    (
        Seller::Hans,
        "coffee",
        "Espresso blend 1 kg",
        "Brazil and India, dark roast.",
        2290,
        300,
        "4012345000023",
    ),
    (
        Seller::Hans,
        "coffee",
        "Darjeeling first flush tea 250 g",
        "Loose leaf, spring harvest.",
        1890,
        80,
        "",
    ),
    (
        Seller::Hans,
        "coffee",
        "Green tea sencha 500 g",
        "Japanese steamed green tea.",
        2450,
        60,
        "",
    ),
    (
        Seller::Hans,
        "pantry",
        "Extra virgin olive oil 5 l",
        "Cold pressed, Crete, for restaurants.",
        5900,
        40,
        "",
    ),
    (
        Seller::Hans,
        "pantry",
        "Sea salt flakes 1 kg",
        "Hand-harvested, North Sea.",
        990,
        150,
        "",
    ),
    (
        Seller::Hans,
        "pantry",
        "Wildflower honey 12 × 500 g",
        "Case of twelve jars.",
        8900,
        25,
        "",
    ),
    (
        Seller::Hans,
        "pantry",
        "Dark chocolate 70% couverture 2.5 kg",
        "For bakeries and patisseries.",
        4990,
        35,
        "",
    ),
    (
        Seller::Hans,
        "cookware",
        "Cast iron skillet 28 cm",
        "Pre-seasoned, oven safe.",
        4500,
        22,
        "",
    ),
    (
        Seller::Hans,
        "cookware",
        "Stainless steel stock pot 20 l",
        "Induction ready, for professional kitchens.",
        8900,
        9,
        "",
    ),
    (
        Seller::Hans,
        "cookware",
        "Chef's knife 21 cm",
        "Forged steel, full tang.",
        6900,
        30,
        "",
    ),
    (
        Seller::Hans,
        "cookware",
        "Burr coffee grinder",
        "Conical burrs, 40 grind settings.",
        15900,
        11,
        "4012345000030",
    ),
    (
        Seller::Nora,
        "cookware",
        "Burr coffee grinder",
        "Conical burrs, 40 grind settings; ships from Hamburg.",
        14900,
        6,
        "4012345000030",
    ),
    (
        Seller::Nora,
        "audio",
        "Headphone stand with USB hub",
        "Walnut base, two USB ports.",
        2900,
        33,
        "",
    ),
];

/// Products sold in several colours: title, then each further colour with its stock (the first
/// variant is black).
const COLOURS: &[(&str, &[(&str, i64)])] = &[
    ("Nordlicht Aurora wireless headphones", &[("white", 9), ("blue", 0)]),
    ("Nordlicht Fjord in-ear headphones", &[("white", 14)]),
];

/// Lists [`PRODUCTS`], SKUs `DEMO-001` on in order, each with one variant (several for those in
/// [`COLOURS`]) and a picture drawn for it.
pub(super) async fn products(app: &App, sellers: &Sellers, shops: &Shops) -> AppResult<()> {
    for (i, (seller, category, title, description, cents, stock, gtin)) in PRODUCTS.iter().enumerate() {
        let (actor, shop_id) = match seller {
            Seller::Nora => (&sellers.nora, &shops.nordlicht.id),
            Seller::Lucie => (&sellers.lucie, &shops.lune.id),
            Seller::Hans => (&sellers.hans, &shops.hanse.id),
        };
        let colours = COLOURS.iter().find(|(t, _)| t == title).map(|(_, c)| *c);
        let colour = |c: &str| {
            let mut m = serde_json::Map::new();
            m.insert("colour".into(), c.into());
            m
        };
        let mut variants = vec![VariantInput {
            sku: format!("DEMO-{:03}", i + 1),
            gtin: (!gtin.is_empty()).then(|| gtin.to_string()),
            price: Money::new(*cents, Currency::EUR),
            stock: *stock,
            attributes: colours.map(|_| colour("black")).unwrap_or_default(),
            price_tiers: volume_tiers(*seller, *cents),
        }];
        for (name, stock) in colours.unwrap_or_default() {
            variants.push(VariantInput {
                sku: format!("DEMO-{:03}-{}", i + 1, name.to_uppercase()),
                gtin: None,
                price: Money::new(*cents, Currency::EUR),
                stock: *stock,
                attributes: colour(name),
                price_tiers: vec![],
            });
        }
        let input = ProductInput {
            title: title.to_string(),
            description: description.to_string(),
            category: category.to_string(),
            attributes: Default::default(),
            variants,
            min_order_qty: None,
            status: None,
        };
        let product = products::create(app, actor, shop_id, input).await?;
        let png = super::pictures::picture(title, category);
        crate::images::upload(app, actor, &product.id, png).await?;
    }
    Ok(())
}

/// The wholesaler gives volume discounts: 8% from 10 units, 15% from 50 (rounded down to the cent).
fn volume_tiers(seller: Seller, cents: i64) -> Vec<PriceTier> {
    if seller != Seller::Hans {
        return vec![];
    }
    [(10, 92), (50, 85)]
        .into_iter()
        .map(|(min_qty, percent)| PriceTier {
            min_qty,
            unit_price: Money::new(cents * percent / 100, Currency::EUR),
        })
        .collect()
}
