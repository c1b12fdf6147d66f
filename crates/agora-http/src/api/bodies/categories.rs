//! The category tree as the API shows it.

use agora_app::categories as app;
use agora_core::category::AttributeDef;
use serde::Serialize;
use utoipa::ToSchema;

use super::each;

/// A category with its subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryNode {
    pub slug: String,
    pub name: String,
    pub restricted: bool,
    /// The qualification kind a restricted category demands of sellers.
    pub licence_kind: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<AttributeDef>,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

impl From<app::CategoryNode> for CategoryNode {
    fn from(c: app::CategoryNode) -> Self {
        Self {
            slug: c.slug,
            name: c.name,
            restricted: c.restricted,
            licence_kind: c.licence_kind,
            attributes: c.attributes,
            children: each(c.children),
        }
    }
}
