//! Reading a multipart form with text fields and at most one file, for the API and the pages alike.

use std::collections::HashMap;

use agora_app::AppError;
use axum::extract::Multipart;
use axum::http::StatusCode;

/// A multipart form's text fields and its file.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: HashMap<String, String>,
    /// `(file name, content)` of the field named `file`.
    pub file: Option<(String, Vec<u8>)>,
}

impl Form {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

const MAX_FIELDS: usize = 50;
const MAX_FIELD_BYTES: usize = 64 * 1024;

fn read_error(err: axum::extract::multipart::MultipartError, max_bytes: usize) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge { max_bytes }
    } else {
        AppError::BadRequest(format!("the multipart form could not be read: {}", err.body_text()))
    }
}

/// PostgreSQL refuses NUL in text: such a field never gets further than here.
fn nul_in(field: &str) -> AppError {
    AppError::BadRequest(format!("the field `{}` holds a NUL character", field.escape_default()))
}

/// Reads the form; a file larger than `max_file_bytes` is refused as soon as it is seen to be.
pub async fn read(multipart: Multipart, max_file_bytes: usize) -> Result<Form, AppError> {
    let mut form = Form::default();
    read_into(multipart, max_file_bytes, &mut form).await?;
    Ok(form)
}

/// Like [`read`], but a refused form still gives back the fields read before the problem, so that
/// a page can show them again (its file input comes last).
pub async fn read_partial(multipart: Multipart, max_file_bytes: usize) -> (Form, Option<AppError>) {
    let mut form = Form::default();
    let err = read_into(multipart, max_file_bytes, &mut form).await.err();
    (form, err)
}

async fn read_into(mut multipart: Multipart, max_file_bytes: usize, form: &mut Form) -> Result<(), AppError> {
    let mut count = 0;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| read_error(e, max_file_bytes))?
    {
        count += 1;
        if count > MAX_FIELDS {
            return Err(AppError::BadRequest("too many form fields".into()));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name.contains('\0') || field.file_name().is_some_and(|f| f.contains('\0')) {
            return Err(nul_in(&name));
        }
        if name == "file" {
            let filename = field.file_name().unwrap_or("document").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| read_error(e, max_file_bytes))? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > max_file_bytes {
                    return Err(AppError::TooLarge {
                        max_bytes: max_file_bytes,
                    });
                }
            }
            if !bytes.is_empty() {
                form.file = Some((filename, bytes));
            }
        } else {
            let text = field.text().await.map_err(|e| read_error(e, max_file_bytes))?;
            if text.len() > MAX_FIELD_BYTES {
                return Err(AppError::invalid(&name, "is too long"));
            }
            if text.contains('\0') {
                return Err(nul_in(&name));
            }
            form.fields.insert(name, text);
        }
    }
    Ok(())
}
