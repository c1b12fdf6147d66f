//! Benchmark of agora-search on a generated catalog of 100,000 products.
//!
//! Run with `bench/search.sh` (`cargo run --release -p agora-search --example search_bench`).
//! Measures: rebuild throughput into an on-disk index; p50/p99 latency of a fixed mixed set of
//! queries from one thread; throughput of the same queries from 16 threads; resident memory.
//! Everything is generated from a fixed seed, so runs are comparable.
//!
//! Optional arguments: `[products] [threads]` (defaults 100000 and 16).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use agora_search::{ProductDoc, SearchIndex, SearchQuery, Sort};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `(root, [(sub, [(leaf, nouns, base price in minor units)])])`: 5 roots, 15 subcategories,
/// 45 leaves = 65 categories.
type Tree = [(
    &'static str,
    [(&'static str, [(&'static str, &'static [&'static str], i64); 3]); 3],
); 5];

const TREE: Tree = [
    (
        "electronics",
        [
            (
                "audio",
                [
                    ("headphones", &["headphones", "earbuds", "headset"], 8_000),
                    ("speakers", &["speaker", "soundbar", "subwoofer"], 12_000),
                    ("microphones", &["microphone", "mic"], 9_000),
                ],
            ),
            (
                "computers",
                [
                    ("laptops", &["laptop", "notebook", "ultrabook"], 90_000),
                    ("keyboards", &["keyboard", "keypad"], 6_000),
                    ("mice", &["mouse", "trackball"], 3_000),
                ],
            ),
            (
                "phones",
                [
                    ("smartphones", &["smartphone", "phone"], 60_000),
                    ("phone-cases", &["case", "cover", "bumper"], 1_500),
                    ("chargers", &["charger", "cable", "adapter"], 2_000),
                ],
            ),
        ],
    ),
    (
        "home",
        [
            (
                "kitchen",
                [
                    ("cookware", &["pan", "pot", "skillet", "wok"], 4_000),
                    ("appliances", &["kettle", "toaster", "blender", "mixer"], 7_000),
                    ("tableware", &["plate", "bowl", "mug", "cup"], 1_200),
                ],
            ),
            (
                "furniture",
                [
                    ("chairs", &["chair", "stool", "armchair"], 15_000),
                    ("tables", &["table", "desk"], 25_000),
                    ("storage", &["shelf", "cabinet", "drawer"], 12_000),
                ],
            ),
            (
                "decor",
                [
                    ("lighting", &["lamp", "lantern", "pendant"], 5_000),
                    ("textiles", &["cushion", "rug", "blanket", "curtain"], 3_500),
                    ("wall-art", &["poster", "print", "frame"], 2_500),
                ],
            ),
        ],
    ),
    (
        "fashion",
        [
            (
                "clothing",
                [
                    ("shirts", &["shirt", "blouse", "tee"], 3_000),
                    ("jackets", &["jacket", "coat", "parka"], 12_000),
                    ("trousers", &["trousers", "jeans", "chinos"], 6_000),
                ],
            ),
            (
                "shoes",
                [
                    ("sneakers", &["sneakers", "trainers"], 8_000),
                    ("boots", &["boots", "wellies"], 11_000),
                    ("sandals", &["sandals", "slides"], 4_000),
                ],
            ),
            (
                "accessories",
                [
                    ("bags", &["bag", "backpack", "tote"], 5_000),
                    ("watches", &["watch", "smartwatch"], 20_000),
                    ("hats", &["hat", "cap", "beanie"], 2_000),
                ],
            ),
        ],
    ),
    (
        "sports",
        [
            (
                "running",
                [
                    ("running-shoes", &["running shoes", "racing flats"], 10_000),
                    ("running-apparel", &["shorts", "tights", "singlet"], 3_000),
                    ("running-gear", &["armband", "hydration belt", "bottle"], 1_500),
                ],
            ),
            (
                "cycling",
                [
                    ("bikes", &["bike", "bicycle"], 80_000),
                    ("helmets", &["helmet"], 6_000),
                    ("bike-accessories", &["pump", "bike light", "lock"], 2_500),
                ],
            ),
            (
                "fitness",
                [
                    ("weights", &["dumbbell", "kettlebell", "barbell"], 4_000),
                    ("mats", &["yoga mat", "exercise mat"], 2_500),
                    ("trackers", &["fitness tracker", "heart rate monitor"], 9_000),
                ],
            ),
        ],
    ),
    (
        "toys",
        [
            (
                "games",
                [
                    ("board-games", &["board game", "puzzle"], 3_000),
                    ("card-games", &["card game", "playing cards"], 1_200),
                    ("video-games", &["controller", "console"], 30_000),
                ],
            ),
            (
                "outdoor-toys",
                [
                    ("balls", &["football", "basketball", "ball"], 2_000),
                    ("water-toys", &["water pistol", "pool float"], 1_500),
                    ("kites", &["kite"], 2_500),
                ],
            ),
            (
                "building",
                [
                    ("blocks", &["building blocks", "bricks"], 4_000),
                    ("models", &["model kit", "model car"], 5_000),
                    ("construction", &["construction set", "marble run"], 6_000),
                ],
            ),
        ],
    ),
];

const BRANDS: &[&str] = &[
    "Sony", "Bose", "Acme", "Nordic", "Zenith", "Apex", "Lumen", "Vertex", "Orion", "Kestrel", "Solace", "Ironwood",
    "Bluefin", "Tundra", "Meridian", "Halcyon", "Corvid", "Sable", "Juniper", "Quartz", "Falcon", "Ember", "Harbor",
    "Summit", "Atlas", "Nimbus", "Pioneer", "Vireo", "Granite", "Cobalt", "Aurora", "Willow", "Titan", "Polaris",
    "Sierra", "Maple", "Onyx", "Crescent", "Drift", "Boreal",
];
const ADJECTIVES: &[&str] = &[
    "wireless",
    "portable",
    "compact",
    "premium",
    "classic",
    "ergonomic",
    "waterproof",
    "lightweight",
    "foldable",
    "rechargeable",
    "vintage",
    "modern",
    "heavy-duty",
    "professional",
    "smart",
    "slim",
    "durable",
    "handmade",
    "organic",
    "deluxe",
    "mini",
    "large",
    "adjustable",
    "insulated",
    "breathable",
    "cordless",
    "quiet",
    "fast",
    "eco",
    "padded",
];
const COLOURS: &[&str] = &[
    "black", "white", "red", "blue", "green", "grey", "silver", "navy", "pink", "beige", "yellow", "orange", "brown",
    "gold", "purple",
];
const MATERIALS: &[&str] = &[
    "cotton",
    "leather",
    "steel",
    "bamboo",
    "wool",
    "aluminium",
    "oak",
    "ceramic",
    "glass",
    "nylon",
    "linen",
    "silicone",
    "walnut",
    "polyester",
    "copper",
];
const SHOP_FIRST: &[&str] = &[
    "Nordic", "Urban", "Golden", "Happy", "Blue", "Little", "Grand", "Green", "Silver", "Old", "Bright", "Wild",
    "Royal", "Cosy", "Rapid", "True", "North", "South", "East", "West",
];
const SHOP_SECOND: &[&str] = &[
    "Outfitters",
    "Traders",
    "Goods",
    "Supply",
    "Market",
    "Emporium",
    "Depot",
    "Corner",
    "House",
    "Store",
    "Bazaar",
    "Works",
    "Warehouse",
    "Boutique",
    "Collective",
];
const FILLER: &[&str] = &[
    "Backed by a two-year warranty.",
    "Ships within two working days.",
    "Designed in Europe and tested for everyday use.",
    "Easy to clean and built to last.",
    "A favourite of our customers for years.",
    "Comes in recyclable packaging.",
    "Perfect as a gift.",
    "Includes everything you need to get started.",
];

/// A leaf category: `(path slugs, path names, product nouns, base price)`.
type Leaf = (Vec<String>, Vec<String>, &'static [&'static str], i64);

/// The leaves of [`TREE`].
fn leaves() -> Vec<Leaf> {
    let name = |slug: &str| slug.replace('-', " ");
    let mut out = Vec::new();
    for (root, subs) in TREE {
        for (sub, leaves) in subs {
            for (leaf, nouns, price) in leaves {
                let slugs = vec![root.to_string(), sub.to_string(), leaf.to_string()];
                let names = slugs.iter().map(|s| name(s)).collect();
                out.push((slugs, names, nouns, price));
            }
        }
    }
    out
}

fn shops() -> Vec<(String, String)> {
    (0..300)
        .map(|i| {
            let name = format!(
                "{} {}",
                SHOP_FIRST[i % SHOP_FIRST.len()],
                SHOP_SECOND[(i / SHOP_FIRST.len()) % SHOP_SECOND.len()]
            );
            (format!("shop-{i:04}"), name)
        })
        .collect()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn generate(n: usize) -> Vec<ProductDoc> {
    let mut rng = Rng(42);
    let leaves = leaves();
    let shops = shops();
    let now_ms: i64 = 1_750_000_000_000;
    (0..n)
        .map(|i| {
            let (slugs, names, nouns, base) = rng.pick(&leaves).clone();
            let (shop_id, shop_name) = rng.pick(&shops).clone();
            let brand = *rng.pick(BRANDS);
            let adjective = *rng.pick(ADJECTIVES);
            let adjective2 = *rng.pick(ADJECTIVES);
            let colour = *rng.pick(COLOURS);
            let material = *rng.pick(MATERIALS);
            let noun = *rng.pick(nouns);
            let model = format!("{}{}", (b'A' + rng.below(26) as u8) as char, rng.below(900) + 100);
            let mut title = format!("{brand} {} ", capitalise(adjective));
            if rng.chance(40) {
                title.push_str(&capitalise(material));
                title.push(' ');
            }
            title.push_str(&capitalise(noun));
            title.push(' ');
            title.push_str(&model);
            if rng.chance(30) {
                title.push_str(&format!(", {}", capitalise(colour)));
            }
            let description = format!(
                "The {brand} {noun} {model} is {adjective} and {adjective2}. Made from {material}, it comes in {colour}. {} {}",
                rng.pick(FILLER),
                rng.pick(FILLER)
            );
            let mut attributes = vec![
                ("colour".to_string(), colour.to_string()),
                ("material".to_string(), material.to_string()),
            ];
            if slugs[0] == "fashion" {
                attributes.push(("size".into(), rng.pick(&["s", "m", "l", "xl"]).to_string()));
            }
            if slugs[0] == "electronics" {
                let c = *rng.pick(&["bluetooth", "wired", "usb-c"]);
                attributes.push(("connectivity".into(), c.to_string()));
            }
            // Roughly log-normal around the leaf's base price.
            let factor = (rng.unit() * 2.5 - 1.0).exp();
            let price_minor = ((base as f64 * factor) as i64).max(99) / 100 * 100 + 99;
            ProductDoc {
                product_id: format!("p{i:06}"),
                title,
                description,
                category_path: slugs,
                category_names: names,
                shop_id,
                shop_name,
                attributes,
                price_minor,
                currency: "EUR".into(),
                in_stock: rng.chance(85),
                rating: rng
                    .chance(70)
                    .then(|| 1.0 + (rng.unit() * 4.0) as f32),
                created_at_ms: now_ms - (rng.below(3 * 365 * 24 * 3600) as i64) * 1000,
                sponsored: rng.chance(2),
            }
        })
        .collect()
}

/// Introduces one typo (swap, deletion or substitution) into a word of 5+ letters.
fn typo(rng: &mut Rng, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 5 {
        return word.to_string();
    }
    let i = 1 + rng.below(chars.len() - 2);
    match rng.below(3) {
        0 => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        _ => chars[i] = (b'a' + rng.below(26) as u8) as char,
    }
    chars.into_iter().collect()
}

/// A fixed, mixed set of queries: one to four words, some misspelt, some filtered or sorted.
fn queries(n: usize) -> Vec<SearchQuery> {
    let mut rng = Rng(7);
    let leaves = leaves();
    let shops = shops();
    (0..n)
        .map(|i| {
            let (slugs, _, nouns, base) = rng.pick(&leaves).clone();
            let noun = *rng.pick(nouns);
            let mut words: Vec<String> = match i % 6 {
                0 => vec![noun.into()],
                1 => vec![rng.pick(BRANDS).to_lowercase(), noun.into()],
                2 => vec![rng.pick(ADJECTIVES).to_string(), noun.into()],
                3 => vec![
                    rng.pick(COLOURS).to_string(),
                    rng.pick(MATERIALS).to_string(),
                    noun.into(),
                ],
                4 => vec![
                    rng.pick(BRANDS).to_string(),
                    rng.pick(ADJECTIVES).to_string(),
                    rng.pick(COLOURS).to_string(),
                    noun.into(),
                ],
                _ => vec![rng.pick(BRANDS).to_string()],
            };
            if rng.chance(25) {
                let j = rng.below(words.len());
                words[j] = typo(&mut rng, &words[j]);
            }
            let mut q = SearchQuery::text(words.join(" "));
            if i % 40 == 39 {
                q.text.clear(); // browsing a category
            }
            match rng.below(10) {
                0 | 1 => q.category = Some(slugs[rng.below(3)].clone()),
                2 => {
                    q.min_price = Some(base / 2);
                    q.max_price = Some(base * 2);
                }
                3 => q.attributes = vec![("colour".into(), rng.pick(COLOURS).to_string())],
                4 => q.shop = Some(rng.pick(&shops).0.clone()),
                5 => {
                    q.category = Some(slugs[0].clone());
                    q.max_price = Some(base);
                    q.in_stock_only = true;
                }
                _ => {}
            }
            q.sort = match rng.below(10) {
                0 => Sort::PriceAsc,
                1 => Sort::PriceDesc,
                2 => Sort::Newest,
                3 => Sort::Rating,
                _ => Sort::Relevance,
            };
            if rng.chance(10) {
                q.offset = 20;
            }
            q
        })
        .collect()
}

fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--query") {
        // The second phase, in a fresh process: see `build_phase`.
        let dir = PathBuf::from(args.get(1).ok_or("--query needs a directory")?);
        let threads = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(16);
        return query_phase(&dir, threads);
    }
    let n: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let threads: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(16);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("agora-search benchmark: {n} products, {threads} client threads, {cores} cores");

    let dir: PathBuf = std::env::temp_dir().join(format!("agora-search-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let outcome = build_phase(&dir, n).and_then(|()| {
        // Query in a fresh process, so its memory is the index's and not the generator's.
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("--query")
            .arg(&dir)
            .arg(threads.to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("query phase failed: {status}").into())
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// (1) Generates the catalog and rebuilds an on-disk index from it.
fn build_phase(dir: &std::path::Path, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let docs = generate(n);
    println!("generate: {:.2} s (not included below)", t.elapsed().as_secs_f64());

    let index = SearchIndex::open(Some(dir))?;
    let t = Instant::now();
    let indexed = index.rebuild(docs)?;
    let took = t.elapsed();
    println!(
        "rebuild: {indexed} docs in {:.2} s = {:.0} docs/s (target >= 20000); {} segments, {:.1} MiB on disk",
        took.as_secs_f64(),
        indexed as f64 / took.as_secs_f64(),
        index.segment_count(),
        dir_size(dir) as f64 / (1 << 20) as f64
    );
    Ok(())
}

/// (2)-(4) Opens the index, warms it up, then measures one client, many clients and memory.
fn query_phase(dir: &std::path::Path, threads: usize) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let index = SearchIndex::open(Some(dir))?;
    println!(
        "open: {} docs, {} segments in {:.1} ms",
        index.len(),
        index.segment_count(),
        ms(t.elapsed())
    );
    let queries = queries(240);
    // Warm up: run every query once (page cache, lazily opened structures).
    let mut matches = 0usize;
    let mut zero_hit = 0usize;
    for q in &queries {
        let r = index.search(q)?;
        matches += r.total;
        zero_hit += usize::from(r.total == 0);
    }
    println!(
        "queries: {} distinct (1-4 words, ~25% with a typo, ~60% filtered, ~30% sorted, all with facets); mean {:.0} matches, {zero_hit} with none",
        queries.len(),
        matches as f64 / queries.len() as f64
    );
    println!(
        "memory: VmRSS {:.1} MiB after opening and warm-up",
        vm_rss_kib().unwrap_or(0) as f64 / 1024.0
    );

    // (2) One client.
    let rounds = 5;
    let mut latencies = Vec::with_capacity(queries.len() * rounds);
    let t = Instant::now();
    for _ in 0..rounds {
        for q in &queries {
            let start = Instant::now();
            std::hint::black_box(index.search(q)?);
            latencies.push(start.elapsed());
        }
    }
    let single_elapsed = t.elapsed();
    latencies.sort();
    let single_qps = latencies.len() as f64 / single_elapsed.as_secs_f64();
    println!(
        "1 client: {} searches, p50 {:.2} ms (target <= 5), p90 {:.2} ms, p99 {:.2} ms (target <= 25), max {:.2} ms; {:.0} searches/s",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0)),
        single_qps
    );

    // (3) Many clients.
    let per_thread_rounds = 2;
    let t = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let index = index.clone();
            let queries = queries.clone();
            std::thread::spawn(move || -> Result<Vec<Duration>, agora_search::SearchError> {
                let mut lat = Vec::with_capacity(queries.len() * per_thread_rounds);
                for round in 0..per_thread_rounds {
                    for j in 0..queries.len() {
                        let q = &queries[(j + k * 15 + round * 7) % queries.len()];
                        let start = Instant::now();
                        std::hint::black_box(index.search(q)?);
                        lat.push(start.elapsed());
                    }
                }
                Ok(lat)
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.join().map_err(|_| "client thread panicked")??);
    }
    let multi_elapsed = t.elapsed();
    all.sort();
    let multi_qps = all.len() as f64 / multi_elapsed.as_secs_f64();
    println!(
        "{threads} clients: {} searches in {:.2} s = {:.0} searches/s = {:.2}x one client (target >= 1.5); p50 {:.2} ms, p99 {:.2} ms",
        all.len(),
        multi_elapsed.as_secs_f64(),
        multi_qps,
        multi_qps / single_qps,
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
    );

    // Autocomplete, for reference.
    let prefixes = ["he", "head", "sony hea", "wir", "kett", "blue co", "ru", "nordic l"];
    let mut sl = Vec::new();
    for _ in 0..20 {
        for p in prefixes {
            let start = Instant::now();
            std::hint::black_box(index.suggest(p, 8)?);
            sl.push(start.elapsed());
        }
    }
    sl.sort();
    println!(
        "suggest: p50 {:.2} ms, p99 {:.2} ms; \"sony hea\" -> {:?}",
        ms(percentile(&sl, 0.5)),
        ms(percentile(&sl, 0.99)),
        index.suggest("sony hea", 3)?
    );
    println!(
        "memory: VmRSS {:.1} MiB at the end",
        vm_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}
