//! A believable small marketplace for trying Agora out: an operator, three approved shops (one run
//! by a person, two by companies), two buyers (one a company with two members), a category tree
//! with restricted categories, and a few dozen products. Built through the same use cases as real
//! traffic, so the demo exercises the real rules.

use agora_core::account::RegistrationInput;
use agora_core::category::{AttributeDef, AttributeType};
use agora_core::money::{Currency, Money};
use agora_core::pricing::PriceTier;
use agora_store::accounts as account_rows;

use crate::accounts::{self, Channel};
use crate::categories::{self, NewCategory};
use crate::products::{self, NewProduct, NewVariant};
use crate::shops::{self, ApplyInput, Decision, Upload};
use crate::{invitations, Actor, App, AppError, AppResult};

/// The password of every demo account.
pub const PASSWORD: &str = "agora-demo-2026";

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
}

pub const LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "operator",
        email: "operator@agora.example",
    },
    DemoLogin {
        role: "seller (enterprise, Nordlicht Electronics)",
        email: "nora@nordlicht.example",
    },
    DemoLogin {
        role: "seller (individual, Atelier Lune)",
        email: "lucie@atelier-lune.example",
    },
    DemoLogin {
        role: "seller (enterprise, Hanse Provisions, food licence)",
        email: "hans@hanse-provisions.example",
    },
    DemoLogin {
        role: "buyer (individual)",
        email: "bea@buyer.example",
    },
    DemoLogin {
        role: "buyer (enterprise admin, Acme Procurement)",
        email: "anna@acme.example",
    },
    DemoLogin {
        role: "buyer (enterprise purchaser, Acme Procurement)",
        email: "paul@acme.example",
    },
];

/// slug, name, parent, restricted, attributes.
type CategorySeed = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Vec<AttributeDef>,
);
/// seller, category, title, description, price in cents, stock, GTIN.
type ProductSeed<'a> = (
    &'a Actor,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static str,
);

/// Whether the database already holds accounts (the demo only fills an empty one).
pub async fn is_empty(app: &App) -> AppResult<bool> {
    let mut conn = app.db.conn().await?;
    Ok(account_rows::count(&mut conn).await? == 0)
}

async fn person(app: &App, email: &str, name: &str, company: Option<&str>) -> AppResult<Actor> {
    let kind = if company.is_some() { "enterprise" } else { "individual" };
    accounts::register(
        app,
        RegistrationInput {
            email,
            password: PASSWORD,
            name,
            kind,
            company_name: company,
        },
    )
    .await?;
    sign_in(app, email).await
}

async fn sign_in(app: &App, email: &str) -> AppResult<Actor> {
    let login = accounts::login(app, email, PASSWORD, "demo", Channel::Api).await?;
    accounts::authenticate(app, &login.token)
        .await?
        .ok_or(AppError::Unauthenticated)
}

fn attr(key: &str, kind: AttributeType, values: &[&str]) -> AttributeDef {
    AttributeDef {
        key: key.into(),
        kind,
        values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
    }
}

/// A minimal, valid PDF standing in for a scanned licence.
fn licence_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% Agora demo document: {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

/// The wholesaler gives volume discounts: 8% from 10 units, 15% from 50 (rounded down to the cent).
fn volume_tiers(seller: &Actor, wholesaler: &Actor, cents: i64) -> Vec<PriceTier> {
    if seller.account_id != wholesaler.account_id {
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

/// Fills an empty database. Returns false (and changes nothing) when it is not empty.
pub async fn seed(app: &App) -> AppResult<bool> {
    if !is_empty(app).await? {
        return Ok(false);
    }
    accounts::create_operator(app, LOGINS[0].email, PASSWORD, "Olga Operator").await?;
    let operator = sign_in(app, LOGINS[0].email).await?;

    let tree: &[CategorySeed] = &[
        ("electronics", "Electronics", None, false, vec![]),
        (
            "audio",
            "Audio & Headphones",
            Some("electronics"),
            false,
            vec![
                attr("colour", AttributeType::Enum, &["black", "white", "blue"]),
                attr("wireless", AttributeType::Boolean, &[]),
            ],
        ),
        (
            "computers",
            "Computers & Accessories",
            Some("electronics"),
            false,
            vec![attr("voltage", AttributeType::Number, &[])],
        ),
        ("home", "Home & Kitchen", None, false, vec![]),
        (
            "cookware",
            "Cookware",
            Some("home"),
            false,
            vec![attr("material", AttributeType::Text, &[])],
        ),
        (
            "textiles",
            "Home Textiles",
            Some("home"),
            false,
            vec![attr("material", AttributeType::Text, &[])],
        ),
        ("fashion", "Fashion", None, false, vec![]),
        (
            "bags",
            "Bags & Leather",
            Some("fashion"),
            false,
            vec![attr("colour", AttributeType::Text, &[])],
        ),
        ("jewellery", "Jewellery", Some("fashion"), false, vec![]),
        ("food", "Food & Drink", None, true, vec![]),
        (
            "coffee",
            "Coffee & Tea",
            Some("food"),
            false,
            vec![attr("origin", AttributeType::Text, &[])],
        ),
        ("pantry", "Pantry", Some("food"), false, vec![]),
        ("health", "Health", None, true, vec![]),
    ];
    for (slug, name, parent, restricted, attributes) in tree {
        let licence_kind = restricted.then(|| format!("{slug}_licence"));
        let input = NewCategory {
            slug: slug.to_string(),
            name: name.to_string(),
            parent: parent.map(str::to_owned),
            restricted: *restricted,
            licence_kind,
            attributes: attributes.clone(),
        };
        categories::create(app, &operator, input).await?;
    }

    let nora = person(
        app,
        LOGINS[1].email,
        "Nora Lindqvist",
        Some("Nordlicht Electronics GmbH"),
    )
    .await?;
    let lucie = person(app, LOGINS[2].email, "Lucie Moreau", None).await?;
    let hans = person(app, LOGINS[3].email, "Hans Petersen", Some("Hanse Provisions AG")).await?;
    person(app, LOGINS[4].email, "Bea Buyer", None).await?;
    let anna = person(app, LOGINS[5].email, "Anna Acme", Some("Acme Procurement Ltd")).await?;
    let acme = anna
        .company
        .clone()
        .map(|(id, _)| id)
        .ok_or(AppError::NotFound("company"))?;
    let invitation = invitations::invite(app, &anna, &acme, LOGINS[6].email, "purchaser").await?;
    let paul = person(app, LOGINS[6].email, "Paul Purchaser", None).await?;
    invitations::accept(app, &paul, &invitation.id).await?;

    let apply = |name: &str, legal: &str, reg: Option<&str>, cats: &[&str], for_company: bool| ApplyInput {
        name: name.into(),
        legal_name: legal.into(),
        registration_number: reg.map(Into::into),
        categories: cats.iter().map(|c| c.to_string()).collect(),
        for_company,
    };
    let nordlicht = shops::apply(
        app,
        &nora,
        apply(
            "Nordlicht Electronics",
            "Nordlicht Electronics GmbH",
            Some("HRB 123456"),
            &["electronics"],
            true,
        ),
    )
    .await?;
    let lune = shops::apply(
        app,
        &lucie,
        apply("Atelier Lune", "Lucie Moreau", None, &["fashion", "home"], false),
    )
    .await?;
    let hanse = shops::apply(
        app,
        &hans,
        apply(
            "Hanse Provisions",
            "Hanse Provisions AG",
            Some("HRB 987654"),
            &["food", "home"],
            true,
        ),
    )
    .await?;
    let upload = |kind: &str, title: &str| Upload {
        kind: kind.into(),
        expires_on: Some("2030-12-31".into()),
        filename: format!("{kind}.pdf"),
        bytes: licence_pdf(title),
    };
    shops::upload_qualification(
        app,
        &nora,
        &nordlicht.id,
        upload("trade_register", "Nordlicht trade register extract"),
    )
    .await?;
    shops::upload_qualification(
        app,
        &hans,
        &hanse.id,
        upload("food_licence", "Hanse food business licence"),
    )
    .await?;
    for shop in [&nordlicht, &lune, &hanse] {
        shops::decide(app, &operator, &shop.id, Decision::Approve).await?;
    }
    // A fresh application waiting in the operator's queue.
    let bea = sign_in(app, LOGINS[4].email).await?;
    shops::apply(
        app,
        &bea,
        apply("Bea's Vintage Finds", "Bea Buyer", None, &["fashion"], false),
    )
    .await?;

    let eur = |cents: i64| Money::new(cents, Currency::EUR);
    let catalog: &[ProductSeed] = &[
        (
            &nora,
            "audio",
            "Nordlicht Aurora wireless headphones",
            "Over-ear, active noise cancelling, 40 h battery.",
            14900,
            25,
            "4006381333931",
        ),
        (
            &nora,
            "audio",
            "Nordlicht Fjord in-ear headphones",
            "Wireless earbuds with charging case.",
            7900,
            60,
            "4006381333948",
        ),
        (
            &nora,
            "audio",
            "Studio monitor headphones, closed back",
            "Flat response for mixing; 3 m cable.",
            9900,
            12,
            "",
        ),
        (
            &nora,
            "audio",
            "Bluetooth speaker Polar mini",
            "Splash-proof speaker, 12 h playback.",
            4900,
            40,
            "",
        ),
        (
            &nora,
            "audio",
            "USB-C audio adapter",
            "24-bit DAC with headphone jack.",
            1900,
            200,
            "",
        ),
        (
            &nora,
            "computers",
            "Mechanical keyboard Tundra 87",
            "Tenkeyless, hot-swappable switches.",
            11900,
            18,
            "",
        ),
        (
            &nora,
            "computers",
            "Wireless mouse Glacier",
            "Silent clicks, 70 days per charge.",
            3900,
            75,
            "",
        ),
        (
            &nora,
            "computers",
            "27-inch 4K monitor",
            "IPS panel, USB-C with 65 W power delivery.",
            38900,
            7,
            "",
        ),
        (
            &nora,
            "computers",
            "USB-C docking station 11-in-1",
            "Two HDMI, Ethernet, SD reader.",
            12900,
            30,
            "",
        ),
        (
            &nora,
            "computers",
            "Laptop stand, aluminium",
            "Adjustable height, folds flat.",
            3400,
            90,
            "",
        ),
        (
            &nora,
            "computers",
            "Webcam 1080p with privacy shutter",
            "Autofocus and dual microphones.",
            5900,
            0,
            "",
        ),
        (
            &lucie,
            "bags",
            "Hand-stitched leather tote",
            "Vegetable-tanned leather, made in Lyon.",
            18900,
            4,
            "",
        ),
        (
            &lucie,
            "bags",
            "Canvas weekender bag",
            "Waxed canvas with leather trim.",
            12900,
            6,
            "",
        ),
        (
            &lucie,
            "bags",
            "Leather card holder",
            "Four slots, natural edge finish.",
            3900,
            20,
            "",
        ),
        (
            &lucie,
            "jewellery",
            "Moonstone silver pendant",
            "Sterling silver, 45 cm chain.",
            6900,
            9,
            "",
        ),
        (
            &lucie,
            "jewellery",
            "Brass crescent earrings",
            "Hand-hammered, hypoallergenic hooks.",
            3500,
            14,
            "",
        ),
        (
            &lucie,
            "textiles",
            "Linen table cloth, natural",
            "Stonewashed linen, 160 × 250 cm.",
            7900,
            10,
            "",
        ),
        (
            &lucie,
            "textiles",
            "Wool throw blanket",
            "Merino wool, 130 × 180 cm.",
            11500,
            5,
            "",
        ),
        (
            &lucie,
            "cookware",
            "Ceramic serving bowl",
            "Wheel-thrown stoneware, food safe.",
            4200,
            8,
            "",
        ),
        (
            &hans,
            "coffee",
            "Single-origin coffee beans, Ethiopia 1 kg",
            "Washed Yirgacheffe, light roast.",
            2890,
            120,
            "4012345000016",
        ),
        (
            &hans,
            "coffee",
            "Espresso blend 1 kg",
            "Brazil and India, dark roast.",
            2290,
            300,
            "4012345000023",
        ),
        (
            &hans,
            "coffee",
            "Darjeeling first flush tea 250 g",
            "Loose leaf, spring harvest.",
            1890,
            80,
            "",
        ),
        (
            &hans,
            "coffee",
            "Green tea sencha 500 g",
            "Japanese steamed green tea.",
            2450,
            60,
            "",
        ),
        (
            &hans,
            "pantry",
            "Extra virgin olive oil 5 l",
            "Cold pressed, Crete, for restaurants.",
            5900,
            40,
            "",
        ),
        (
            &hans,
            "pantry",
            "Sea salt flakes 1 kg",
            "Hand-harvested, North Sea.",
            990,
            150,
            "",
        ),
        (
            &hans,
            "pantry",
            "Wildflower honey 12 × 500 g",
            "Case of twelve jars.",
            8900,
            25,
            "",
        ),
        (
            &hans,
            "pantry",
            "Dark chocolate 70% couverture 2.5 kg",
            "For bakeries and patisseries.",
            4990,
            35,
            "",
        ),
        (
            &hans,
            "cookware",
            "Cast iron skillet 28 cm",
            "Pre-seasoned, oven safe.",
            4500,
            22,
            "",
        ),
        (
            &hans,
            "cookware",
            "Stainless steel stock pot 20 l",
            "Induction ready, for professional kitchens.",
            8900,
            9,
            "",
        ),
        (
            &hans,
            "cookware",
            "Chef's knife 21 cm",
            "Forged steel, full tang.",
            6900,
            30,
            "",
        ),
        (
            &hans,
            "cookware",
            "Burr coffee grinder",
            "Conical burrs, 40 grind settings.",
            15900,
            11,
            "4012345000030",
        ),
        (
            &nora,
            "cookware",
            "Burr coffee grinder",
            "Conical burrs, 40 grind settings; ships from Hamburg.",
            14900,
            6,
            "4012345000030",
        ),
        (
            &nora,
            "audio",
            "Headphone stand with USB hub",
            "Walnut base, two USB ports.",
            2900,
            33,
            "",
        ),
    ];
    for (i, (actor, category, title, description, cents, stock, gtin)) in catalog.iter().enumerate() {
        let shop_id = if std::ptr::eq(*actor, &nora) {
            &nordlicht.id
        } else if std::ptr::eq(*actor, &lucie) {
            &lune.id
        } else {
            &hanse.id
        };
        let input = NewProduct {
            title: title.to_string(),
            description: description.to_string(),
            category: category.to_string(),
            attributes: Default::default(),
            variants: vec![NewVariant {
                sku: format!("DEMO-{:03}", i + 1),
                gtin: (!gtin.is_empty()).then(|| gtin.to_string()),
                price: eur(*cents),
                stock: *stock,
                attributes: Default::default(),
                price_tiers: volume_tiers(actor, &hans, *cents),
            }],
            min_order_qty: None,
            status: None,
        };
        products::create(app, actor, shop_id, input).await?;
    }
    // Shipping, so that the offers comparison has landed prices to compare.
    crate::price_comparison::set_shipping_rate(app, &hans, &hanse.id, "DE", eur(0)).await?;
    crate::price_comparison::set_shipping_rate(app, &hans, &hanse.id, "*", eur(990)).await?;
    crate::price_comparison::set_shipping_rate(app, &nora, &nordlicht.id, "*", eur(490)).await?;
    Ok(true)
}
