//! The PostgreSQL catalog as typed data, loaded by one query (`catalog.sql`); knows nothing of GraphQL.

use std::collections::HashMap;

use serde::Deserialize;
use thiserror::Error;

mod enum_rows;

pub use enum_rows::{keep_enum_rows, load_enum_rows, EnumRows};

/// The introspection query: one JSON document describing the database, or part of it
/// (`{{part}}` and `{{parts}}` are replaced before it is sent).
const CATALOG_SQL: &str = include_str!("catalog.sql");

/// Failure to read the catalog.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("catalog query failed: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("the catalog query returned no document")]
    Empty,
    #[error("catalog document did not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// A schema-qualified name as the catalog reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct Name {
    pub schema: String,
    pub name: String,
}

/// Everything the engine needs to know of the database.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Catalog {
    /// Shared with the resolved tables built from them (`Arc`: a table's facts are kept once).
    pub tables: Vec<std::sync::Arc<Table>>,
    pub enums: Vec<Enum>,
    pub functions: Vec<Function>,
    pub server_version: i32,
    /// The rows of the enum tables, by (schema, name): see `enum_rows.rs`.
    #[serde(skip)]
    pub enum_rows: HashMap<(String, String), Result<EnumRows, String>>,
    /// A hash of the document it was read from: equal for an unchanged database catalog.
    #[serde(skip)]
    pub fingerprint: u64,
    /// The database's catalog version ([`version`]) read just before the catalog itself.
    #[serde(skip)]
    pub version: Option<String>,
    /// Why the source's database could not be read (the catalog is empty then).
    #[serde(skip)]
    pub unreachable: Option<String>,
    /// The driver's account of why (Hasura's `message` of the source's inconsistency).
    #[serde(skip)]
    pub unreachable_message: Option<String>,
    #[serde(skip)]
    index: HashMap<(String, String), usize>,
    /// The catalogs of the other database sources served at once, by source name (only the
    /// catalog of the source served first holds them).
    #[serde(skip)]
    pub sources: std::collections::BTreeMap<String, std::sync::Arc<Catalog>>,
}

/// A table, view, materialized view or foreign table.
#[derive(Debug, Clone, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// `pg_class.oid`: the same table under a new name after `ALTER TABLE ... RENAME`.
    #[serde(default)]
    pub oid: i64,
    /// `pg_class.relkind`: `r`, `p`, `v`, `m`, `f`.
    pub kind: String,
    pub description: Option<String>,
    pub insertable: bool,
    pub updatable: bool,
    pub deletable: bool,
    pub columns: Vec<Column>,
    pub primary_key: Option<Constraint>,
    pub unique_constraints: Vec<Constraint>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// A column with its type.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    pub name: String,
    pub position: i32,
    /// `pg_type.typname`, e.g. `int4`, `text`, `_text`.
    #[serde(rename = "type")]
    pub type_name: String,
    pub type_schema: String,
    /// `pg_type.typtype`: `b` base, `c` composite, `d` domain, `e` enum, `r` range, `m` multirange, `p` pseudo.
    pub type_kind: String,
    /// `pg_type.typcategory`: `A` array, `N` numeric, `S` string, ...
    pub type_category: String,
    pub elem_type: Option<String>,
    pub elem_schema: Option<String>,
    /// `format_type`, e.g. `character varying(3)`.
    pub display_type: String,
    pub nullable: bool,
    pub has_default: bool,
    pub is_identity: bool,
    /// `GENERATED ALWAYS AS IDENTITY` (not `BY DEFAULT`): no value may be given for it.
    #[serde(default)]
    pub identity_always: bool,
    pub is_generated: bool,
    pub description: Option<String>,
}

impl Column {
    pub fn is_array(&self) -> bool {
        self.type_category == "A"
    }
}

/// A primary key or unique constraint.
#[derive(Debug, Clone, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub columns: Vec<String>,
}

/// A foreign key from this table's `columns` to `ref_table`'s `ref_columns`.
#[derive(Debug, Clone, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: Name,
    pub ref_columns: Vec<String>,
}

/// A Postgres enum type.
#[derive(Debug, Clone, Deserialize)]
pub struct Enum {
    pub schema: String,
    pub name: String,
    pub values: Vec<String>,
}

/// A function (not a procedure, not from an extension).
#[derive(Debug, Clone, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    pub oid: i64,
    pub argument_names: Vec<String>,
    pub argument_types: Vec<Name>,
    pub argument_modes: Option<Vec<String>>,
    pub default_count: i32,
    pub return_type: ReturnType,
    pub returns_set: bool,
    /// `i` immutable, `s` stable, `v` volatile.
    pub volatility: String,
    pub description: Option<String>,
}

/// A function's return type.
#[derive(Debug, Clone, Deserialize)]
pub struct ReturnType {
    pub schema: String,
    pub name: String,
    pub kind: String,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn is_view(&self) -> bool {
        matches!(self.kind.as_str(), "v" | "m")
    }
}

impl Catalog {
    /// Decodes the document `catalog.sql` returns.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut c: Catalog = serde_json::from_str(text)?;
        c.build_index();
        c.fingerprint = fingerprint(&[text]);
        Ok(c)
    }

    /// Whether `other` is the same database catalog: the same document, enum rows and other
    /// sources (each as reachable as before).
    pub fn same_as(&self, other: &Catalog) -> bool {
        let same_source =
            |a: &Catalog, b: &Catalog| a.fingerprint == b.fingerprint && a.enum_rows == b.enum_rows;
        same_source(self, other)
            && self.sources.len() == other.sources.len()
            && self.sources.iter().all(|(name, c)| {
                other
                    .sources
                    .get(name)
                    .is_some_and(|o| same_source(c, o) && c.unreachable == o.unreachable)
            })
    }

    fn build_index(&mut self) {
        self.index = self
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| ((t.schema.clone(), t.name.clone()), i))
            .collect();
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&std::sync::Arc<Table>> {
        self.index
            .get(&(schema.to_string(), name.to_string()))
            .map(|&i| &self.tables[i])
    }

    /// Functions named `schema.name` (overloads included).
    pub fn functions_named<'a>(
        &'a self,
        schema: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Function> {
        self.functions
            .iter()
            .filter(move |f| f.schema == schema && f.name == name)
    }

    pub fn enum_type(&self, schema: &str, name: &str) -> Option<&Enum> {
        self.enums
            .iter()
            .find(|e| e.schema == schema && e.name == name)
    }
}

/// Runs `catalog.sql` on `client` (inside whatever transaction it is in).
///
/// JIT is turned off for it (`SET LOCAL`, so only for this statement's implicit transaction, or
/// for the rest of the caller's transaction): the planner's estimates for the catalog query are
/// high enough to trigger JIT compilation, which costs PostgreSQL more than a second with a
/// thousand tables while the query itself runs in about a tenth of that.
pub async fn load(client: &impl tokio_postgres::GenericClient) -> Result<Catalog, CatalogError> {
    // Read first: DDL between the two reads makes the next check read again, never miss it.
    let version = version(client).await.ok();
    let mut catalog = Catalog::from_json(&document(client, 0, 1).await?)?;
    catalog.version = version;
    Ok(catalog)
}

/// [`load`] in two halves read at once on two connections, each built by a PostgreSQL backend of
/// its own: a large catalog in little more than half the time (outside a transaction: DDL
/// between the reads makes the next version check read the catalog again).
pub async fn load_in_halves(
    a: &impl tokio_postgres::GenericClient,
    b: &impl tokio_postgres::GenericClient,
) -> Result<Catalog, CatalogError> {
    let version = version(a).await.ok();
    let (first, second) = tokio::try_join!(document(a, 0, 2), document(b, 1, 2))?;
    let mut catalog: Catalog = serde_json::from_str(&first)?;
    let rest: Catalog = serde_json::from_str(&second)?;
    catalog.tables.extend(rest.tables);
    catalog.build_index();
    catalog.fingerprint = fingerprint(&[&first, &second]);
    catalog.version = version;
    Ok(catalog)
}

/// The catalog document's part `part` of `parts` (`catalog.sql`).
async fn document(
    client: &impl tokio_postgres::GenericClient,
    part: u32,
    parts: u32,
) -> Result<String, CatalogError> {
    let sql = (CATALOG_SQL.replace("{{parts}}", &parts.to_string()))
        .replace("{{part}}", &part.to_string());
    let messages = client
        .simple_query(&format!("SET LOCAL jit = off;\n{sql}"))
        .await?;
    messages
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or(CatalogError::Empty)
}

/// A hash of the catalog's document, equal for equal documents.
fn fingerprint(texts: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    texts.iter().for_each(|t| std::hash::Hash::hash(t, &mut h));
    std::hash::Hasher::finish(&h)
}

/// The system catalogs the catalog is read from.
const SYSTEM_CATALOGS: [&str; 13] = [
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_constraint",
    "pg_index",
    "pg_type",
    "pg_enum",
    "pg_proc",
    "pg_description",
    "pg_depend",
    "pg_rewrite",
    "pg_inherits",
];

/// The row count and the sum of the row versions (`xmin`) of each of `SYSTEM_CATALOGS`: DDL
/// inserts, updates or deletes rows there, and a new row version always has a newer `xmin`, so
/// any DDL changes it. A tenth of the time of reading the catalog.
fn version_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let parts: Vec<String> = (SYSTEM_CATALOGS.iter())
            .map(|t| {
                format!("(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.{t})")
            })
            .collect();
        format!("SELECT concat_ws(',', {})", parts.join(", "))
    })
}

/// The database's catalog version: equal to the one a catalog was read with when no DDL ran
/// since (then the catalog need not be read again).
pub async fn version(client: &impl tokio_postgres::GenericClient) -> Result<String, CatalogError> {
    let messages = client.simple_query(version_sql()).await?;
    messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or(CatalogError::Empty)
}
