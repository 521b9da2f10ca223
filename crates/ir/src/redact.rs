//! A request's own conditions on columns the role sees only on some rows (an inherited role's
//! columns that only some parents allow): such a column compares as NULL where it is hidden,
//! so a `where` cannot find out what the response would not show.

use crate::types::BoolExp;

/// `exp` (the request's `where`, not the permission) with every comparison on a hidden-where-
/// `cond` column of this table made to see NULL where `cond` fails.
pub fn redact_filter(exp: BoolExp, redactions: &[(String, BoolExp)]) -> BoolExp {
    if redactions.is_empty() {
        return exp;
    }
    let cond = |name: &str| {
        redactions
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, cond)| cond.clone())
    };
    match exp {
        BoolExp::And(items) => BoolExp::And(
            items
                .into_iter()
                .map(|e| redact_filter(e, redactions))
                .collect(),
        ),
        BoolExp::Or(items) => BoolExp::Or(
            items
                .into_iter()
                .map(|e| redact_filter(e, redactions))
                .collect(),
        ),
        BoolExp::Not(e) => BoolExp::Not(Box::new(redact_filter(*e, redactions))),
        BoolExp::Compare { ref column, .. } | BoolExp::CompareColumns { ref column, .. }
            if column.computed.is_none() =>
        {
            match cond(&column.name) {
                // NULL compared is never true: the row passes only where the value shows.
                Some(c) => BoolExp::And(vec![c, exp]),
                None => exp,
            }
        }
        BoolExp::IsNull {
            ref column,
            is_null,
        } if column.computed.is_none() => match cond(&column.name) {
            // Hidden is NULL: `_is_null: true` holds where the value is hidden.
            Some(c) if is_null => BoolExp::Or(vec![BoolExp::Not(Box::new(c)), exp]),
            Some(c) => BoolExp::And(vec![c, exp]),
            None => exp,
        },
        other => other,
    }
}
