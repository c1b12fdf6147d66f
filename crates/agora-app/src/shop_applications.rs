//! A shop application sent from the site with its first document, all or nothing; the document
//! kinds the platform knows; and the checks every uploaded document passes.

use agora_core::audit::AuditAction;
use agora_core::shop::{self, QualificationStatus};
use agora_core::text;
use agora_store::qualifications::QualificationRow;
use agora_store::{new_id, now_ms, qualifications, shops};
use time::macros::format_description;
use time::Date;

use crate::categories::{self, CategoryNode};
use crate::shops::{ApplyInput, ShopView, Upload};
use crate::{audit, Actor, App, AppError, AppResult};

/// A document kind a restricted category asks for, with the categories that ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKind {
    pub kind: String,
    /// In words: `food_licence` reads "Food licence".
    pub label: String,
    pub categories: Vec<String>,
}

fn collect(nodes: &[CategoryNode], out: &mut Vec<DocumentKind>) {
    for n in nodes {
        if let Some(kind) = &n.licence_kind {
            match out.iter_mut().find(|k| &k.kind == kind) {
                Some(known) => known.categories.push(n.name.clone()),
                None => out.push(DocumentKind {
                    kind: kind.clone(),
                    label: words(kind),
                    categories: vec![n.name.clone()],
                }),
            }
        }
        collect(&n.children, out);
    }
}

fn words(kind: &str) -> String {
    let spaced = kind.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The document kinds the platform knows: those its restricted categories require, by name.
pub async fn document_kinds(app: &App) -> AppResult<Vec<DocumentKind>> {
    let mut out = Vec::new();
    collect(&categories::tree(app).await?, &mut out);
    out.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(out)
}

/// An upload that passed every check, ready to store.
pub(crate) struct CheckedUpload {
    pub kind: String,
    pub expires_on: Option<Date>,
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub(crate) fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| "must be a date like 2027-12-31".to_owned())
}

/// The document types accepted, recognised by their first bytes rather than by what the client says.
fn sniff_document(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Checks a document before anything is stored: kind, expiry, name, size and type.
pub(crate) fn check_upload(app: &App, upload: Upload) -> AppResult<CheckedUpload> {
    if upload.bytes.is_empty() {
        return Err(AppError::invalid("file", "attach the document"));
    }
    let kind = shop::parse_qualification_kind(&upload.kind).map_err(|m| AppError::invalid("kind", m))?;
    let expires_on = match upload.expires_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let date = parse_date(raw).map_err(|m| AppError::invalid("expires_on", m))?;
            if date < crate::time_fmt::today() {
                return Err(AppError::invalid("expires_on", "the document has already expired"));
            }
            Some(date)
        }
    };
    let filename = text::bounded(&upload.filename, 1, 200, false).map_err(|m| AppError::invalid("file", m))?;
    if upload.bytes.len() > app.settings.max_upload_bytes {
        return Err(AppError::TooLarge {
            max_bytes: app.settings.max_upload_bytes,
        });
    }
    let content_type = sniff_document(&upload.bytes)
        .ok_or_else(|| AppError::UnsupportedMediaType("documents must be PDF, PNG or JPEG files".into()))?;
    Ok(CheckedUpload {
        kind,
        expires_on,
        filename,
        content_type,
        bytes: upload.bytes,
    })
}

pub(crate) fn qualification_row(
    shop_id: &str,
    actor: &Actor,
    checked: CheckedUpload,
    blob_key: String,
    now: i64,
) -> QualificationRow {
    QualificationRow {
        id: new_id("qua"),
        shop_id: shop_id.to_owned(),
        kind: checked.kind,
        status: QualificationStatus::Pending.as_str().into(),
        expires_on: checked.expires_on.map(|d| d.to_string()),
        blob_key,
        filename: checked.filename,
        content_type: checked.content_type.into(),
        size_bytes: checked.bytes.len() as i64,
        uploaded_by: actor.account_id.clone(),
        decision_note: None,
        created_at: now,
    }
}

/// What sending an application did.
#[derive(Debug, Clone)]
pub enum Applied {
    /// A new shop, in the operator's queue.
    Created(ShopView),
    /// The same application was already open (sent twice): nothing new was made.
    AlreadyOpen(ShopView),
}

/// The actor's open (not rejected) shop application with this name for the same owner, if any.
async fn same_open(conn: &mut agora_store::Conn, actor: &Actor, input: &ApplyInput) -> AppResult<Option<ShopView>> {
    let company_id = if input.for_company {
        actor.company.as_ref().map(|(id, _)| id.clone())
    } else {
        None
    };
    let name = input.name.trim();
    let found = shops::for_account(conn, &actor.account_id)
        .await?
        .into_iter()
        .find(|s| {
            s.owner_account_id == actor.account_id
                && s.company_id == company_id
                && s.name.eq_ignore_ascii_case(name)
                && s.status != shop::ShopStatus::Rejected
        });
    match found {
        Some(row) => Ok(Some(crate::shops::view_in(conn, row).await?)),
        None => Ok(None),
    }
}

/// Sends an application with an optional first document, all or nothing: a refused document
/// creates no shop. The kind must be one the platform knows. Sending the same application again
/// (same name, same owner, still open) returns the shop already made.
pub async fn apply_with_document(
    app: &App,
    actor: &Actor,
    input: ApplyInput,
    upload: Option<Upload>,
) -> AppResult<Applied> {
    let checked = match upload {
        None => None,
        Some(upload) => {
            let known = document_kinds(app).await?;
            if !known.iter().any(|k| k.kind == upload.kind.trim()) {
                return Err(AppError::invalid("kind", "choose what kind of document this is"));
            }
            Some(check_upload(app, upload)?)
        }
    };
    {
        let mut conn = app.db.conn().await?;
        if let Some(existing) = same_open(&mut conn, actor, &input).await? {
            return Ok(Applied::AlreadyOpen(existing));
        }
    }
    let blob_key = match &checked {
        Some(c) => Some(app.blobs.put(&c.bytes).await.map_err(anyhow::Error::from)?),
        None => None,
    };
    let mut tx = app.db.begin().await?;
    if let Some(existing) = same_open(&mut tx, actor, &input).await? {
        return Ok(Applied::AlreadyOpen(existing));
    }
    let row = crate::shops::apply_in(&mut tx, actor, input).await?;
    if let (Some(checked), Some(blob_key)) = (checked, blob_key) {
        let q = qualification_row(&row.id, actor, checked, blob_key, now_ms());
        qualifications::insert(&mut tx, &q).await?;
        let data = serde_json::json!({ "qualification_id": q.id, "kind": q.kind, "expires_on": q.expires_on, "size": q.size_bytes });
        audit::record(
            &mut tx,
            Some(&actor.account_id),
            AuditAction::ShopDocumentUploaded,
            &row.id,
            data,
        )
        .await?;
    }
    let view = crate::shops::view_in(&mut tx, row).await?;
    tx.commit().await?;
    Ok(Applied::Created(view))
}

#[cfg(test)]
mod tests {
    use super::{sniff_document, words};

    #[test]
    fn documents_are_recognised_by_content() {
        assert_eq!(sniff_document(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff_document(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_document(b"\xFF\xD8\xFF\xE0...."), Some("image/jpeg"));
        assert_eq!(sniff_document(b"MZ\x90\x00 (an executable)"), None);
        assert_eq!(sniff_document(b"<html>"), None);
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(words("food_licence"), "Food licence");
        assert_eq!(words("pharmacy-permit"), "Pharmacy permit");
    }
}
