//! Canonical JSON: one byte sequence for one document, so that a hash and a signature computed
//! by the platform can be recomputed by anyone.
//!
//! The rules (a subset of RFC 8785 that needs no number formatting):
//! - objects: members sorted by the UTF-8 bytes of their keys, written `{"k":v,...}`;
//! - arrays: in order, written `[v,...]`;
//! - no whitespace between tokens;
//! - strings: as `serde_json` writes them (`"` and `\` escaped, control characters as `\n`, `\t`,
//!   … or `\u00XX`, everything else as UTF-8);
//! - numbers: integers only (money is integer minor units); a fraction or exponent is refused;
//! - `true`, `false`, `null` as themselves.

use serde_json::Value;

/// A document that has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("{0} is not an integer: documents carry integers only")]
    NotAnInteger(String),
}

/// The canonical bytes of `value` (see the module comment for the rules).
pub fn canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CanonicalError::NotAnInteger(n.to_string()));
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                write(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn string(s: &str, out: &mut Vec<u8>) {
    // serde_json's string writer escapes exactly what JSON requires and nothing else.
    out.extend_from_slice(serde_json::to_string(s).expect("a string serialises").as_bytes());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_depth_and_there_is_no_whitespace() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": null, "x": true}], "c": "é\n\"q\""}});
        let out = String::from_utf8(canonical(&v).unwrap()).unwrap();
        assert_eq!(out, r#"{"a":{"c":"é\n\"q\"","z":[3,{"x":true,"y":null}]},"b":1}"#);
    }

    #[test]
    fn the_same_document_in_any_key_order_has_the_same_bytes() {
        let a: Value = serde_json::from_str(r#"{"x": 1, "y": {"q": -2, "p": "s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "y": {"p": "s", "q": -2}, "x": 1 }"#).unwrap();
        assert_eq!(canonical(&a).unwrap(), canonical(&b).unwrap());
    }

    #[test]
    fn fractions_are_refused() {
        assert!(matches!(
            canonical(&json!({"price": 12.5})),
            Err(CanonicalError::NotAnInteger(_))
        ));
        assert_eq!(canonical(&json!(u64::MAX)).unwrap(), u64::MAX.to_string().into_bytes());
    }
}
