//! The rows of enum tables (`is_enum` in metadata): data, not catalog, but read with it so that
//! resolution stays a pure function of metadata and catalog.

use tokio_postgres::GenericClient;

use crate::Catalog;

/// An enum table's rows: each value (its primary key) and its comment, sorted by value.
pub type EnumRows = Vec<(String, Option<String>)>;

/// Reads the rows of those of `tables` (schema, name) not read yet into `catalog.enum_rows`.
/// A table is read when it exists with a one-column primary key; its second column, if it has
/// exactly two, is the comment. Whether it qualifies as an enum table is resolution's to say.
/// Like Hasura, values are read when the metadata or the catalog is (re)loaded, not when rows
/// change: rows written later show after `reload_metadata` or a restart.
pub async fn load_enum_rows(
    client: &impl GenericClient,
    catalog: &mut Catalog,
    tables: &[(String, String)],
) {
    for (schema, name) in tables {
        if catalog
            .enum_rows
            .contains_key(&(schema.clone(), name.clone()))
        {
            continue;
        }
        let Some(t) = catalog.table(schema, name) else {
            continue;
        };
        let Some([pk]) = t.primary_key.as_ref().map(|p| p.columns.as_slice()) else {
            continue;
        };
        let comment = match t.columns.as_slice() {
            [a, b] => Some(if &a.name == pk { &b.name } else { &a.name }),
            _ => None,
        };
        let sql = format!(
            "SELECT {}::text, {} FROM {}.{}",
            quote(pk),
            comment.map_or("NULL::text".to_string(), |c| format!("{}::text", quote(c))),
            quote(schema),
            quote(name)
        );
        // Unnamed: nothing left prepared on the connection (a pooler may hand it on).
        let rows = match client.query_typed(&sql, &[]).await {
            Ok(rows) => {
                let mut rows: EnumRows = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
                rows.sort();
                Ok(rows)
            }
            Err(e) => Err(e.to_string()),
        };
        catalog
            .enum_rows
            .insert((schema.clone(), name.clone()), rows);
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Carries the enum rows `previous` read over to `catalog` (a re-read of the same database), for
/// the tables whose columns and primary key did not change (others are read again).
pub fn keep_enum_rows(catalog: &mut Catalog, previous: &Catalog) {
    let shape = |t: &crate::Table| {
        let cols: Vec<(String, String)> = t
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.type_name.clone()))
            .collect();
        (cols, t.primary_key.as_ref().map(|p| p.columns.clone()))
    };
    for (key, rows) in &previous.enum_rows {
        let (Some(now), Some(before)) = (
            catalog.table(&key.0, &key.1),
            previous.table(&key.0, &key.1),
        ) else {
            continue;
        };
        if shape(now) == shape(before) {
            catalog.enum_rows.insert(key.clone(), rows.clone());
        }
    }
}
