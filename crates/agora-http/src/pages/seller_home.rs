//! The seller centre's home (`/sell`): the shops with their listings counted by status, the
//! variants running low and the orders waiting to be shipped. Someone without a shop is sent to
//! the application form.

use agora_app::seller_home::{self, ListedProduct, SellerHome};
use agora_app::shops::ShopView;
use askama::Template;
use axum::extract::{Path, State};

use super::{render, see_other, CsrfToken, Layout, PageResult, PageUser};
use crate::AppState;

#[derive(Template)]
#[template(path = "seller_home.html")]
struct HomePage {
    layout: Layout,
    home: SellerHome,
}

pub async fn home(State(state): State<AppState>, user: PageUser, csrf: CsrfToken) -> PageResult {
    let actor = user.require("/sell")?;
    let home = seller_home::home(&state.app, &actor).await?;
    if home.shops.is_empty() {
        return Ok(see_other("/sell/apply"));
    }
    let layout = Layout::new(&state, Some(actor), &csrf, "Seller centre").await;
    Ok(render(&HomePage { layout, home }))
}

#[derive(Template)]
#[template(path = "seller_products.html")]
struct ProductsPage {
    layout: Layout,
    shop: ShopView,
    products: Vec<ListedProduct>,
}

/// A shop's products with their status and each variant's stock.
pub async fn products(
    State(state): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> PageResult {
    let actor = user.require(&format!("/sell/shops/{id}/products"))?;
    let products = seller_home::products(&state.app, &actor, &id).await?;
    let shop = agora_app::shops::get(&state.app, Some(&actor), &id).await?;
    let layout = Layout::new(&state, Some(actor), &csrf, format!("{} — products", shop.name)).await;
    Ok(render(&ProductsPage { layout, shop, products }))
}
