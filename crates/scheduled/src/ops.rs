//! The metadata API's operations over scheduled events: `create_scheduled_event`,
//! `delete_scheduled_event`, `get_scheduled_events`, `get_scheduled_event_invocations`
//! (Hasura's argument and answer shapes). They run in the control plane's transaction.

use rasura_metadata::cron_triggers::{self, ScheduledRetryConf};
use rasura_metadata::event_triggers::{check_headers, check_url, HeaderConf};
use rasura_metadata::{Metadata, MetadataError};
use serde_json::{json, Map, Value};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Row};

use crate::payload::{iso, parse_time};
use crate::store::{Kind, CHANNEL};

fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, MetadataError> {
    serde_json::from_value(v.clone()).map_err(|e| MetadataError::Parse(format!("{what}: {e}")))
}

fn db(e: tokio_postgres::Error) -> MetadataError {
    MetadataError::BadRequest(format!("database query error: {e}"))
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Result<&'a str, MetadataError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| MetadataError::Parse(format!("key \"{key}\" not found")))
}

fn kind(args: &Value) -> Result<Kind, MetadataError> {
    match str_arg(args, "type")? {
        "cron" => Ok(Kind::Cron),
        "one_off" => Ok(Kind::OneOff),
        other => Err(MetadataError::Parse(format!(
            "unexpected type: {other}; expected \"one_off\" or \"cron\""
        ))),
    }
}

/// `create_scheduled_event {webhook, schedule_at, payload?, headers?, retry_conf?, comment?,
/// request_transform?, response_transform?}` → `{message, event_id}`.
pub async fn create_scheduled_event(
    client: &impl GenericClient,
    args: &Value,
) -> Result<Value, MetadataError> {
    let webhook = str_arg(args, "webhook")?;
    check_url(webhook)?;
    let at = str_arg(args, "schedule_at")?;
    let micros = parse_time(at).ok_or_else(|| {
        MetadataError::Parse(format!(
            "schedule_at: could not parse \"{at}\" as an ISO-8601 time"
        ))
    })?;
    let retry: ScheduledRetryConf = match args.get("retry_conf") {
        None | Some(Value::Null) => ScheduledRetryConf::default(),
        Some(v) => parse(v, "retry_conf")?,
    };
    retry.check()?;
    let headers: Vec<HeaderConf> = match args.get("headers") {
        None | Some(Value::Null) => vec![],
        Some(v) => parse(v, "headers")?,
    };
    check_headers(&headers)?;
    if let Some(t) = args.get("response_transform").filter(|v| !v.is_null()) {
        rasura_transform::response::check(t)
            .map_err(|e| MetadataError::Parse(format!("response_transform: {e}")))?;
    }
    let transform =
        |k: &str| -> Option<String> { args.get(k).filter(|v| !v.is_null()).map(|v| v.to_string()) };
    let payload = args
        .get("payload")
        .filter(|v| !v.is_null())
        .map(|v| v.to_string());
    let comment = args.get("comment").and_then(Value::as_str);
    let row = client
        .query_typed_one(
            "INSERT INTO hdb_catalog.hdb_scheduled_events \
               (webhook_conf, scheduled_time, retry_conf, payload, header_conf, comment, \
                request_transform, response_transform) \
             VALUES ($1::text::json, to_timestamp($2::float8 / 1000000), $3::text::json, \
               $4::text::json, $5::text::json, $6, $7::text::json, $8::text::json) \
             RETURNING id",
            &[
                (&json!(webhook).to_string(), Type::TEXT),
                (&(micros as f64), Type::FLOAT8),
                (
                    &serde_json::to_string(&retry).unwrap_or_default(),
                    Type::TEXT,
                ),
                (&payload, Type::TEXT),
                (
                    &serde_json::to_string(&headers).unwrap_or_default(),
                    Type::TEXT,
                ),
                (&comment, Type::TEXT),
                (&transform("request_transform"), Type::TEXT),
                (&transform("response_transform"), Type::TEXT),
            ],
        )
        .await
        .map_err(db)?;
    client
        .batch_execute(&format!("NOTIFY {CHANNEL}"))
        .await
        .map_err(db)?;
    let id: String = row.get(0);
    Ok(json!({"message": "success", "event_id": id}))
}

/// `delete_scheduled_event {type, event_id}`: its invocation logs go with it.
pub async fn delete_scheduled_event(
    client: &impl GenericClient,
    args: &Value,
) -> Result<Value, MetadataError> {
    let kind = kind(args)?;
    let id = str_arg(args, "event_id")?;
    client
        .execute_typed(
            &format!("DELETE FROM {} WHERE id = $1", kind.events()),
            &[(&id, Type::TEXT)],
        )
        .await
        .map_err(db)?;
    Ok(json!({"message": "success"}))
}

fn page(args: &Value) -> Result<(Option<i64>, i64, bool), MetadataError> {
    let int = |k: &str| -> Result<Option<i64>, MetadataError> {
        match args.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                MetadataError::Parse(format!("{k}: expected a non-negative integer"))
            }),
        }
    };
    let count = args
        .get("get_rows_count")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok((int("limit")?, int("offset")?.unwrap_or(0), count))
}

fn cron_trigger_exists(md: &Metadata, name: &str) -> Result<(), MetadataError> {
    if cron_triggers::all(md).iter().any(|t| t.name == name) {
        Ok(())
    } else {
        Err(MetadataError::NotExists(format!(
            "cron trigger with name: {name} does not exist"
        )))
    }
}

fn time_or_null(micros: Option<i64>) -> Value {
    micros.map(|m| json!(iso(m))).unwrap_or(Value::Null)
}

fn json_col(r: &Row, i: usize) -> Value {
    r.get::<_, Option<String>>(i)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

const TIMES: &str = "(extract(epoch FROM scheduled_time) * 1000000)::int8, \
    (extract(epoch FROM created_at) * 1000000)::int8, \
    (extract(epoch FROM next_retry_at) * 1000000)::int8";

/// `get_scheduled_events {type, trigger_name?, limit?, offset?, status?, get_rows_count?}`:
/// by scheduled time.
pub async fn get_scheduled_events(
    client: &impl GenericClient,
    md: &Metadata,
    args: &Value,
) -> Result<Value, MetadataError> {
    let kind = kind(args)?;
    let (limit, offset, with_count) = page(args)?;
    let statuses: Vec<String> = match args.get("status") {
        None | Some(Value::Null) => vec![],
        Some(v) => parse(v, "status")?,
    };
    if let Some(s) = statuses
        .iter()
        .find(|s| !["scheduled", "locked", "delivered", "error", "dead"].contains(&s.as_str()))
    {
        return Err(MetadataError::Parse(format!("unexpected status: {s}")));
    }
    let trigger = match kind {
        Kind::Cron => {
            let name = str_arg(args, "trigger_name")?.to_string();
            cron_trigger_exists(md, &name)?;
            name
        }
        Kind::OneOff => String::new(),
    };
    let filter = "(cardinality($1::text[]) = 0 OR status = ANY($1)) \
        AND ($2 = '' OR trigger_name = $2)";
    let filter = match kind {
        Kind::Cron => filter.to_string(),
        Kind::OneOff => filter.replace("trigger_name = $2", "true"),
    };
    let columns = match kind {
        Kind::Cron => format!("id, trigger_name, {TIMES}, status, tries"),
        Kind::OneOff => format!(
            "id, webhook_conf::text, {TIMES}, status, tries, retry_conf::text, payload::text, \
             header_conf::text, comment, request_transform::text, response_transform::text"
        ),
    };
    let sql = format!(
        "SELECT {columns} FROM {} WHERE {filter} ORDER BY scheduled_time, id \
         LIMIT $3 OFFSET $4",
        kind.events()
    );
    let params: [(&(dyn ToSql + Sync), Type); 4] = [
        (&statuses, Type::TEXT_ARRAY),
        (&trigger, Type::TEXT),
        (&limit, Type::INT8),
        (&offset, Type::INT8),
    ];
    let rows = client.query_typed(&sql, &params).await.map_err(db)?;
    let events: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("id".into(), json!(r.get::<_, String>(0)));
            match kind {
                Kind::Cron => m.insert("trigger_name".into(), json!(r.get::<_, String>(1))),
                Kind::OneOff => m.insert("webhook_conf".into(), json_col(r, 1)),
            };
            m.insert("scheduled_time".into(), time_or_null(r.get(2)));
            if kind == Kind::OneOff {
                m.insert("retry_conf".into(), json_col(r, 7));
                m.insert("payload".into(), json_col(r, 8));
                m.insert("header_conf".into(), json_col(r, 9));
            }
            m.insert("status".into(), json!(r.get::<_, String>(5)));
            m.insert("tries".into(), json!(r.get::<_, i32>(6)));
            m.insert("created_at".into(), time_or_null(r.get(3)));
            m.insert("next_retry_at".into(), time_or_null(r.get(4)));
            if kind == Kind::OneOff {
                m.insert("comment".into(), json!(r.get::<_, Option<String>>(10)));
                m.insert("request_transform".into(), json_col(r, 11));
                m.insert("response_transform".into(), json_col(r, 12));
            }
            Value::Object(m)
        })
        .collect();
    let mut answer = json!({ "events": events });
    if with_count {
        let sql = format!("SELECT count(*) FROM {} WHERE {filter}", kind.events());
        let params: [(&(dyn ToSql + Sync), Type); 2] =
            [(&statuses, Type::TEXT_ARRAY), (&trigger, Type::TEXT)];
        let n: i64 = client
            .query_typed_one(&sql, &params)
            .await
            .map_err(db)?
            .get(0);
        answer["count"] = json!(n);
    }
    Ok(answer)
}

/// `get_scheduled_event_invocations {type, event_id | trigger_name, limit?, offset?,
/// get_rows_count?}`: newest first.
pub async fn get_scheduled_event_invocations(
    client: &impl GenericClient,
    md: &Metadata,
    args: &Value,
) -> Result<Value, MetadataError> {
    let kind = kind(args)?;
    let (limit, offset, with_count) = page(args)?;
    let event_id = args
        .get("event_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let trigger = match (kind, event_id.is_empty()) {
        (Kind::Cron, true) => {
            let name = str_arg(args, "trigger_name")?.to_string();
            cron_trigger_exists(md, &name)?;
            name
        }
        _ => String::new(),
    };
    let from = match kind {
        Kind::Cron => format!(
            "{} l JOIN {} e ON e.id = l.event_id \
             WHERE ($1 = '' OR l.event_id = $1) AND ($2 = '' OR e.trigger_name = $2)",
            kind.logs(),
            kind.events()
        ),
        Kind::OneOff => format!(
            "{} l WHERE ($1 = '' OR l.event_id = $1) AND $2 = $2",
            kind.logs()
        ),
    };
    let sql = format!(
        "SELECT l.id, l.event_id, l.status, l.request::text, l.response::text, \
           (extract(epoch FROM l.created_at) * 1000000)::int8 \
         FROM {from} ORDER BY l.created_at DESC, l.id LIMIT $3 OFFSET $4"
    );
    let params: [(&(dyn ToSql + Sync), Type); 4] = [
        (&event_id, Type::TEXT),
        (&trigger, Type::TEXT),
        (&limit, Type::INT8),
        (&offset, Type::INT8),
    ];
    let rows = client.query_typed(&sql, &params).await.map_err(db)?;
    let invocations: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.get::<_, String>(0),
                "event_id": r.get::<_, Option<String>>(1),
                "status": r.get::<_, Option<i32>>(2),
                "request": json_col(r, 3),
                "response": json_col(r, 4),
                "created_at": time_or_null(r.get(5)),
            })
        })
        .collect();
    let mut answer = json!({ "invocations": invocations });
    if with_count {
        let sql = format!("SELECT count(*) FROM {from}");
        let params: [(&(dyn ToSql + Sync), Type); 2] =
            [(&event_id, Type::TEXT), (&trigger, Type::TEXT)];
        let n: i64 = client
            .query_typed_one(&sql, &params)
            .await
            .map_err(db)?
            .get(0);
        answer["count"] = json!(n);
    }
    Ok(answer)
}
