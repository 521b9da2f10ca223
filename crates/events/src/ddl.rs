//! The SQL that captures changes for one event trigger: per enabled operation a plpgsql
//! function `hdb_catalog."notify_hasura_<name>_<OP>"()` and an `AFTER <OP> ... FOR EACH ROW`
//! trigger of the same name calling it (Hasura's names, so either engine finds them).
//! Pure: text in, text out, snapshot-tested.

use rasura_resolve::{EventOperation, ResolvedEventTrigger};
use rasura_sql::print::{quote_ident, quote_literal};

/// The three row operations a trigger can capture.
pub const OPS: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];

/// `notify_hasura_<name>_<OP>`: the name of both the function and the trigger.
pub fn object_name(trigger: &str, op: &str) -> String {
    format!("notify_hasura_{trigger}_{op}")
}

/// The operations `t` captures, with their column specifications.
pub fn operations(t: &ResolvedEventTrigger) -> Vec<(&'static str, &EventOperation)> {
    let mut out = vec![];
    for (op, spec) in OPS.iter().zip([&t.insert, &t.update, &t.delete]) {
        if let Some(spec) = spec {
            out.push((*op, spec));
        }
    }
    out
}

/// `row_to_json(ROW)` for every column, or `json_build_object('c', ROW."c", ...)`.
fn row_json(row: &str, payload: &Option<Vec<String>>) -> String {
    match payload {
        None => format!("row_to_json({row})"),
        Some(cols) => {
            let parts: Vec<String> = cols
                .iter()
                .map(|c| format!("{}, {row}.{}", quote_literal(c), quote_ident(c)))
                .collect();
            format!("json_build_object({})", parts.join(", "))
        }
    }
}

/// The condition under which an UPDATE is recorded: a listened column changed (compared
/// byte-wise, so columns of types without equality, such as json, work too).
fn update_condition(listened: &Option<Vec<String>>) -> String {
    match listened {
        None => "OLD *<> NEW".into(),
        Some(cols) => {
            let side = |row: &str| {
                let parts: Vec<String> = cols
                    .iter()
                    .map(|c| format!("{row}.{}", quote_ident(c)))
                    .collect();
                // A sub-select makes a record even of one column (`ROW(x)` would be `x`).
                format!("(SELECT _r FROM (SELECT {}) AS _r)", parts.join(", "))
            };
            format!("{} *<> {}", side("OLD"), side("NEW"))
        }
    }
}

/// The plpgsql body of the function for `op`.
fn function_body(t: &ResolvedEventTrigger, op: &str, spec: &EventOperation) -> String {
    let old = match op {
        "INSERT" => "NULL".to_string(),
        _ => row_json("OLD", &spec.payload),
    };
    let new = match op {
        "DELETE" => "NULL".to_string(),
        _ => row_json("NEW", &spec.payload),
    };
    let record = format!(
        "PERFORM hdb_catalog.insert_event_log({}, {}, {}, {}, json_build_object('old', {old}, 'new', {new}));",
        quote_literal(&t.table.schema),
        quote_literal(&t.table.name),
        quote_literal(&t.name),
        quote_literal(op),
    );
    let guarded = if op == "UPDATE" {
        format!(
            "IF {} THEN\n    {record}\n  END IF;",
            update_condition(&spec.listened)
        )
    } else {
        record
    };
    format!("\nBEGIN\n  {guarded}\n  RETURN NULL;\nEND;\n")
}

/// Creates (or replaces) the function and the trigger for one operation.
pub fn create_operation(t: &ResolvedEventTrigger, op: &str, spec: &EventOperation) -> String {
    let name = quote_ident(&object_name(&t.name, op));
    let table = format!(
        "{}.{}",
        quote_ident(&t.table.schema),
        quote_ident(&t.table.name)
    );
    format!(
        "CREATE OR REPLACE FUNCTION hdb_catalog.{name}() RETURNS trigger LANGUAGE plpgsql AS {};\n\
         DROP TRIGGER IF EXISTS {name} ON {table};\n\
         CREATE TRIGGER {name} AFTER {op} ON {table} FOR EACH ROW EXECUTE PROCEDURE hdb_catalog.{name}();\n",
        quote_literal(&function_body(t, op, spec)),
    )
}

/// The function's body as Postgres stores it (`pg_proc.prosrc`), to tell whether it changed.
pub fn stored_body(t: &ResolvedEventTrigger, op: &str, spec: &EventOperation) -> String {
    function_body(t, op, spec)
}

/// Drops a trigger (if its table still has it) and its function.
pub fn drop_operation(name: &str, table: Option<&str>) -> String {
    let name = quote_ident(name);
    let mut sql = String::new();
    if let Some(table) = table {
        sql.push_str(&format!("DROP TRIGGER IF EXISTS {name} ON {table};\n"));
    }
    sql.push_str(&format!(
        "DROP FUNCTION IF EXISTS hdb_catalog.{name}() CASCADE;\n"
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasura_metadata::QualifiedName;

    fn trigger() -> ResolvedEventTrigger {
        ResolvedEventTrigger {
            name: "user_changed".into(),
            table: QualifiedName::public("user"),
            enable_manual: false,
            insert: Some(EventOperation {
                listened: None,
                payload: None,
            }),
            update: Some(EventOperation {
                listened: Some(vec!["name".into(), "it's".into()]),
                payload: Some(vec!["id".into(), "name".into()]),
            }),
            delete: None,
            webhook: "http://127.0.0.1:1/event".into(),
            headers: vec![],
            num_retries: 0,
            interval_sec: 10,
            timeout_sec: 60,
            cleanup: None,
            request_transform: None,
            response_transform: None,
        }
    }

    #[test]
    fn insert_and_update_functions() {
        let t = trigger();
        let sql: Vec<String> = operations(&t)
            .into_iter()
            .map(|(op, spec)| create_operation(&t, op, spec))
            .collect();
        insta::assert_snapshot!(sql.join("\n"));
    }

    #[test]
    fn drops() {
        insta::assert_snapshot!(drop_operation(
            "notify_hasura_user_changed_DELETE",
            Some("\"public\".\"user\"")
        ));
    }
}
