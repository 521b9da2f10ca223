//! What the commands print: progress lines on stderr, tables on stdout.

/// A progress line on stderr.
pub fn info(msg: impl std::fmt::Display) {
    eprintln!("INFO {msg}");
}

/// A warning on stderr.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("WARN {msg}");
}

/// A left-aligned table without borders, columns two spaces apart.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}
