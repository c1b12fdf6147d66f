use super::*;

/// How to write an export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub delimiter: u8,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self { delimiter: b',' }
    }
}

/// Writes a shop's products (by id or slug) as CSV in the form [`import_products`] reads:
/// the canonical columns, one row per variant, `product_key` set to the product's id, and one
/// `product_attr:`/`attr:` column per attribute used. Returns the number of rows written.
pub async fn export_products<W: std::io::Write>(
    app: &App,
    shop: &str,
    out: W,
    options: &ExportOptions,
) -> AppResult<usize> {
    let mut conn = app.db.conn().await?;
    let shop = find_shop(&mut conn, shop).await?;
    let rows = store::catalog_of_shop(&mut conn, &shop.id).await?;
    drop(conn);
    let parsed: Vec<(Map<String, Value>, Map<String, Value>)> = rows
        .iter()
        .map(|(p, v)| (json_map(&p.attributes), json_map(&v.attributes)))
        .collect();
    let product_keys: BTreeSet<&String> = parsed.iter().flat_map(|(p, _)| p.keys()).collect();
    let variant_keys: BTreeSet<&String> = parsed.iter().flat_map(|(_, v)| v.keys()).collect();
    let failed = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing the export: {e}"));
    let mut writer = csv::WriterBuilder::new().delimiter(options.delimiter).from_writer(out);
    let mut header: Vec<String> = Field::ALL.iter().map(|f| f.name().to_owned()).collect();
    header.extend(product_keys.iter().map(|k| format!("product_attr:{k}")));
    header.extend(variant_keys.iter().map(|k| format!("attr:{k}")));
    writer.write_record(&header).map_err(failed)?;
    for ((p, v), (p_attrs, v_attrs)) in rows.iter().zip(&parsed) {
        let currency = Currency::parse(&v.currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let mut record = vec![
            p.id.clone(),
            v.sku.clone(),
            p.title.clone(),
            p.description.clone(),
            p.category.clone(),
            Money::new(v.price_amount, currency).to_decimal().to_string(),
            v.currency.clone(),
            v.stock.to_string(),
            v.gtin.clone().unwrap_or_default(),
            p.min_order_qty.to_string(),
            p.status.to_string(),
        ];
        record.extend(
            product_keys
                .iter()
                .map(|k| p_attrs.get(*k).map(attribute_text).unwrap_or_default()),
        );
        record.extend(
            variant_keys
                .iter()
                .map(|k| v_attrs.get(*k).map(attribute_text).unwrap_or_default()),
        );
        writer.write_record(&record).map_err(failed)?;
    }
    writer.flush().map_err(|e| AppError::Internal(e.into()))?;
    Ok(rows.len())
}
