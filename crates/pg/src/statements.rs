//! SQL text split into its statements (at semicolons outside quotes, dollar quotes and
//! comments), for SQL that must run one statement at a time outside a transaction
//! (`CREATE INDEX CONCURRENTLY`, `VACUUM`, `ALTER TYPE ... ADD VALUE` before its use).

/// The statements of `sql`, in order, without the separating semicolons; statements that are
/// only whitespace and comments are left out.
pub fn split(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    let mut has_code = false;
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' => {
                let escapes =
                    i > 0 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !is_ident(b[i - 2]));
                i = skip_quoted(b, i, b'\'', escapes);
                has_code = true;
                continue;
            }
            b'"' => {
                i = skip_quoted(b, i, b'"', false);
                has_code = true;
                continue;
            }
            b'$' if i == 0 || !is_ident(b[i - 1]) => {
                if let Some(tag_end) = dollar_tag(b, i) {
                    let tag = &b[i..=tag_end];
                    let body = tag_end + 1;
                    i = find(b, body, tag).map_or(b.len(), |p| p + tag.len());
                    has_code = true;
                    continue;
                }
            }
            b';' => {
                if has_code {
                    out.push(sql[start..i].trim());
                }
                start = i + 1;
                has_code = false;
                i += 1;
                continue;
            }
            c if !c.is_ascii_whitespace() => has_code = true,
            _ => {}
        }
        i += 1;
    }
    if has_code {
        out.push(sql[start..].trim());
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The index just past the quoted text starting at `i`.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8, backslash: bool) -> usize {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// The index of the closing `$` of a dollar-quote tag (`$$`, `$body$`) opening at `i`.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
        return None; // a parameter ($1)
    }
    while j < b.len() && is_ident(b[j]) {
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn semicolons_inside_quotes_bodies_and_comments_do_not_split() {
        let sql = "CREATE TABLE t (a text DEFAULT 'x;y');\n\
            -- a comment; with a semicolon\n\
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;\n\
            /* block; /* nested; */ still; */ SELECT \"we;ird\", E'it\\'s;', $$a;b$$;\n\
            CREATE INDEX CONCURRENTLY i ON t (a)";
        assert_eq!(
            split(sql),
            [
                "CREATE TABLE t (a text DEFAULT 'x;y')",
                "-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql",
                "/* block; /* nested; */ still; */ SELECT \"we;ird\", E'it\\'s;', $$a;b$$",
                "CREATE INDEX CONCURRENTLY i ON t (a)",
            ]
        );
    }

    #[test]
    fn empty_statements_and_parameters() {
        assert_eq!(split(" ; -- only a comment\n;"), Vec::<&str>::new());
        assert_eq!(split("SELECT $1;;SELECT 2;"), ["SELECT $1", "SELECT 2"]);
        assert_eq!(split("SELECT 'it''s; fine'"), ["SELECT 'it''s; fine'"]);
    }
}
