//! The index schema, and how a [`ProductDoc`] becomes a tantivy document.
//!
//! Searchable text lives in separate fields so each can carry its own weight (see
//! [`crate::query`]). Filters and facets use raw string terms and fast fields (columnar values
//! read per document without touching the stored documents); the stored fields hold only what a
//! hit displays.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::{TantivyDocument, Term};

use crate::analysis::{PLAIN, STEMMED};
use crate::model::ProductDoc;

/// Fast field names, read by the collector.
pub(crate) const CATEGORY: &str = "category";
pub(crate) const SHOP: &str = "shop";
pub(crate) const PRICE: &str = "price";
pub(crate) const CREATED: &str = "created";
pub(crate) const RATING: &str = "rating";

/// The separator between an attribute's key and value in the `attr` filter terms.
const ATTR_SEPARATOR: char = '\u{1f}';

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// Product id: raw term (for replace and delete) and stored.
    pub id: Field,
    /// Title: stemmed text, stored.
    pub title: Field,
    /// Words of the title, attribute values and category names, unstemmed: typo-tolerant
    /// matching (typos are made on surface forms, which stemming would distort) and autocomplete.
    pub words: Field,
    /// Description: stemmed text, stored (for snippets).
    pub description: Field,
    /// Attribute values: stemmed text.
    pub attributes_text: Field,
    /// Category names: stemmed text.
    pub category_text: Field,
    /// Shop name: stemmed text, stored (returned with hits).
    pub shop_text: Field,
    /// Category slugs of the whole path: raw terms (subtree filter) and a multi-valued fast
    /// field (facets).
    pub category: Field,
    /// Shop id: raw term, fast field (filter, facet), stored.
    pub shop: Field,
    /// `key\x1fvalue` of every attribute, lowercased: raw terms (filters).
    pub attributes: Field,
    /// Lowest price in minor units: fast (filter, sort, facet), stored.
    pub price: Field,
    /// Currency code, stored.
    pub currency: Field,
    /// In stock: indexed (filter).
    pub in_stock: Field,
    /// Rating: fast, absent when unrated (sort).
    pub rating: Field,
    /// Creation time: fast (sort).
    pub created: Field,
    /// Sponsored: stored.
    pub sponsored: Field,
}

fn text(tokenizer: &str, record: IndexRecordOption, fieldnorms: bool) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record)
            .set_fieldnorms(fieldnorms),
    )
}

/// Builds the schema and returns it with the field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let searchable = text(STEMMED, IndexRecordOption::WithFreqs, true);
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", searchable.clone().set_stored()),
        words: b.add_text_field("words", text(PLAIN, IndexRecordOption::Basic, false)),
        description: b.add_text_field("description", searchable.clone().set_stored()),
        attributes_text: b.add_text_field("attributes_text", searchable.clone()),
        category_text: b.add_text_field("category_text", searchable.clone()),
        shop_text: b.add_text_field("shop_text", searchable.set_stored()),
        category: b.add_text_field(CATEGORY, STRING | FAST),
        shop: b.add_text_field(SHOP, STRING | FAST | STORED),
        attributes: b.add_text_field("attr", STRING),
        price: b.add_i64_field(PRICE, NumericOptions::default().set_fast().set_stored()),
        currency: b.add_text_field("currency", STORED),
        in_stock: b.add_bool_field("in_stock", NumericOptions::default().set_indexed()),
        rating: b.add_f64_field(RATING, NumericOptions::default().set_fast()),
        created: b.add_i64_field(CREATED, NumericOptions::default().set_fast()),
        sponsored: b.add_bool_field("sponsored", NumericOptions::default().set_stored()),
    };
    (b.build(), fields)
}

/// The filter value of an attribute pair: `key\x1fvalue`, lowercased, surrounding spaces
/// ignored.
fn attribute_value(key: &str, value: &str) -> String {
    format!(
        "{}{ATTR_SEPARATOR}{}",
        key.trim().to_lowercase(),
        value.trim().to_lowercase()
    )
}

/// The filter term of an attribute pair (case-insensitive).
pub(crate) fn attribute_term(fields: &Fields, key: &str, value: &str) -> Term {
    Term::from_field_text(fields.attributes, &attribute_value(key, value))
}

/// The term identifying a product (for replace and delete).
pub(crate) fn id_term(fields: &Fields, product_id: &str) -> Term {
    Term::from_field_text(fields.id, product_id)
}

/// Converts a product into a tantivy document.
pub(crate) fn to_document(fields: &Fields, p: &ProductDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, &p.product_id);
    doc.add_text(fields.title, &p.title);
    doc.add_text(fields.words, &p.title);
    doc.add_text(fields.description, &p.description);
    for (key, value) in &p.attributes {
        doc.add_text(fields.attributes_text, value);
        doc.add_text(fields.words, value);
        doc.add_text(fields.attributes, attribute_value(key, value));
    }
    for name in &p.category_names {
        doc.add_text(fields.category_text, name);
        doc.add_text(fields.words, name);
    }
    doc.add_text(fields.shop_text, &p.shop_name);
    let mut seen: Vec<&str> = Vec::with_capacity(p.category_path.len());
    for slug in &p.category_path {
        if !slug.is_empty() && !seen.contains(&slug.as_str()) {
            seen.push(slug);
            doc.add_text(fields.category, slug);
        }
    }
    doc.add_text(fields.shop, &p.shop_id);
    doc.add_i64(fields.price, p.price_minor);
    doc.add_text(fields.currency, &p.currency);
    doc.add_bool(fields.in_stock, p.in_stock);
    if let Some(rating) = p.rating.filter(|r| r.is_finite()) {
        doc.add_f64(fields.rating, f64::from(rating));
    }
    doc.add_i64(fields.created, p.created_at_ms);
    doc.add_bool(fields.sponsored, p.sponsored);
    doc
}
