//! JSON read strictly: no object names a key twice (serde_json alone would keep the last one, so
//! a check and the code behind it could read different values), and no string, key or value,
//! holds a NUL character (PostgreSQL refuses it in text).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON value that passed the checks.
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

fn checked<E: de::Error>(text: &str) -> Result<&str, E> {
    if text.contains('\0') {
        Err(E::custom("a text holds a NUL character"))
    } else {
        Ok(text)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        checked(v).map(|v| Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        checked(&v)?;
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            checked::<A::Error>(&key)?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("the key `{key}` appears twice")));
            }
            let StrictValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::StrictValue;

    fn parse(text: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str::<StrictValue>(text)
            .map(|v| v.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_well_formed_document_reads_as_serde_json_would() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x"], "b": {"c": "d"}}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        assert!(parse(r#"{"email": "a", "email": "b"}"#)
            .unwrap_err()
            .contains("`email` appears twice"));
        assert!(parse(r#"{"x": [{"k": 1, "k": 2}]}"#)
            .unwrap_err()
            .contains("`k` appears twice"));
    }

    #[test]
    fn a_nul_character_is_refused_in_keys_and_values() {
        assert!(parse(r#"{"email": "a\u0000b"}"#).unwrap_err().contains("NUL"));
        assert!(parse(r#"{"e\u0000": 1}"#).unwrap_err().contains("NUL"));
        assert!(parse(r#"["\u0000"]"#).unwrap_err().contains("NUL"));
    }
}
