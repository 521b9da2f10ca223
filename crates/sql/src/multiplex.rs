//! One statement for many parameter sets: `$n` read from the n-th element of each set of a
//! JSON array (live queries of one statement polled at once; joins of one shape run at once).

/// `$n` parameters of `sql` replaced by the n-th element of the parameter set `"_subs"."v"`
/// (quoted identifiers and string literals are left alone).
pub fn parameterize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                let index: usize = n.parse().unwrap_or(1);
                out.push_str(&format!("(\"_subs\".\"v\" ->> {})", index - 1));
            }
            None => out.push(c),
        }
    }
    out
}

/// The statement answering many parameter sets: `$1` is a JSON array of them; a row per set,
/// its number (from 1) and the answer as text.
pub fn multiplexed(sql: &str) -> String {
    format!(
        "SELECT \"_subs\".\"i\"::int8, ({})::text FROM json_array_elements($1::text::json) WITH ORDINALITY AS \"_subs\"(\"v\", \"i\")",
        parameterize(sql)
    )
}

/// As [`multiplexed`], answered as one JSON text: `[[number, answer], ...]` in order of number.
pub fn multiplexed_one(sql: &str) -> String {
    format!(
        "SELECT coalesce(json_agg(json_build_array(\"_subs\".\"i\", ({})::json) ORDER BY \"_subs\".\"i\"), '[]')::text FROM json_array_elements($1::text::json) WITH ORDINALITY AS \"_subs\"(\"v\", \"i\")",
        parameterize(sql)
    )
}
