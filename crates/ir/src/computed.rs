//! Computed fields as values of a row: their function called on the row (and the session).

use crate::types::{ColumnRef, ComputedCall, Session};

/// A computed field as a value of the row: its function called on the row (and session).
pub(crate) fn computed_ref(c: &rasura_schema::ComputedInfo, session: &Session) -> ColumnRef {
    let (_, type_schema, type_name) = c.scalar.clone().unwrap_or_default();
    ColumnRef {
        name: c.name.clone(),
        type_schema,
        type_name,
        computed: Some(Box::new(computed_call(c, session))),
    }
}

pub(crate) fn computed_call(c: &rasura_schema::ComputedInfo, session: &Session) -> ComputedCall {
    ComputedCall {
        field: c.name.clone(),
        function: c.function.clone(),
        arity: c.arity,
        table_argument: c.table_argument,
        session_argument: c.session_argument,
        session: serde_json::to_string(&session.vars).unwrap_or_default(),
        args: vec![],
    }
}

/// The field's `args` added to its call: an argument without a default must be given.
pub(crate) fn with_args(
    mut call: ComputedCall,
    c: &rasura_schema::ComputedInfo,
    given: Option<&serde_json::Value>,
    path: &str,
) -> Result<ComputedCall, crate::error::IrError> {
    for (position, a) in &c.args {
        match given.and_then(|g| g.get(&a.field)) {
            Some(v) => call.args.push((
                *position,
                a.type_schema.clone(),
                a.type_name.clone(),
                v.clone(),
            )),
            None if a.has_default => {}
            None => {
                return Err(crate::error::IrError::new(
                    &format!("{path}.args.args"),
                    "Non default arguments cannot be omitted",
                )
                .with_code("not-supported"))
            }
        }
    }
    Ok(call)
}
