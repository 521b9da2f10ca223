//! A request's own conditions on columns (and computed fields) the role sees only on some rows
//! (an inherited role's columns that only some parents allow): such a value compares as NULL
//! where it is hidden, with SQL's three-valued logic, so that a `where` (even under `_not`)
//! cannot find out what the response would not show.

use crate::types::BoolExp;

/// `exp` (the request's `where`, not the permission) holding only where it is true with every
/// hidden-where-`cond` value of this table taken as NULL.
pub fn redact_filter(exp: BoolExp, redactions: &[(String, BoolExp)]) -> BoolExp {
    if redactions.is_empty() {
        return exp;
    }
    redacted(exp, redactions).0
}

/// (where `exp` is true, where it is false) with hidden values taken as NULL: neither holds
/// where a comparison meets a hidden value, as SQL's NULL is neither.
fn redacted(exp: BoolExp, redactions: &[(String, BoolExp)]) -> (BoolExp, BoolExp) {
    let cond = |name: &str| {
        redactions
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, cond)| cond.clone())
    };
    let not = |e: BoolExp| BoolExp::Not(Box::new(e));
    match exp {
        BoolExp::And(items) => {
            let (t, f): (Vec<_>, Vec<_>) =
                items.into_iter().map(|e| redacted(e, redactions)).unzip();
            (BoolExp::And(t), BoolExp::Or(f))
        }
        BoolExp::Or(items) => {
            let (t, f): (Vec<_>, Vec<_>) =
                items.into_iter().map(|e| redacted(e, redactions)).unzip();
            (BoolExp::Or(t), BoolExp::And(f))
        }
        BoolExp::Not(e) => {
            let (t, f) = redacted(*e, redactions);
            (f, t)
        }
        BoolExp::Compare { ref column, .. } | BoolExp::CompareColumns { ref column, .. } => {
            match cond(&column.name) {
                // Hidden, the comparison is NULL: neither true nor false.
                Some(c) => (
                    BoolExp::And(vec![c.clone(), exp.clone()]),
                    BoolExp::And(vec![c, not(exp)]),
                ),
                None => (exp.clone(), not(exp)),
            }
        }
        BoolExp::IsNull {
            ref column,
            is_null,
        } => match cond(&column.name) {
            // Hidden is NULL: `_is_null: true` holds there, `_is_null: false` fails there.
            Some(c) => {
                let hidden = not(c.clone());
                let shown = |e: BoolExp| BoolExp::And(vec![c.clone(), e]);
                if is_null {
                    (BoolExp::Or(vec![hidden, exp.clone()]), shown(not(exp)))
                } else {
                    (shown(exp.clone()), BoolExp::Or(vec![hidden, not(exp)]))
                }
            }
            None => (exp.clone(), not(exp)),
        },
        other => (other.clone(), not(other)),
    }
}
