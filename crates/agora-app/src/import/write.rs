use super::*;
use agora_core::audit::AuditAction;

/// Why writing a plan failed.
pub(super) enum WriteError {
    /// This product cannot be written; the others can.
    Row(String),
    /// The database itself failed: stop.
    Fatal(AppError),
}

impl From<agora_store::DbError> for WriteError {
    fn from(err: agora_store::DbError) -> Self {
        if agora_store::is_unique_violation(&err) {
            WriteError::Row("a variant with this SKU was added to the shop during the import; import again".into())
        } else if let Some(db) = err.as_database_error() {
            WriteError::Row(format!("could not be saved: {}", db.message()))
        } else {
            WriteError::Fatal(err.into())
        }
    }
}

impl From<AppError> for WriteError {
    fn from(err: AppError) -> Self {
        WriteError::Fatal(err)
    }
}

/// Writes plans inside the caller's transaction: the new rows of all of them with a few
/// multi-row statements, then each one's updates and its outbox event.
pub(super) async fn write(conn: &mut Conn, plans: &[&Plan], actor: &str, now: i64) -> Result<(), WriteError> {
    let products: Vec<&ProductRow> = plans.iter().filter_map(|p| p.new_product.as_ref()).collect();
    product_store::insert_products(conn, &products).await?;
    for p in plans {
        if let Some(changes) = &p.product_changes {
            product_store::update(conn, &p.product_id, changes, now).await?;
        }
    }
    let variants: Vec<&VariantRow> = plans.iter().flat_map(|p| &p.new_variants).collect();
    product_store::insert_variants(conn, &variants).await?;
    let movements: Vec<store::NewMovement> = variants
        .iter()
        .filter(|v| v.stock > 0)
        .map(|v| store::NewMovement {
            variant_id: &v.id,
            kind: StockMovementKind::Received,
            delta: v.stock,
            stock_after: v.stock,
            actor: Some(actor),
            reason: MOVEMENT_REASON,
            at: now,
        })
        .collect();
    store::insert_movements(conn, &movements).await?;
    for p in plans {
        for u in &p.variant_updates {
            store::update_variant(
                conn,
                &u.variant_id,
                u.price_amount,
                &u.currency,
                u.gtin.as_deref(),
                &u.attributes,
            )
            .await?;
        }
        for m in &p.stock_moves {
            // A difference, so that a sale meanwhile is never lost; if one happened, the count in
            // the file is stale and the product fails (as `stock::set` refuses a stale count).
            let delta = m.to - m.from;
            let Some(kind) = StockMovementKind::for_count(delta) else {
                continue;
            };
            let after =
                catalog_store::move_stock(conn, &m.variant_id, delta, kind, Some(actor), MOVEMENT_REASON, now).await?;
            if after != Some(m.to) {
                return Err(WriteError::Row(
                    "the stock changed during the import (a sale?); import the file again".into(),
                ));
            }
        }
        publish_change(conn, &p.product_id, now).await?;
    }
    Ok(())
}

/// Appends the audit entry of one import transaction.
pub(super) async fn record(conn: &mut Conn, actor: &str, shop_id: &str, run: &str, plans: &[&Plan]) -> AppResult<()> {
    let count = |f: &dyn Fn(&Plan) -> usize| plans.iter().map(|p| f(p)).sum::<usize>();
    let data = serde_json::json!({
        "run": run,
        "products_created": count(&|p| usize::from(p.new_product.is_some())),
        "products_updated": count(&|p| usize::from(p.new_product.is_none())),
        "variants_created": count(&|p| p.new_variants.len()),
        "variants_updated": count(&|p| p.outcomes.iter().filter(|o| **o == Outcome::Updated).count()),
        "skus": plans.iter().flat_map(|p| p.changed_skus.iter()).collect::<Vec<_>>(),
    });
    audit::record(conn, Some(actor), AuditAction::CatalogImported, shop_id, data).await?;
    Ok(())
}

pub(super) fn tally(report: &mut ImportReport, plan: &Plan) {
    for o in &plan.outcomes {
        match o {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
        }
    }
    if plan.new_product.is_some() {
        report.products_created += 1;
    } else if plan.changes_anything() {
        report.products_updated += 1;
    }
}

pub(super) fn fail(report: &mut ImportReport, plan: &Plan, message: &str) {
    report.failed += plan.lines.len();
    for &line in &plan.lines {
        report.errors.push(RowError {
            line,
            field: "sku".into(),
            message: message.to_owned(),
        });
    }
}

/// Writes a batch of plans: all in one transaction, or, should that fail, one by one.
pub(super) async fn commit(
    app: &App,
    actor: &str,
    shop_id: &str,
    run: &str,
    plans: &[Plan],
    report: &mut ImportReport,
) -> AppResult<()> {
    let changing: Vec<&Plan> = plans.iter().filter(|p| p.changes_anything()).collect();
    for p in plans.iter().filter(|p| !p.changes_anything()) {
        tally(report, p);
    }
    if changing.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let all_written = match write(&mut tx, &changing, actor, now).await {
        Ok(()) => true,
        Err(WriteError::Fatal(err)) => return Err(err),
        Err(WriteError::Row(_)) => false,
    };
    if all_written {
        record(&mut tx, actor, shop_id, run, &changing).await?;
        tx.commit().await?;
        for p in changing {
            tally(report, p);
        }
        return Ok(());
    }
    tx.rollback().await?;
    for p in changing {
        let mut tx = app.db.begin().await?;
        match write(&mut tx, &[p], actor, now).await {
            Ok(()) => {
                record(&mut tx, actor, shop_id, run, &[p]).await?;
                tx.commit().await?;
                tally(report, p);
            }
            Err(WriteError::Fatal(err)) => return Err(err),
            Err(WriteError::Row(message)) => {
                tx.rollback().await?;
                fail(report, p, &message);
            }
        }
    }
    Ok(())
}
