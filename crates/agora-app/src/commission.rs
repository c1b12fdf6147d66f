//! The operator's commission rates: per category and per shop (a shop's rate overrides its
//! products' categories', a category's overrides the platform's default). `fees::fee_for` applies
//! them; this module only keeps them.

use agora_core::audit::AuditAction;
use agora_core::rate::BasisPoints;
use agora_store::payouts as store;
use agora_store::shops as shop_store;
use agora_store::{categories as category_store, now_ms};

use crate::{audit, rfc3339, Actor, App, AppError, AppResult};

/// What a rate applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A category (and its subcategories without a rate of their own), by slug.
    Category,
    /// Everything a shop sells, by shop id.
    Shop,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Category => "category",
            Scope::Shop => "shop",
        }
    }
}

/// One rate the operator set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub scope: Scope,
    pub target: String,
    pub rate_bp: u32,
    pub updated_at: String,
}

/// Every rate, and the platform's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates {
    pub default_bp: u32,
    pub categories: Vec<Rate>,
    pub shops: Vec<Rate>,
}

/// Every commission rate (operators).
pub async fn list(app: &App, actor: &Actor) -> AppResult<Rates> {
    actor.require_operator()?;
    let mut conn = app.db.conn().await?;
    let mut rates = Rates {
        default_bp: app.settings.platform_fee_bp,
        categories: vec![],
        shops: vec![],
    };
    for r in store::rates(&mut conn).await? {
        let rate = Rate {
            scope: if r.scope == "shop" {
                Scope::Shop
            } else {
                Scope::Category
            },
            target: r.target_id,
            rate_bp: u32::try_from(r.rate_bp).map_err(|e| AppError::Internal(e.into()))?,
            updated_at: rfc3339(r.updated_at),
        };
        match rate.scope {
            Scope::Shop => rates.shops.push(rate),
            Scope::Category => rates.categories.push(rate),
        }
    }
    Ok(rates)
}

async fn check_target(conn: &mut agora_store::Conn, scope: Scope, target: &str) -> AppResult<()> {
    let exists = match scope {
        Scope::Category => category_store::exists(conn, target).await?,
        Scope::Shop => shop_store::by_id(conn, target).await?.is_some(),
    };
    if exists {
        Ok(())
    } else {
        Err(AppError::NotFound(match scope {
            Scope::Category => "category",
            Scope::Shop => "shop",
        }))
    }
}

/// Sets the commission rate of a category or a shop, in basis points (0 to 10000: 500 = 5 %)
/// (operators). Applies to orders released or collected from now on.
pub async fn set(app: &App, actor: &Actor, scope: Scope, target: &str, rate_bp: i64) -> AppResult<Rate> {
    actor.require_operator()?;
    let bp = u32::try_from(rate_bp)
        .ok()
        .and_then(|bp| BasisPoints::new(bp).ok())
        .ok_or_else(|| AppError::invalid("rate_bp", "must be between 0 and 10000 (100 %)"))?;
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    check_target(&mut tx, scope, target).await?;
    store::set_rate(
        &mut tx,
        scope.as_str(),
        target,
        i64::from(bp.get()),
        &actor.account_id,
        now,
    )
    .await?;
    let data = serde_json::json!({"scope": scope.as_str(), "rate_bp": bp.get()});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CommissionRateSet,
        target,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(Rate {
        scope,
        target: target.to_owned(),
        rate_bp: bp.get(),
        updated_at: rfc3339(now),
    })
}

/// Removes the rate of a category or a shop (operators): the next rate up applies again.
pub async fn clear(app: &App, actor: &Actor, scope: Scope, target: &str) -> AppResult<()> {
    actor.require_operator()?;
    let mut tx = app.db.begin().await?;
    if !store::clear_rate(&mut tx, scope.as_str(), target).await? {
        return Err(AppError::NotFound("commission rate"));
    }
    let data = serde_json::json!({"scope": scope.as_str(), "rate_bp": null});
    audit::record(
        &mut tx,
        Some(&actor.account_id),
        AuditAction::CommissionRateSet,
        target,
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
