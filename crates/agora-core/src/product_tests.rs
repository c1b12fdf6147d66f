use serde_json::json;

use super::*;
use crate::category::AttributeType;
use crate::money::Currency;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn variant(sku: &str) -> VariantInput {
    VariantInput {
        sku: sku.into(),
        gtin: None,
        price: eur(1200),
        stock: 3,
        attributes: Map::new(),
        price_tiers: vec![],
    }
}

fn product(variants: Vec<VariantInput>) -> ProductInput {
    ProductInput {
        title: " Aurora headphones ".into(),
        description: "Over-ear.\n".into(),
        category: "audio".into(),
        attributes: Map::new(),
        variants,
        min_order_qty: None,
        status: None,
    }
}

fn fields(errors: DraftErrors) -> Vec<String> {
    ValidationErrors::from(errors).0.into_iter().map(|e| e.field).collect()
}

#[test]
fn a_listed_product_may_move_between_every_status() {
    for from in ProductStatus::ALL {
        for to in ProductStatus::ALL {
            assert_eq!(from.transition(*to), Ok(*to), "{from} to {to}");
        }
    }
}

#[test]
fn a_product_is_never_listed_as_archived() {
    assert_eq!(ProductStatus::listed_as(None), Ok(ProductStatus::Active));
    assert_eq!(
        ProductStatus::listed_as(Some(ProductStatus::Draft)),
        Ok(ProductStatus::Draft)
    );
    let refused = ProductStatus::listed_as(Some(ProductStatus::Archived)).unwrap_err();
    assert_eq!(refused.to_string(), "a product that is new cannot become archived");
    let mut archived = product(vec![variant("A-1")]);
    archived.status = Some("archived".into());
    let errors = ProductDraft::parse(archived).unwrap_err();
    assert_eq!(errors.0[0].field, "status");
    assert_eq!(errors.0[0].message, "must be one of: active, draft");
}

#[test]
fn only_active_products_are_public() {
    assert!(ProductStatus::Active.is_public());
    assert!(!ProductStatus::Draft.is_public());
    assert!(!ProductStatus::Archived.is_public());
}

#[test]
fn a_valid_listing_is_cleaned_once() {
    let mut input = product(vec![variant(" A-1 "), variant("A-2")]);
    input.variants[1].gtin = Some(" 4006381333931 ".into());
    input.variants[1].price_tiers = vec![
        PriceTier {
            min_qty: 50,
            unit_price: eur(900),
        },
        PriceTier {
            min_qty: 10,
            unit_price: eur(1000),
        },
    ];
    let draft = ProductDraft::parse(input).unwrap();
    assert_eq!(draft.title, "Aurora headphones");
    assert_eq!(draft.description, "Over-ear.");
    assert_eq!(draft.status, ProductStatus::Active);
    assert_eq!(draft.min_order_qty, 1);
    assert_eq!(draft.variants[0].sku.as_str(), "A-1");
    assert_eq!(draft.variants[0].gtin, None);
    assert_eq!(draft.variants[1].gtin.as_ref().map(Gtin::as_str), Some("4006381333931"));
    assert_eq!(draft.variants[1].price_tiers[0].min_qty, 10, "tiers are sorted");
}

#[test]
fn variant_errors_are_reported_by_index() {
    let mut bad = variant("B 2");
    bad.gtin = Some("4006381333932".into());
    bad.stock = -1;
    bad.price = eur(-5);
    let mut input = product(vec![variant("A-1"), variant("A-2"), bad, variant("A-1")]);
    input.title = "x".into();
    input.min_order_qty = Some(0);
    input.status = Some("sold".into());
    let errors = ProductDraft::parse(input).unwrap_err();
    assert_eq!(
        fields(errors.clone()),
        [
            "title",
            "variants[2].sku",
            "variants[2].gtin",
            "variants[2].price",
            "variants[2].stock",
            "variants[3].sku",
            "min_order_qty",
            "status",
        ]
    );
    assert_eq!(errors.0[1].variant, Some(2));
    assert_eq!(errors.0[1].field, "sku");
    assert_eq!(errors.0[5].message, "is used twice in this product");
}

#[test]
fn tiers_that_rise_are_reported_on_their_variant() {
    let mut tiered = variant("T-1");
    tiered.price_tiers = vec![
        PriceTier {
            min_qty: 10,
            unit_price: eur(1000),
        },
        PriceTier {
            min_qty: 20,
            unit_price: eur(1100),
        },
    ];
    let errors = ProductDraft::parse(product(vec![variant("A-1"), tiered])).unwrap_err();
    assert_eq!(fields(errors), ["variants[1].price_tiers"]);
}

#[test]
fn a_product_has_one_to_a_hundred_variants() {
    let errors = ProductDraft::parse(product(vec![])).unwrap_err();
    assert_eq!(fields(errors.clone()), ["variants"]);
    assert_eq!(errors.0[0].message, "a product needs 1 to 100 variants");
    let many = (0..=MAX_VARIANTS).map(|i| variant(&format!("V-{i}"))).collect();
    assert_eq!(fields(ProductDraft::parse(product(many)).unwrap_err()), ["variants"]);
    let most = (0..MAX_VARIANTS).map(|i| variant(&format!("V-{i}"))).collect();
    assert!(ProductDraft::parse(product(most)).is_ok());
}

#[test]
fn a_lone_variant_names_its_own_fields() {
    let mut bad = variant("");
    bad.gtin = Some("12".into());
    let errors = VariantDraft::parse(bad).unwrap_err();
    let names: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, ["sku", "gtin"]);
}

#[test]
fn attributes_are_checked_by_index_against_the_category() {
    let declared = vec![AttributeDef {
        key: "colour".into(),
        kind: AttributeType::Enum,
        values: Some(vec!["black".into()]),
    }];
    let mut input = product(vec![variant("A-1"), variant("A-2")]);
    input.attributes = json!({"flavour": "mint"}).as_object().unwrap().clone();
    input.variants[1].attributes = json!({"colour": "pink"}).as_object().unwrap().clone();
    let draft = ProductDraft::parse(input).unwrap();
    let errors = draft.check_attributes(&declared).unwrap_err();
    assert_eq!(fields(errors), ["attributes", "variants[1].attributes"]);
}

#[test]
fn an_edit_checks_only_what_it_changes() {
    assert_eq!(ProductEdit::parse(ProductPatch::default()), Ok(ProductEdit::default()));
    let edit = ProductEdit::parse(ProductPatch {
        title: Some(" New title ".into()),
        status: Some("archived".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(edit.title.as_deref(), Some("New title"));
    assert_eq!(edit.status, Some(ProductStatus::Archived));
    let errors = ProductEdit::parse(ProductPatch {
        title: Some("x".into()),
        status: Some("gone".into()),
        min_order_qty: Some(0),
        ..Default::default()
    })
    .unwrap_err();
    let names: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, ["title", "status", "min_order_qty"]);
    assert_eq!(errors.0[1].message, "must be one of: active, draft, archived");
}
