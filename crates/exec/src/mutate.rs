//! Nested inserts, row by row inside the mutation's transaction: related rows of object
//! relationships first (their keys fill the row's foreign key), then the row, then rows of
//! array relationships (the row's key fills theirs); the answer is read back by `ctid` (the
//! related rows, which may be views' rows, by their returned values).

use rasura_ir::{ColumnRef, InsertRow, Mutation, MutationKind, NestedInsert, OnConflict};
use rasura_metadata::QualifiedName;
use serde_json::Value;

use crate::error::GqlError;
use crate::statement::run_statement;

/// A statement with its query tags (`execute::Tagging`).
pub(crate) type Tag<'a> = &'a (dyn Fn(&str) -> String + Send + Sync);

/// Runs a nested insert and returns its response JSON; every statement is tagged by `tag`.
pub(crate) async fn nested_insert(
    client: &impl crate::statement::Conn,
    m: &Mutation,
    stringify: bool,
    tag: Tag<'_>,
) -> Result<String, GqlError> {
    let MutationKind::Insert {
        rows,
        on_conflict,
        check,
    } = &m.kind
    else {
        return Err(GqlError::new(
            "unexpected",
            "$",
            "a nested insert plan without an insert",
        ));
    };
    let mut affected = 0u64;
    let mut ctids = vec![];
    for row in rows {
        let target = Target {
            table: &m.table,
            on_conflict: on_conflict.as_ref(),
            check: check.as_ref(),
            with_ctid: true,
            tag,
        };
        if let Some((ctid, _)) = insert_one(client, target, row, &[], &mut affected).await? {
            ctids.extend(ctid);
        }
    }
    let options = rasura_translate::Options {
        stringify_numeric: stringify,
    };
    let t = rasura_translate::rows_by_ctid(
        &m.table,
        &m.output,
        &ctids,
        affected,
        &m.returning_filter,
        options,
    );
    Ok(run_statement(client, &tag(&t.sql()), &t.params.0)
        .await?
        .unwrap_or_else(|| "null".into()))
}

/// The future of one row's insert: its ctid (when asked for) and JSON, or `None` when skipped.
type BoxedInsert<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Option<(Option<String>, Value)>, GqlError>>
            + Send
            + 'a,
    >,
>;

/// Where one row goes: the table, what to do on a conflict, the permission check, and whether
/// its `ctid` is read back (top-level rows; related rows may be views' rows, without one).
struct Target<'a> {
    table: &'a QualifiedName,
    on_conflict: Option<&'a OnConflict>,
    check: Option<&'a rasura_ir::BoolExp>,
    with_ctid: bool,
    tag: Tag<'a>,
}

/// Inserts one row with everything nested in it; returns its ctid and JSON, or `None` when
/// `on_conflict` skipped it.
fn insert_one<'a, C: crate::statement::Conn>(
    client: &'a C,
    target: Target<'a>,
    row: &'a InsertRow,
    inherited: &'a [(ColumnRef, Value)],
    affected: &'a mut u64,
) -> BoxedInsert<'a> {
    let Target {
        table,
        on_conflict,
        check,
        with_ctid,
        tag,
    } = target;
    Box::pin(async move {
        let mut extra: Vec<(ColumnRef, Value)> = inherited.to_vec();
        for rel in &row.object_rels {
            let parent = insert_related(client, rel, &[], affected, tag).await?;
            let Some(parent) = parent.into_iter().next() else {
                return Err(GqlError::validation(
                    "$",
                    format!("cannot proceed to insert the object relationship row of \"{}\": nothing was inserted", rel.table),
                ));
            };
            for (mine, theirs) in &rel.mapping {
                extra.push((
                    mine.clone(),
                    parent.get(&theirs.name).cloned().unwrap_or(Value::Null),
                ));
            }
        }
        let t = rasura_translate::insert_row(table, row, &extra, on_conflict, check, with_ctid);
        let sql = tag(&t.sql());
        let found = crate::statement::rows(client, &sql, &t.params.0)
            .await?
            .into_iter()
            .next();
        let Some(found) = found else {
            // A parent row skipped (an upsert doing nothing) leaves its array rows no parent.
            if !row.array_rels.is_empty() {
                return Err(GqlError::validation(
                    "$",
                    format!("cannot proceed to insert array relations since insert to table \"{table}\" affects zero rows"),
                ));
            }
            return Ok(None);
        };
        *affected += 1;
        let ctid: Option<String> = found.get(0);
        let json: String = found.get(1);
        let inserted: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        for rel in &row.array_rels {
            let keys: Vec<(ColumnRef, Value)> = rel
                .mapping
                .iter()
                .map(|(mine, theirs)| {
                    (
                        theirs.clone(),
                        inserted.get(&mine.name).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            insert_related(client, rel, &keys, affected, tag).await?;
        }
        Ok(Some((ctid, inserted)))
    })
}

/// Inserts the rows of a relationship; returns the inserted rows as JSON.
async fn insert_related<C: crate::statement::Conn>(
    client: &C,
    rel: &NestedInsert,
    keys: &[(ColumnRef, Value)],
    affected: &mut u64,
    tag: Tag<'_>,
) -> Result<Vec<Value>, GqlError> {
    let mut out = vec![];
    for row in &rel.rows {
        let target = Target {
            table: &rel.table,
            on_conflict: rel.on_conflict.as_ref(),
            check: rel.check.as_ref(),
            with_ctid: false,
            tag,
        };
        if let Some((_, json)) = insert_one(client, target, row, keys, affected).await? {
            out.push(json);
        }
    }
    Ok(out)
}
