//! The rows of enum tables (`is_enum` in metadata): data, not catalog, but read with it so that
//! resolution stays a pure function of metadata and catalog.

use tokio_postgres::GenericClient;

use crate::Catalog;

/// An enum table's rows: each value (its primary key) and its comment, sorted by value.
pub type EnumRows = Vec<(String, Option<String>)>;

/// Reads the rows of `tables` (schema, name) into `catalog.enum_rows`. A table is read when it
/// exists with a one-column primary key; its second column, if it has exactly two, is the
/// comment. Whether it qualifies as an enum table is resolution's to say.
pub async fn load_enum_rows(
    client: &impl GenericClient,
    catalog: &mut Catalog,
    tables: &[(String, String)],
) {
    for (schema, name) in tables {
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
        let rows = match client.query(&sql, &[]).await {
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
