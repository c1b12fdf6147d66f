//! Product search: the use cases over the `agora-search` index, and what keeps the index current.
//! The index is fed from the database: all at once at start-up (and by `agora reindex`), then one
//! product at a time as the outbox follower sees catalog changes.

use std::collections::HashMap;

use agora_core::money::{Currency, Money};
use agora_search::{ProductDoc, SearchQuery, Sort};
use agora_store::categories::CategoryRow;
use agora_store::search_feed::{self, FeedProduct, FeedVariant};
use agora_store::Conn;

use crate::{App, AppError, AppResult};

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchItem {
    pub product_id: String,
    pub title: String,
    /// The lowest variant price.
    pub price: Money,
    pub shop: ShopRef,
    /// HTML: the escaped description fragment with matched words in `<mark>`.
    pub snippet: String,
    /// HTML: the escaped title with matched words in `<mark>`.
    pub title_html: String,
    /// A paid placement, labelled as such wherever it is shown.
    pub sponsored: bool,
    /// Whether any variant can still be sold (the page labels the others "Out of stock").
    pub in_stock: bool,
    /// The blob key of the product's first picture's thumbnail.
    pub thumb_key: Option<String>,
}

/// The shop of a search result.
#[derive(Debug, Clone)]
pub struct ShopRef {
    pub id: String,
    pub name: String,
}

/// One value of a facet and how many results have it.
#[derive(Debug, Clone)]
pub struct FacetValue {
    pub value: String,
    /// A name for people (category or shop name; the price range).
    pub label: String,
    pub count: u64,
}

/// Facet counts of a search, by category, shop and price range.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub category: Vec<FacetValue>,
    pub shop: Vec<FacetValue>,
    pub price: Vec<FacetValue>,
}

/// A page of search results with the facet counts of the whole result.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub items: Vec<SearchItem>,
    pub facets: Facets,
    pub total: usize,
    pub next_cursor: Option<String>,
    /// The query with its misspelt words corrected (see
    /// [`SearchResults::corrected_text`](agora_search::SearchResults::corrected_text)).
    pub corrected_q: Option<String>,
    /// How many results come before this page, and the page's size.
    pub offset: usize,
    pub limit: usize,
}

/// A search as asked (raw, from a URL).
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub q: String,
    pub category: Option<String>,
    pub shop: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub attributes: Vec<(String, String)>,
    pub in_stock: bool,
    /// Match the words as typed, without typo tolerance.
    pub exact_words: bool,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

fn category_path(rows: &[CategoryRow], slug: &str) -> (Vec<String>, Vec<String>) {
    let mut slugs = Vec::new();
    let mut names = Vec::new();
    let mut current = rows.iter().find(|r| r.slug == slug);
    while let Some(row) = current {
        slugs.push(row.slug.clone());
        names.push(row.name.clone());
        if slugs.len() > rows.len() {
            break;
        }
        current = row.parent.as_deref().and_then(|p| rows.iter().find(|r| r.slug == p));
    }
    slugs.reverse();
    names.reverse();
    (slugs, names)
}

fn attribute_pairs(json: &str, out: &mut Vec<(String, String)>) {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) {
        for (k, v) in map {
            let value = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            if !out.iter().any(|(ek, ev)| *ek == k && *ev == value) {
                out.push((k, value));
            }
        }
    }
}

/// The index document of a listed product.
fn document(p: FeedProduct, variants: &[&FeedVariant], categories: &[CategoryRow]) -> ProductDoc {
    let (category_path, category_names) = category_path(categories, &p.category);
    let mut attributes = Vec::new();
    attribute_pairs(&p.attributes, &mut attributes);
    for v in variants {
        attribute_pairs(&v.attributes, &mut attributes);
    }
    let cheapest = variants.iter().min_by_key(|v| v.price_amount);
    ProductDoc {
        product_id: p.id,
        title: p.title,
        description: crate::markdown_text::plain(&p.description),
        category_path,
        category_names,
        shop_id: p.shop_id,
        shop_name: p.shop_name,
        attributes,
        price_minor: cheapest.map_or(0, |v| v.price_amount),
        currency: cheapest.map_or_else(|| "EUR".to_owned(), |v| v.currency.clone()),
        in_stock: variants.iter().any(|v| v.stock > 0),
        rating: None,
        created_at_ms: p.created_at,
        sponsored: false,
    }
}

/// Rebuilds the whole index from the database; returns the number of products indexed.
pub async fn rebuild(app: &App) -> AppResult<usize> {
    let mut conn = app.db.conn().await?;
    let categories = agora_store::categories::all(&mut conn).await?;
    let (products, variants) = search_feed::all(&mut conn).await?;
    drop(conn);
    let mut by_product: HashMap<&str, Vec<&FeedVariant>> = HashMap::new();
    for v in &variants {
        by_product.entry(v.product_id.as_str()).or_default().push(v);
    }
    let docs: Vec<ProductDoc> = products
        .into_iter()
        .map(|p| {
            let vs = by_product.get(p.id.as_str()).cloned().unwrap_or_default();
            document(p, &vs, &categories)
        })
        .collect();
    let index = app.search.clone();
    let count = tokio::task::spawn_blocking(move || index.rebuild(docs))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(count.map_err(anyhow::Error::from)?)
}

/// Brings the given products up to date in the index (adding, replacing, or removing those no
/// longer listed), and drops them from the product-page cache.
pub async fn refresh(app: &App, conn: &mut Conn, product_ids: &[String]) -> AppResult<()> {
    let categories = agora_store::categories::all(conn).await?;
    let mut docs = Vec::new();
    let mut gone = Vec::new();
    for id in product_ids {
        app.products.invalidate(id);
        match search_feed::one(conn, id).await? {
            Some((p, variants)) => docs.push(document(p, &variants.iter().collect::<Vec<_>>(), &categories)),
            None => gone.push(id.clone()),
        }
    }
    let index = app.search.clone();
    tokio::task::spawn_blocking(move || -> agora_search::Result<()> {
        if !docs.is_empty() {
            index.upsert(&docs)?;
        }
        if !gone.is_empty() {
            index.delete(&gone)?;
        }
        Ok(())
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(anyhow::Error::from)?;
    Ok(())
}

const PRICE_LABELS_CURRENCY: Currency = Currency::EUR;

fn price_label(bucket: &str) -> String {
    let fmt = |minor: &str| {
        minor.parse::<i64>().map(|m| {
            Money::new(m, PRICE_LABELS_CURRENCY)
                .to_decimal()
                .normalize()
                .to_string()
        })
    };
    match bucket.split_once('-') {
        Some((lo, "")) => format!("{} and more", fmt(lo).unwrap_or_default()),
        Some((lo, hi)) => format!("{} to {}", fmt(lo).unwrap_or_default(), fmt(hi).unwrap_or_default()),
        None => bucket.to_owned(),
    }
}

/// Searches the catalog.
pub async fn search(app: &App, input: SearchInput) -> AppResult<SearchPage> {
    let sort = match input.sort.as_deref() {
        None | Some("") => Sort::Relevance,
        Some(s) => s
            .parse()
            .map_err(|e: agora_search::UnknownSort| AppError::invalid("sort", e.to_string()))?,
    };
    let limit = input.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    let offset = match input.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| AppError::invalid("cursor", "is not a cursor this search gave out"))?,
    };
    if let (Some(lo), Some(hi)) = (input.min_price, input.max_price) {
        if lo > hi {
            return Err(AppError::invalid("min_price", "must not be above max_price"));
        }
    }
    // Very long input is cut, not refused: the index treats it as plain words anyway.
    let text: String = input.q.chars().take(500).collect();
    let query = SearchQuery {
        text,
        category: input.category.filter(|c| !c.is_empty()),
        shop: input.shop.filter(|s| !s.is_empty()),
        min_price: input.min_price,
        max_price: input.max_price,
        attributes: input.attributes,
        in_stock_only: input.in_stock,
        exact_words: input.exact_words,
        sort,
        offset,
        limit,
        ..SearchQuery::default()
    };
    let index = app.search.clone();
    let results = tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|e| AppError::invalid("q", e.to_string()))?;
    let categories = crate::categories::rows(app).await?;
    let mut conn = app.db.conn().await?;
    let ids: Vec<String> = results.hits.iter().map(|h| h.product_id.clone()).collect();
    let thumbs = agora_store::products::thumbnails(&mut conn, &ids).await?;
    drop(conn);
    let items = results
        .hits
        .into_iter()
        .filter_map(|h| {
            let thumb_key = thumbs.iter().find(|(p, _)| *p == h.product_id).map(|(_, k)| k.clone());
            Some(SearchItem {
                price: Money::new(h.price_minor, Currency::parse(&h.currency).ok()?),
                product_id: h.product_id,
                title: h.title,
                shop: ShopRef {
                    id: h.shop_id,
                    name: h.shop_name.clone(),
                },
                snippet: h.snippet_html,
                title_html: h.title_html,
                sponsored: h.sponsored,
                in_stock: h.in_stock,
                thumb_key,
            })
        })
        .collect::<Vec<_>>();
    let category_name = |slug: &str| {
        categories
            .iter()
            .find(|c| c.slug == slug)
            .map_or_else(|| slug.to_owned(), |c| c.name.clone())
    };
    let facets = Facets {
        category: results
            .category_facets
            .into_iter()
            .map(|f| FacetValue {
                label: category_name(&f.value),
                value: f.value,
                count: f.count,
            })
            .collect(),
        shop: results
            .shop_facets
            .into_iter()
            .map(|f| FacetValue {
                label: f.value.clone(),
                value: f.value,
                count: f.count,
            })
            .collect(),
        price: results
            .price_facets
            .into_iter()
            .map(|f| FacetValue {
                label: price_label(&f.value),
                value: f.value,
                count: f.count,
            })
            .collect(),
    };
    let next = offset + items.len();
    let next_cursor = (next < results.total && !items.is_empty()).then(|| next.to_string());
    let mut page = SearchPage {
        items,
        facets,
        total: results.total,
        next_cursor,
        corrected_q: results.corrected_text,
        offset,
        limit,
    };
    name_shops(app, &mut page).await?;
    Ok(page)
}

/// Shop facets carry ids; give them names.
async fn name_shops(app: &App, page: &mut SearchPage) -> AppResult<()> {
    let known: HashMap<String, String> = page
        .items
        .iter()
        .map(|i| (i.shop.id.clone(), i.shop.name.clone()))
        .collect();
    let mut conn = None;
    for f in &mut page.facets.shop {
        if let Some(name) = known.get(&f.value) {
            f.label = name.clone();
            continue;
        }
        if conn.is_none() {
            conn = Some(app.db.conn().await?);
        }
        if let Some(c) = conn.as_mut() {
            if let Some(s) = agora_store::shops::by_id(c, &f.value).await? {
                f.label = s.name;
            }
        }
    }
    Ok(())
}

/// Autocomplete suggestions for what has been typed so far.
pub async fn suggest(app: &App, prefix: &str) -> AppResult<Vec<String>> {
    let prefix: String = prefix.chars().take(100).collect();
    let index = app.search.clone();
    Ok(tokio::task::spawn_blocking(move || index.suggest(&prefix, 8))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?)
}
