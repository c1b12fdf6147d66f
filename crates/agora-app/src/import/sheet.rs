use super::*;

/// A canonical column that is not an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    ProductKey,
    Sku,
    Title,
    Description,
    Category,
    Price,
    Currency,
    Stock,
    Gtin,
    MinOrderQty,
    Status,
}

impl Field {
    pub(super) const ALL: [Field; 11] = [
        Field::ProductKey,
        Field::Sku,
        Field::Title,
        Field::Description,
        Field::Category,
        Field::Price,
        Field::Currency,
        Field::Stock,
        Field::Gtin,
        Field::MinOrderQty,
        Field::Status,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Field::ProductKey => "product_key",
            Field::Sku => "sku",
            Field::Title => "title",
            Field::Description => "description",
            Field::Category => "category",
            Field::Price => "price",
            Field::Currency => "currency",
            Field::Stock => "stock",
            Field::Gtin => "gtin",
            Field::MinOrderQty => "min_order_qty",
            Field::Status => "status",
        }
    }
}

/// What a column of the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Target {
    Field(Field),
    Attr(String),
    ProductAttr(String),
}

impl Target {
    /// A canonical column name (case-insensitive, attribute keys as written).
    pub(super) fn parse(name: &str) -> Option<Target> {
        let name = name.trim();
        let lower = name.to_ascii_lowercase();
        for (prefix, attr) in [("product_attr:", true), ("attr:", false)] {
            if lower.starts_with(prefix) {
                let key = name[prefix.len()..].trim();
                if key.is_empty() {
                    return None;
                }
                return Some(if attr {
                    Target::ProductAttr(key.to_owned())
                } else {
                    Target::Attr(key.to_owned())
                });
            }
        }
        Field::ALL.into_iter().find(|f| f.name() == lower).map(Target::Field)
    }

    pub(super) fn label(&self) -> String {
        match self {
            Target::Field(f) => f.name().to_owned(),
            Target::Attr(key) => format!("attr:{key}"),
            Target::ProductAttr(key) => format!("product_attr:{key}"),
        }
    }
}

/// The canonical name of "not read" in a column map: `-=Notes` leaves the file's column `Notes`
/// out even when its header is a canonical name. (The seller centre's mapping step sends it for a
/// column set to "ignore"; the command line has no use for it.)
pub const IGNORE: &str = "-";

/// The canonical columns that are not attributes, in the order a mapping form offers them.
pub fn known_fields() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.name()).collect()
}

/// The canonical column a header stands for without a map (its name, case-insensitive), as the
/// mapping form pre-fills it.
pub fn automatic_target(header: &str) -> Option<String> {
    Target::parse(header).map(|t| t.label())
}

/// Whom an attribute column describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeScope {
    /// A variant's option (`attr:colour`).
    Variant,
    /// The product (`product_attr:brand`).
    Product,
}

/// The canonical column of the attribute `key` of `scope` (`attr:colour`).
pub fn attribute_column(scope: AttributeScope, key: &str) -> String {
    match scope {
        AttributeScope::Variant => Target::Attr(key.to_owned()),
        AttributeScope::Product => Target::ProductAttr(key.to_owned()),
    }
    .label()
}

/// The scope and key of an attribute column; `None` for any other column.
pub fn attribute_of(column: &str) -> Option<(AttributeScope, String)> {
    match Target::parse(column)? {
        Target::Attr(key) => Some((AttributeScope::Variant, key)),
        Target::ProductAttr(key) => Some((AttributeScope::Product, key)),
        Target::Field(_) => None,
    }
}

/// Whether `name` is a canonical column (a field, `attr:KEY` or `product_attr:KEY`).
pub fn is_canonical(name: &str) -> bool {
    Target::parse(name).is_some()
}

/// Parses column-map entries such as `sku=product_id`, `title=product_name`.
pub fn parse_map<S: AsRef<str>>(entries: &[S]) -> Result<Vec<(String, String)>, String> {
    let mut map = Vec::new();
    for entry in entries {
        let entry = entry.as_ref().trim();
        if entry.is_empty() {
            continue;
        }
        let (canonical, source) = entry
            .split_once('=')
            .ok_or_else(|| format!("{entry:?} is not CANONICAL=SOURCE (e.g. sku=product_id)"))?;
        let (canonical, source) = (canonical.trim(), source.trim());
        if Target::parse(canonical).is_none() {
            return Err(format!(
                "{canonical:?} is not a column Agora knows; use one of {}, attr:KEY or product_attr:KEY",
                Field::ALL.map(Field::name).join(", ")
            ));
        }
        if source.is_empty() {
            return Err(format!("{entry:?} names no column of the file"));
        }
        map.push((canonical.to_owned(), source.to_owned()));
    }
    Ok(map)
}

/// Parses a delimiter name: `,`, `;`, `|`, `tab` (or `\t`).
pub fn parse_delimiter(raw: &str) -> Result<u8, String> {
    match raw {
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        "comma" => Ok(b','),
        "semicolon" => Ok(b';'),
        _ if raw.len() == 1 && !matches!(raw.as_bytes()[0], b'"' | b'\n' | b'\r') && raw.is_ascii() => {
            Ok(raw.as_bytes()[0])
        }
        _ => Err(format!(
            "{raw:?} is not a delimiter; use one character such as , or ; or the word tab"
        )),
    }
}

/// The delimiter of a file, from its header row: tab if it has one, else semicolon if it has more
/// semicolons than commas (spreadsheets in many European locales), else comma.
pub(super) fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b'\t') > 0 {
        b'\t'
    } else if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// The file's columns, resolved to canonical ones.
#[derive(Debug)]
pub(super) struct Columns {
    pub(super) fields: HashMap<Field, usize>,
    pub(super) attrs: Vec<(String, usize)>,
    pub(super) product_attrs: Vec<(String, usize)>,
    /// The name of each column in messages: its canonical name, or the file's header.
    pub(super) labels: Vec<String>,
    pub(super) ignored: Vec<String>,
}

pub(super) fn resolve_columns(headers: &[String], map: &[(String, String)]) -> AppResult<Columns> {
    let mut targets: Vec<Option<Target>> = vec![None; headers.len()];
    let mut skipped = vec![false; headers.len()];
    let mut mapped = HashSet::new();
    for (canonical, source) in map {
        let target = if canonical == IGNORE {
            None
        } else {
            Some(
                Target::parse(canonical)
                    .ok_or_else(|| AppError::BadRequest(format!("{canonical:?} is not a column Agora knows")))?,
            )
        };
        let at = headers
            .iter()
            .position(|h| h == source)
            .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(source)))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "map {canonical}={source}: the file has no column {source:?} (its columns: {})",
                    headers.join(", ")
                ))
            })?;
        if targets[at].is_some() || skipped[at] {
            return Err(AppError::BadRequest(format!("column {source:?} is mapped twice")));
        }
        match target {
            Some(target) => {
                targets[at] = Some(target.clone());
                mapped.insert(target);
            }
            None => skipped[at] = true,
        }
    }
    for (at, header) in headers.iter().enumerate() {
        if targets[at].is_none() && !skipped[at] {
            targets[at] = Target::parse(header).filter(|t| !mapped.contains(t));
        }
    }
    let mut columns = Columns {
        fields: HashMap::new(),
        attrs: Vec::new(),
        product_attrs: Vec::new(),
        labels: Vec::new(),
        ignored: Vec::new(),
    };
    let mut seen: HashMap<Target, usize> = HashMap::new();
    for (at, target) in targets.iter().enumerate() {
        let Some(target) = target else {
            if !headers[at].is_empty() {
                columns.ignored.push(headers[at].clone());
            }
            columns.labels.push(headers[at].clone());
            continue;
        };
        if let Some(first) = seen.insert(target.clone(), at) {
            return Err(AppError::BadRequest(format!(
                "columns {:?} and {:?} both hold {}",
                headers[first],
                headers[at],
                target.label()
            )));
        }
        columns.labels.push(target.label());
        match target {
            Target::Field(f) => {
                columns.fields.insert(*f, at);
            }
            Target::Attr(key) => columns.attrs.push((key.clone(), at)),
            Target::ProductAttr(key) => columns.product_attrs.push((key.clone(), at)),
        }
    }
    if !columns.fields.contains_key(&Field::Sku) {
        return Err(AppError::BadRequest(
            "the file has no sku column; name the file's own with --map sku=COLUMN".into(),
        ));
    }
    Ok(columns)
}

/// One data row.
#[derive(Debug)]
pub(super) struct Record {
    /// The physical line of the file where the row starts (1 is the header).
    pub(super) line: u64,
    /// Trimmed, one per column.
    pub(super) cells: Vec<String>,
    /// It already has an error of its own (unreadable, or a repeated SKU).
    pub(super) broken: bool,
}

impl Record {
    /// `None` when the file has no such column, `Some("")` for an empty cell.
    pub(super) fn cell(&self, columns: &Columns, field: Field) -> Option<&str> {
        columns.fields.get(&field).map(|&at| self.cells[at].as_str())
    }

    /// A non-empty cell.
    pub(super) fn given(&self, columns: &Columns, field: Field) -> Option<&str> {
        self.cell(columns, field).filter(|c| !c.is_empty())
    }
}

/// A whole file, read.
pub(super) struct Sheet {
    pub(super) columns: Columns,
    pub(super) records: Vec<Record>,
    pub(super) errors: Vec<RowError>,
}

fn unreadable(e: csv::Error) -> AppError {
    AppError::BadRequest(format!("the file cannot be read: {e}"))
}

/// A reader of the file (without its byte-order mark) and its header row.
fn open(bytes: &[u8], delimiter: Option<u8>) -> AppResult<(csv::Reader<&[u8]>, Vec<String>)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(bytes));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(unreadable)? {
        return Err(AppError::BadRequest("the file is empty; it needs a header row".into()));
    }
    let headers = record
        .iter()
        .map(|h| std::str::from_utf8(h).map(|h| h.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::BadRequest("the header row is not valid UTF-8; save the file as UTF-8".into()))?;
    Ok((reader, headers))
}

/// The start of a file, as a mapping step shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The header row.
    pub headers: Vec<String>,
    /// The first data rows, one cell per header (invalid UTF-8 shown with replacement characters).
    pub rows: Vec<Vec<String>>,
    /// The line of the file where each of those rows starts (the header is line 1).
    pub lines: Vec<u64>,
    /// For each header, the canonical column it is read as without a map (`None`: not read).
    pub automatic: Vec<Option<String>>,
}

/// Reads the header row and the first `rows` data rows.
pub fn preview(bytes: &[u8], delimiter: Option<u8>, rows: usize) -> AppResult<Preview> {
    let (mut reader, headers) = open(bytes, delimiter)?;
    let mut record = csv::ByteRecord::new();
    let mut sample = Vec::new();
    let mut lines = Vec::new();
    while sample.len() < rows && reader.read_byte_record(&mut record).map_err(unreadable)? {
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        lines.push(record.position().map_or(0, |p| p.line()));
        sample.push(
            (0..headers.len())
                .map(|at| {
                    String::from_utf8_lossy(record.get(at).unwrap_or_default())
                        .trim()
                        .to_owned()
                })
                .collect(),
        );
    }
    let automatic = headers.iter().map(|h| automatic_target(h)).collect();
    Ok(Preview {
        headers,
        rows: sample,
        lines,
        automatic,
    })
}

/// Checks that the file's header row can be read with `map` (every mapped column exists, no two
/// columns hold one canonical column, there is a sku column), without reading further.
pub fn check_columns(bytes: &[u8], options: &ImportOptions) -> AppResult<()> {
    let (_, headers) = open(bytes, options.delimiter)?;
    resolve_columns(&headers, &options.map).map(|_| ())
}

pub(super) fn read_sheet(bytes: &[u8], options: &ImportOptions) -> AppResult<Sheet> {
    let (mut reader, headers) = open(bytes, options.delimiter)?;
    let mut record = csv::ByteRecord::new();
    let columns = resolve_columns(&headers, &options.map)?;
    let width = headers.len();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    while reader.read_byte_record(&mut record).map_err(unreadable)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line, or a row of empty cells that spreadsheets leave at the end
        }
        let mut broken = false;
        if record.len() != width {
            errors.push(RowError {
                line,
                field: "row".into(),
                message: format!("has {} fields; the header has {width}", record.len()),
            });
            broken = true;
        }
        let mut cells = Vec::with_capacity(width);
        for at in 0..width {
            let raw = record.get(at).unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(text) => cells.push(text.trim().to_owned()),
                Err(_) => {
                    errors.push(RowError {
                        line,
                        field: columns.labels[at].clone(),
                        message: "is not valid UTF-8; save the file as UTF-8".into(),
                    });
                    broken = true;
                    cells.push(String::new());
                }
            }
        }
        records.push(Record { line, cells, broken });
    }
    // A SKU names one variant of the shop: a second row with it is an error, not a second update.
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    let mut repeated = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(sku) = r.given(&columns, Field::Sku) {
            if let Some(&line) = first_line.get(sku) {
                errors.push(RowError {
                    line: r.line,
                    field: "sku".into(),
                    message: format!("{sku:?} is also on line {line}"),
                });
                repeated.push(i);
            } else {
                first_line.insert(sku, r.line);
            }
        }
    }
    for i in repeated {
        records[i].broken = true;
    }
    Ok(Sheet {
        columns,
        records,
        errors,
    })
}

/// Groups rows into products, in the order of their first rows.
pub(super) fn group(sheet: &Sheet) -> Vec<Vec<usize>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, r) in sheet.records.iter().enumerate() {
        let key = if let Some(k) = r.given(&sheet.columns, Field::ProductKey) {
            format!("k\u{0}{k}")
        } else if let Some(t) = r.given(&sheet.columns, Field::Title) {
            format!("t\u{0}{t}")
        } else {
            format!("r\u{0}{i}") // no key and no title: a row of its own (an update of an existing SKU)
        };
        match index.get(&key) {
            Some(&g) => groups[g].push(i),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(detect_delimiter(b"sku,title\nA,B"), b',');
        assert_eq!(detect_delimiter(b"sku\ttitle,x\nA\tB"), b'\t');
        assert_eq!(detect_delimiter(b"sku;title;price\n"), b';');
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("\"").is_err());
    }

    #[test]
    fn column_maps_name_canonical_columns() {
        let map = parse_map(&["sku=product_id", " title = Product Name ", "attr:colour=Farbe"]).unwrap();
        assert_eq!(map[1], ("title".into(), "Product Name".into()));
        assert!(parse_map(&["sku"]).is_err());
        assert!(parse_map(&["colour=Farbe"]).is_err());
        let headers: Vec<String> = ["product_id", "Product Name", "sku", "Farbe", "Notes", "PRICE"]
            .map(String::from)
            .to_vec();
        let columns = resolve_columns(&headers, &map).unwrap();
        assert_eq!(
            columns.fields[&Field::Sku],
            0,
            "the mapped column wins over one named sku"
        );
        assert_eq!(columns.fields[&Field::Title], 1);
        assert_eq!(columns.fields[&Field::Price], 5, "canonical names are case-insensitive");
        assert_eq!(columns.attrs, vec![("colour".to_owned(), 3)]);
        assert_eq!(columns.ignored, vec!["sku".to_owned(), "Notes".to_owned()]);
        let missing = resolve_columns(&headers, &parse_map(&["gtin=EAN"]).unwrap()).unwrap_err();
        assert!(missing.to_string().contains("no column \"EAN\""), "{missing}");
        let twice = resolve_columns(&["sku".into(), "SKU".into()], &[]).unwrap_err();
        assert!(twice.to_string().contains("both hold sku"), "{twice}");
        assert!(
            resolve_columns(&["title".into()], &[]).is_err(),
            "a sku column is required"
        );
    }
}
