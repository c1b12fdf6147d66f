//! A believable small marketplace for trying Agora out: an operator, three approved shops (one run
//! by a person, two by companies), two buyers (one a company with two members), a category tree
//! with restricted categories, a few dozen products, and money in the buyers' wallets. Built through the same use cases as real
//! traffic, so the demo exercises the real rules.

use agora_core::account::RegistrationInput;
use agora_core::category::{AttributeDef, AttributeType};
use agora_core::money::{Currency, Money};
use agora_store::accounts as account_rows;

use crate::accounts::{self, Channel};
use crate::categories::{self, NewCategory};
use crate::shops::{self, ApplyInput, Decision, ShopView, Upload};
use crate::{invitations, Actor, App, AppError, AppResult};

mod catalog;
mod pictures;

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

/// Fills an empty database. Returns false (and changes nothing) when it is not empty.
pub async fn seed(app: &App) -> AppResult<bool> {
    if !is_empty(app).await? {
        return Ok(false);
    }
    accounts::create_operator(app, LOGINS[0].email, PASSWORD, "Olga Operator").await?;
    let operator = sign_in(app, LOGINS[0].email).await?;
    category_tree(app, &operator).await?;
    let sellers = sellers(app).await?;
    company(app).await?;
    let shops = shops(app, &operator, &sellers).await?;
    catalog::products(app, &sellers, &shops).await?;
    shipping(app, &sellers, &shops).await?;
    tax_rates(app, &operator).await?;
    wallets(app, &operator).await?;
    Ok(true)
}

/// Money in the buyers' wallets, so that the demo can pay from the wallet: each buyer tops up by
/// bank transfer and the operator records the transfer, as in real life (never an edited balance).
async fn wallets(app: &App, operator: &Actor) -> AppResult<()> {
    for (login, euros) in [(&LOGINS[4], 500), (&LOGINS[5], 2_000), (&LOGINS[6], 300)] {
        let buyer = sign_in(app, login.email).await?;
        let amount = Money::new(euros * 100, Currency::EUR);
        let payment = crate::payments::wallet::start_top_up(app, &buyer, amount, "bank_transfer", None)
            .await?
            .ran()?;
        crate::payments::transfers::confirm(app, operator, &payment.id, amount, None)
            .await?
            .ran()?;
    }
    Ok(())
}

/// VAT of the countries the demo shops ship to most (standard rates; shipping taxed alike).
async fn tax_rates(app: &App, operator: &Actor) -> AppResult<()> {
    for (country, bp) in [
        ("DE", 1900),
        ("AT", 2000),
        ("FR", 2000),
        ("NL", 2100),
        ("BE", 2100),
        ("IT", 2200),
        ("ES", 2100),
        ("PL", 2300),
        ("DK", 2500),
        ("CH", 810),
    ] {
        let rates = [("standard".to_owned(), bp), ("shipping".to_owned(), bp)];
        crate::tax_rates::set(app, operator, country, &rates).await?;
    }
    Ok(())
}

/// The category tree, with restricted categories and declared attributes.
async fn category_tree(app: &App, operator: &Actor) -> AppResult<()> {
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
        categories::create(app, operator, input).await?;
    }
    Ok(())
}

/// The accounts of the three sellers.
struct Sellers {
    nora: Actor,
    lucie: Actor,
    hans: Actor,
}

/// The sellers, and the individual buyer Bea (who applies for a shop later).
async fn sellers(app: &App) -> AppResult<Sellers> {
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
    Ok(Sellers { nora, lucie, hans })
}

/// The buyer company Acme: its admin invites a purchaser, who accepts.
async fn company(app: &App) -> AppResult<()> {
    let anna = person(app, LOGINS[5].email, "Anna Acme", Some("Acme Procurement Ltd")).await?;
    let acme = anna
        .company
        .clone()
        .map(|(id, _)| id)
        .ok_or(AppError::NotFound("company"))?;
    let invitation = invitations::invite(app, &anna, &acme, LOGINS[6].email, "purchaser").await?;
    let paul = person(app, LOGINS[6].email, "Paul Purchaser", None).await?;
    invitations::accept(app, &paul, &invitation.id).await?;
    Ok(())
}

/// The sellers' shops.
struct Shops {
    nordlicht: ShopView,
    lune: ShopView,
    hanse: ShopView,
}

/// The three shops, applied for with their documents and approved by the operator, and one
/// application still waiting for review.
async fn shops(app: &App, operator: &Actor, sellers: &Sellers) -> AppResult<Shops> {
    let apply = |name: &str, legal: &str, reg: Option<&str>, cats: &[&str], for_company: bool| ApplyInput {
        name: name.into(),
        legal_name: legal.into(),
        registration_number: reg.map(Into::into),
        categories: cats.iter().map(|c| c.to_string()).collect(),
        for_company,
    };
    let nordlicht = shops::apply(
        app,
        &sellers.nora,
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
        &sellers.lucie,
        apply("Atelier Lune", "Lucie Moreau", None, &["fashion", "home"], false),
    )
    .await?;
    let hanse = shops::apply(
        app,
        &sellers.hans,
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
        &sellers.nora,
        &nordlicht.id,
        upload("trade_register", "Nordlicht trade register extract"),
    )
    .await?;
    shops::upload_qualification(
        app,
        &sellers.hans,
        &hanse.id,
        upload("food_licence", "Hanse food business licence"),
    )
    .await?;
    for shop in [&nordlicht, &lune, &hanse] {
        shops::decide(app, operator, &shop.id, Decision::Approve).await?;
    }
    // A fresh application waiting in the operator's queue.
    let bea = sign_in(app, LOGINS[4].email).await?;
    shops::apply(
        app,
        &bea,
        apply("Bea's Vintage Finds", "Bea Buyer", None, &["fashion"], false),
    )
    .await?;
    Ok(Shops { nordlicht, lune, hanse })
}

/// Shipping, so that the offers comparison has landed prices to compare.
async fn shipping(app: &App, sellers: &Sellers, shops: &Shops) -> AppResult<()> {
    let eur = |cents: i64| Money::new(cents, Currency::EUR);
    let (hans, nora) = (&sellers.hans, &sellers.nora);
    crate::price_comparison::set_shipping_rate(app, hans, &shops.hanse.id, "DE", eur(0)).await?;
    crate::price_comparison::set_shipping_rate(app, hans, &shops.hanse.id, "*", eur(990)).await?;
    crate::price_comparison::set_shipping_rate(app, nora, &shops.nordlicht.id, "*", eur(490)).await?;
    // Nordlicht's buyers choose: a parcel priced by weight (free from 50.00) or express.
    use agora_core::shipping::{ShippingRate, WeightBand};
    let band = |up_to_grams: u64, cents: i64| WeightBand {
        up_to_grams,
        price: eur(cents),
    };
    let methods = vec![
        crate::shipping_methods::MethodInput {
            id: None,
            name: "Standard parcel".into(),
            rate: ShippingRate::ByWeight {
                bands: vec![band(2_000, 490), band(10_000, 690), band(31_500, 1490)],
            },
            free_from: Some(eur(5000)),
            countries: None,
        },
        crate::shipping_methods::MethodInput {
            id: None,
            name: "Express".into(),
            rate: ShippingRate::Flat { price: eur(1290) },
            free_from: None,
            countries: None,
        },
    ];
    crate::shipping_methods::replace(app, nora, &shops.nordlicht.id, methods).await?;
    Ok(())
}
