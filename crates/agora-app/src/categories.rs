//! The category tree: read by everyone, shaped by operators.

use agora_core::audit::AuditAction;
use agora_core::category::{self, AttributeDef, CategoryRule};
use agora_core::events::Event;
use agora_core::text;
use agora_core::ValidationErrors;
use agora_store::categories::{self as store, CategoryRow};
use agora_store::Conn;
use std::sync::Arc;

use crate::{audit, Actor, App, AppError, AppResult, ConflictKind};

/// A category with its subtree.
#[derive(Debug, Clone)]
pub struct CategoryNode {
    pub slug: String,
    pub name: String,
    pub restricted: bool,
    /// The qualification kind a restricted category demands of sellers.
    pub licence_kind: Option<String>,
    pub attributes: Vec<AttributeDef>,
    pub children: Vec<CategoryNode>,
}

/// Input for a new category.
#[derive(Debug, Clone, Default)]
pub struct NewCategory {
    pub slug: String,
    pub name: String,
    pub parent: Option<String>,
    pub restricted: bool,
    pub licence_kind: Option<String>,
    pub attributes: Vec<AttributeDef>,
}

fn node(row: &CategoryRow, rows: &[CategoryRow]) -> CategoryNode {
    CategoryNode {
        slug: row.slug.clone(),
        name: row.name.clone(),
        restricted: row.restricted,
        licence_kind: row
            .restricted
            .then(|| row.licence_kind.clone().unwrap_or_else(|| row.slug.clone())),
        attributes: serde_json::from_str(&row.attributes).unwrap_or_default(),
        children: rows
            .iter()
            .filter(|c| c.parent.as_deref() == Some(&row.slug))
            .map(|c| node(c, rows))
            .collect(),
    }
}

/// The whole tree, roots first.
pub async fn tree(app: &App) -> AppResult<Vec<CategoryNode>> {
    let rows = rows(app).await?;
    Ok(rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| node(r, &rows))
        .collect())
}

/// `slug` and every category below it.
pub fn subtree(rows: &[CategoryRow], slug: &str) -> Vec<String> {
    let mut out = vec![slug.to_owned()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        out.extend(
            rows.iter()
                .filter(|r| r.parent.as_deref() == Some(&parent))
                .map(|r| r.slug.clone()),
        );
        i += 1;
    }
    out
}

/// The path from the root to `slug`, as the listing rules see it; `None` for an unknown slug.
pub(crate) async fn path_to(conn: &mut Conn, slug: &str) -> AppResult<Option<Vec<CategoryRule>>> {
    let rows = store::all(conn).await?;
    let mut path = Vec::new();
    let mut current = rows.iter().find(|r| r.slug == slug);
    if current.is_none() {
        return Ok(None);
    }
    while let Some(row) = current {
        path.push(CategoryRule {
            slug: row.slug.clone(),
            restricted: row.restricted,
            licence_kind: row.licence_kind.clone(),
        });
        current = row.parent.as_deref().and_then(|p| rows.iter().find(|r| r.slug == p));
        if path.len() > rows.len() {
            break; // a cycle cannot be created through the API, but never loop on one
        }
    }
    path.reverse();
    Ok(Some(path))
}

/// Creates a category (operators only).
pub async fn create(app: &App, actor: &Actor, input: NewCategory) -> AppResult<CategoryNode> {
    actor.require_operator()?;
    let mut errors = ValidationErrors::new();
    let slug = errors.check("slug", category::parse_slug(&input.slug));
    let name = errors.check("name", text::bounded(&input.name, 1, 100, false));
    let licence_kind = errors.check(
        "licence_kind",
        match input.licence_kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => text::slug(k, 64).map(Some),
            None => Ok(None),
        },
    );
    errors.check("attributes", AttributeDef::check_all(&input.attributes));
    errors.clone().into_result()?;
    let (slug, name, licence_kind) = (
        slug.expect("checked"),
        name.expect("checked"),
        licence_kind.expect("checked"),
    );
    let mut tx = app.db.begin().await?;
    if let Some(parent) = &input.parent {
        if !store::exists(&mut tx, parent).await? {
            return Err(AppError::invalid("parent", format!("unknown category {parent:?}")));
        }
    }
    if store::exists(&mut tx, &slug).await? {
        return Err(AppError::conflict(
            ConflictKind::CategoryExists,
            format!("a category {slug:?} exists already"),
        ));
    }
    let row = CategoryRow {
        slug: slug.clone(),
        name,
        parent: input.parent.clone(),
        restricted: input.restricted,
        licence_kind,
        attributes: serde_json::to_string(&input.attributes).map_err(anyhow::Error::from)?,
        position: 0,
    };
    store::insert(&mut tx, &row).await?;
    let data = serde_json::json!({ "name": row.name, "parent": row.parent, "restricted": row.restricted });
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CategoryCreated,
        &slug,
        data,
    )
    .await?;
    agora_store::outbox::publish(&mut tx, &Event::CategoriesChanged {}, agora_store::now_ms()).await?;
    tx.commit().await?;
    app.categories.invalidate();
    Ok(node(&row, &[]))
}

/// Every category, from the in-process cache (read from the database when it is empty).
pub async fn rows(app: &App) -> AppResult<Arc<Vec<CategoryRow>>> {
    if let Some(rows) = app.categories.get() {
        return Ok(rows);
    }
    let generation = app.categories.generation();
    let mut conn = app.db.conn().await?;
    let rows = Arc::new(store::all(&mut conn).await?);
    app.categories.put(generation, rows.clone());
    Ok(rows)
}

/// The attributes a category declares (none for an unknown one): a variant's options.
pub async fn attributes_of(app: &App, slug: &str) -> AppResult<Vec<AttributeDef>> {
    Ok(rows(app)
        .await?
        .iter()
        .find(|c| c.slug == slug)
        .and_then(|c| serde_json::from_str(&c.attributes).ok())
        .unwrap_or_default())
}

/// The attributes a category declares (empty for an unknown category).
pub(crate) async fn declared_attributes(conn: &mut Conn, slug: &str) -> AppResult<Vec<AttributeDef>> {
    Ok(store::all(conn)
        .await?
        .into_iter()
        .find(|c| c.slug == slug)
        .and_then(|c| serde_json::from_str(&c.attributes).ok())
        .unwrap_or_default())
}
