//! Writes a deterministic catalog CSV for the import benchmark (`bench/import.sh`): products of the
//! demo's `audio` category with one to four variants each, in the mess of real exports (quoted
//! commas and newlines, non-ASCII titles, empty optional cells).
//!
//! `cargo run --release -p agora --example gen_catalog_csv -- ROWS [changed] > catalog.csv`
//!
//! With `changed`, the same catalog with every price one cent higher and every stock one more: a
//! re-import of it updates every row.

use std::io::{BufWriter, Write};

/// A small linear congruential generator: the same file on every machine, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A valid EAN-13 from a 12-digit body.
fn ean13(body: u64) -> String {
    let digits = format!("{:012}", body % 1_000_000_000_000);
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn main() -> std::io::Result<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("ROWS is a number"));
    let changed = u64::from(std::env::args().nth(2).as_deref() == Some("changed"));
    let mut rng = Lcg(0x0005_eeda_607a);
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    out.write_all(b"\xEF\xBB\xBF")?;
    writeln!(out, "product_key,sku,title,description,category,price,currency,stock,gtin,min_order_qty,status,attr:colour,product_attr:wireless")?;
    let names = [
        "Aurora", "Fjord", "Polar", "Nordlys", "Größe", "Sjö", "静音", "Überall", "Kōan", "Ørsted",
    ];
    let kinds = ["headphones", "earbuds", "speaker", "headset", "soundbar"];
    let colours = ["black", "white", "blue"];
    let mut written = 0;
    let mut product = 0;
    while written < rows {
        product += 1;
        let variants = (1 + rng.below(4) as usize).min(rows - written);
        let title = format!(
            "{} {} {}",
            names[rng.below(names.len() as u64) as usize],
            kinds[rng.below(kinds.len() as u64) as usize],
            product
        );
        let description = match rng.below(4) {
            0 => String::new(),
            1 => quote(&format!("Model {product}, with case, cable and \"quick start\" guide.")),
            2 => quote(&format!("Line one of {product}.\nLine two: 40 h battery, USB-C.")),
            _ => format!("Plain description {product}"),
        };
        let base = 1_000 + rng.below(40_000);
        let wireless = if rng.below(2) == 0 { "true" } else { "false" };
        for v in 0..variants {
            let cents = base + v as u64 * 100 + changed;
            let price = if rng.below(5) == 0 {
                format!("\"{},{:02}\"", cents / 100, cents % 100)
            } else {
                format!("{}.{:02}", cents / 100, cents % 100)
            };
            let stock = if rng.below(10) == 0 {
                String::new()
            } else {
                rng.below(500).to_string()
            };
            let gtin = if rng.below(3) == 0 {
                String::new()
            } else {
                ean13(400_000_000_000 + product as u64 * 10 + v as u64)
            };
            let colour = colours[v % colours.len()];
            let (desc, moq, status) = if v == 0 {
                (description.as_str(), "1", "active")
            } else {
                ("", "", "")
            };
            writeln!(
                out,
                "P{product},BN-{product:06}-{v},{title},{desc},audio,{price},EUR,{stock},{gtin},{moq},{status},{colour},{wireless}"
            )?;
            written += 1;
        }
    }
    out.flush()
}
