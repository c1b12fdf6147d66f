use super::*;

/// The file's text for an attribute, as the value of the type the category declares.
pub(super) fn typed_attribute(declared: &[AttributeDef], key: &str, raw: &str) -> Result<Value, String> {
    let Some(def) = declared.iter().find(|d| d.key == key) else {
        return Ok(Value::String(raw.to_owned())); // check_attributes names the undeclared key
    };
    match def.kind {
        AttributeType::Text | AttributeType::Enum => Ok(Value::String(raw.to_owned())),
        AttributeType::Number => serde_json::from_str::<serde_json::Number>(raw)
            .map(Value::Number)
            .map_err(|_| "must be a number such as 230 or 1.5".into()),
        AttributeType::Boolean => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err("must be true or false".into()),
        },
    }
}

/// How an attribute value is written to a file.
pub(super) fn attribute_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn json_map(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Sets (or, for an empty cell, removes) the attributes of `columns` in `values` from a row.
pub(super) fn merge_attributes(values: &mut Map<String, Value>, columns: &[(String, usize)], r: &Record) {
    for (key, at) in columns {
        let cell = &r.cells[*at];
        if cell.is_empty() {
            values.remove(key);
        } else {
            values.insert(key.clone(), Value::String(cell.clone()));
        }
    }
}

/// Types the attributes of `columns` by the category's declarations and checks them.
pub(super) fn check_typed(
    values: &mut Map<String, Value>,
    declared: &[AttributeDef],
    columns: &[(String, usize)],
    prefix: &str,
    line: u64,
    problems: &mut Problems,
) {
    for (key, _) in columns {
        if let Some(Value::String(raw)) = values.get(key) {
            match typed_attribute(declared, key, raw) {
                Ok(value) => {
                    values.insert(key.clone(), value);
                }
                Err(message) => problems.add(line, &format!("{prefix}{key}"), message),
            }
        }
    }
    for (key, value) in values.iter() {
        let one = Map::from_iter([(key.clone(), value.clone())]);
        if let Err(message) = check_attributes(declared, &one) {
            problems.add(line, &format!("{prefix}{key}"), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_take_the_declared_type() {
        let declared = vec![
            AttributeDef {
                key: "voltage".into(),
                kind: AttributeType::Number,
                values: None,
            },
            AttributeDef {
                key: "wireless".into(),
                kind: AttributeType::Boolean,
                values: None,
            },
        ];
        assert_eq!(typed_attribute(&declared, "voltage", "230"), Ok(serde_json::json!(230)));
        assert_eq!(typed_attribute(&declared, "voltage", "1.5"), Ok(serde_json::json!(1.5)));
        assert!(typed_attribute(&declared, "voltage", "230V").is_err());
        assert_eq!(typed_attribute(&declared, "wireless", "Yes"), Ok(Value::Bool(true)));
        assert_eq!(attribute_text(&Value::Bool(false)), "false");
        assert_eq!(attribute_text(&serde_json::json!(230)), "230");
    }
}
