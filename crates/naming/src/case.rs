//! Casing of name pieces: split snake case, camelCase and PascalCase joins (only the first
//! character of a piece changes; the rest is kept as written).

/// Splits a snake-case name into pieces; a leading underscore stays on the first piece
/// (`_is_null` → `_is`, `null`).
pub fn from_snake(s: &str) -> Vec<String> {
    if s.is_empty() {
        return vec![];
    }
    let (lead, rest) = match s.strip_prefix('_') {
        Some(r) => ("_", r),
        None => ("", s),
    };
    let mut pieces: Vec<String> = rest.split('_').map(str::to_string).collect();
    if let Some(first) = pieces.first_mut() {
        first.insert_str(0, lead);
    }
    pieces
}

/// The first character upper-cased (after a leading underscore, none is changed).
pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first character lower-cased.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// camelCase: the first piece lower-first (as written when `first_custom`), the others
/// upper-first.
pub fn camel(pieces: &[String], first_custom: bool) -> String {
    join(pieces, first_custom, lower_first)
}

/// PascalCase: every piece upper-first (the first as written when `first_custom`).
pub fn pascal(pieces: &[String], first_custom: bool) -> String {
    join(pieces, first_custom, upper_first)
}

fn join(pieces: &[String], first_custom: bool, first: fn(&str) -> String) -> String {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        if i == 0 {
            out.push_str(&if first_custom { p.clone() } else { first(p) });
        } else {
            out.push_str(&upper_first(p));
        }
    }
    out
}
