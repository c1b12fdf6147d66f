//! [`SearchIndex`]: the index handle the application shares between threads.
//!
//! One writer (behind a mutex) applies changes and commits; readers search a snapshot that is
//! reloaded after every commit, so a change is visible to every searcher once the call that made
//! it returns, and searches never wait for writes.

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::directory::MmapDirectory;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::store::Compressor;
use tantivy::{
    DocAddress, DocSet, Index, IndexBuilder, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher,
    TantivyDocument, TantivyError, Term,
};

use crate::analysis::{query_words, tokenizers, QueryWord};
use crate::collector::SearchCollector;
use crate::correction::{corrected_text, corrections};
use crate::error::{Result, SearchError};
use crate::facets::{price_facets, top_values};
use crate::model::{Hit, MatchMode, ProductDoc, SearchQuery, SearchResults, MAX_LIMIT};
use crate::schema::{self, id_term, to_document, Fields};
use crate::snippet::Highlighter;
use crate::suggest;

/// Memory the writer may buffer before flushing a segment, split between its threads.
const WRITER_MEMORY_PER_THREAD: usize = 48 << 20;
/// At most this many indexing threads.
const MAX_WRITER_THREADS: usize = 4;

/// The product search index. Cloning is cheap (a reference count); every clone is the same
/// index, usable from any thread.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    _claim: Option<File>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("docs", &self.len()).finish()
    }
}

fn writer_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_WRITER_THREADS)
}

fn builder() -> IndexBuilder {
    let settings = IndexSettings {
        // Stored documents are small and read ~20 per search: skip compression.
        docstore_compression: Compressor::None,
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    };
    IndexBuilder::new()
        .schema(schema::build().0)
        .settings(settings)
        .tokenizers(tokenizers())
}

/// Opens (or creates) the index in the folder `path`.
pub(crate) fn open_folder(path: &Path) -> Result<Index> {
    std::fs::create_dir_all(path)?;
    let directory = MmapDirectory::open(path).map_err(TantivyError::from)?;
    builder().open_or_create(directory).map_err(|e| match e {
        TantivyError::SchemaError(_) => SearchError::SchemaMismatch(path.into()),
        e => SearchError::Index(e),
    })
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the directory) if absent; `None` keeps the
    /// index in memory (tests, demos, and commands that do not search).
    ///
    /// Fails with [`SearchError::SchemaMismatch`] when `dir` holds an index built with another
    /// schema, and with [`SearchError::Index`] when another writer holds its lock.
    pub fn open(dir: Option<&Path>) -> Result<Self> {
        let index = match dir {
            None => builder().create_in_ram()?,
            Some(path) => open_folder(path)?,
        };
        Self::serve(index, None)
    }

    /// Starts the writer and the reader over `index`; `claim` (a locked file that marks the
    /// index's folder as this process's) is held as long as the index lives.
    pub(crate) fn serve(index: Index, claim: Option<File>) -> Result<Self> {
        let threads = writer_threads();
        let writer = index.writer_with_num_threads(threads, threads * WRITER_MEMORY_PER_THREAD)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        // The index was built (or checked) against this same schema, so its handles are valid.
        let (_, fields) = schema::build();
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                reader,
                writer: Mutex::new(writer),
                fields,
                _claim: claim,
            }),
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>> {
        self.inner.writer.lock().map_err(|_| SearchError::Poisoned)
    }

    /// Runs `change` on the writer, commits and reloads the searchers; rolls back on failure.
    fn write<T>(&self, change: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut writer = self.writer()?;
        let outcome = change(&mut writer).and_then(|value| {
            writer.commit()?;
            Ok(value)
        });
        match outcome {
            Ok(value) => {
                drop(writer);
                self.inner.reader.reload()?;
                Ok(value)
            }
            Err(e) => {
                // Discard the partial batch; the original error is the one worth reporting.
                let _ = writer.rollback();
                Err(e)
            }
        }
    }

    /// Adds or replaces (by `product_id`) the given products, commits, and makes them visible
    /// to searches before returning. Within one batch the last document of an id wins.
    pub fn upsert(&self, docs: &[ProductDoc]) -> Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let fields = self.inner.fields;
        self.write(|writer| {
            for doc in docs {
                writer.delete_term(id_term(&fields, &doc.product_id));
                writer.add_document(to_document(&fields, doc))?;
            }
            Ok(())
        })
    }

    /// Removes the given products (unknown ids are ignored), commits and makes it visible.
    pub fn delete(&self, product_ids: &[String]) -> Result<()> {
        if product_ids.is_empty() {
            return Ok(());
        }
        let fields = self.inner.fields;
        self.write(|writer| {
            for id in product_ids {
                writer.delete_term(id_term(&fields, id));
            }
            Ok(())
        })
    }

    /// Replaces the whole index with `docs` in one commit (searches see the old contents until
    /// it completes) and returns how many documents were indexed. Ids are assumed unique.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = ProductDoc>) -> Result<usize> {
        let fields = self.inner.fields;
        self.write(|writer| {
            writer.delete_all_documents()?;
            let mut count = 0;
            for doc in docs {
                writer.add_document(to_document(&fields, &doc))?;
                count += 1;
            }
            Ok(count)
        })
    }

    /// Number of products in the index.
    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Whether the index holds no product.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of segments searched (each search visits them all; merges reduce them over time).
    pub fn segment_count(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    /// Runs a search. User text can never make it fail; see [`SearchQuery`] for the semantics
    /// of each part.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let fields = &self.inner.fields;
        let searcher = self.inner.reader.searcher();
        let typed = query_words(&q.text);
        let corrected = corrected_text(&q.text, &typed, &corrections(&searcher, fields, &typed)?);
        let words = if q.exact_words {
            typed
                .into_iter()
                .map(|w| QueryWord { fuzzy_distance: 0, ..w })
                .collect()
        } else {
            typed
        };
        let query = crate::query::build(fields, q, &words);
        let limit = q.limit.min(MAX_LIMIT);
        let non_empty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        let mut collector = SearchCollector {
            category: non_empty(&q.category),
            shop: non_empty(&q.shop),
            min_price: q.min_price.unwrap_or(i64::MIN),
            max_price: q.max_price.unwrap_or(i64::MAX),
            sort: q.sort,
            top_k: q.offset.saturating_add(limit),
            scoring: !words.is_empty(),
            min_words: match q.match_mode {
                MatchMode::All if words.len() > 1 => words.len() as u32,
                _ => 0,
            },
            title_terms: words
                .iter()
                .map(|w| Term::from_field_text(fields.title, &w.stem))
                .collect(),
            title_field: fields.title,
        };
        let mut collected = searcher.search(&*query, &collector)?;
        if collected.total == 0 && collector.min_words > 0 {
            // Nothing matches every word: fall back to any word.
            collector.min_words = 0;
            collected = searcher.search(&*query, &collector)?;
        }

        let mut highlighter = Highlighter::new(&words);
        let mut hits = Vec::with_capacity(limit);
        for ranked in collected.top.iter().skip(q.offset).take(limit) {
            let doc: TantivyDocument = searcher.doc(ranked.address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let title = text(fields.title);
            let description = text(fields.description);
            hits.push(Hit {
                product_id: text(fields.id),
                title_html: highlighter.highlight(&title),
                snippet_html: highlighter.snippet(&description),
                title,
                price_minor: doc.get_first(fields.price).and_then(|v| v.as_i64()).unwrap_or_default(),
                currency: text(fields.currency),
                shop_id: text(fields.shop),
                shop_name: text(fields.shop_text),
                sponsored: doc
                    .get_first(fields.sponsored)
                    .and_then(|v| v.as_bool())
                    .unwrap_or_default(),
                in_stock: in_stock(&searcher, fields, ranked.address)?,
                score: ranked.score,
            });
        }
        Ok(SearchResults {
            total: usize::try_from(collected.total).unwrap_or(usize::MAX),
            hits,
            category_facets: top_values(collected.categories),
            shop_facets: top_values(collected.shops),
            price_facets: price_facets(&collected.prices),
            corrected_text: corrected,
        })
    }

    /// Autocomplete for `prefix`: completions of its last word from the words of product titles
    /// (most frequent first, and co-occurring with the preceding words), each returned with the
    /// preceding words, lowercased. At most `limit` (capped at 20).
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        let searcher = self.inner.reader.searcher();
        suggest::suggest(&searcher, &self.inner.fields, prefix, limit)
    }
}

/// Whether the document at `address` is in stock (the flag is indexed, not stored).
fn in_stock(searcher: &Searcher, fields: &Fields, address: DocAddress) -> Result<bool> {
    let segment = searcher.segment_reader(address.segment_ord);
    let term = Term::from_field_bool(fields.in_stock, true);
    let Some(mut postings) = segment
        .inverted_index(fields.in_stock)?
        .read_postings(&term, IndexRecordOption::Basic)?
    else {
        return Ok(false);
    };
    // Postings only seek forwards, from their first document.
    Ok(postings.doc() <= address.doc_id && postings.seek(address.doc_id) == address.doc_id)
}
