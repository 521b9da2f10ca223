//! The generated SDL cut into parts and parsed on two threads, handed over in the parts' order.
//!
//! Parsing is about half of a large schema's build (apollo-parser's syntax tree, then its
//! conversion to definitions); the parts are independent, so a helper thread parses while the
//! building thread parses too and shares what is ready. The building thread takes the parts in
//! order, so the schema is the same as if it were parsed alone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use apollo_compiler::ast::Document;

/// About how many bytes of SDL a part holds (a part ends with a definition's closing brace).
const PART: usize = 64 * 1024;

/// How many parsed parts the helper may hold ready before it waits for the building thread.
const AHEAD: usize = 4;

/// `sdl` cut after the first definition's end past each `PART` bytes.
pub(crate) fn cut(sdl: &str) -> Vec<&str> {
    let mut parts = vec![];
    let mut start = 0;
    while start < sdl.len() {
        let mut end = (start + PART).min(sdl.len());
        if end < sdl.len() {
            end = match sdl[end..].find("\n}\n") {
                Some(i) => end + i + 3,
                None => sdl.len(),
            };
        }
        parts.push(&sdl[start..end]);
        start = end;
    }
    parts
}

type Parsed = Result<Document, String>;

/// Parses every part with `parse`, on this thread and (with more than one part) a helper, and
/// gives each result to `take` on this thread in the parts' order. The first error `take`
/// returns stops the parsing and is returned.
pub(crate) fn parse_in_order(
    parts: &[&str],
    parse: impl Fn(&str) -> Parsed + Sync,
    mut take: impl FnMut(Parsed) -> Result<(), String>,
) -> Result<(), String> {
    if parts.len() < 2 {
        return parts.iter().try_for_each(|p| take(parse(p)));
    }
    let next = AtomicUsize::new(0);
    let claim = || Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < parts.len());
    std::thread::scope(|scope| {
        let (ready, from_helper) = mpsc::sync_channel::<(usize, Parsed)>(AHEAD);
        let (claim, parse) = (&claim, &parse);
        std::thread::Builder::new()
            .name("rasura-schema-parse".into())
            .spawn_scoped(scope, move || {
                // Stops when every part is claimed or the building thread stopped listening.
                while let Some(i) = claim() {
                    if ready.send((i, parse(parts[i]))).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| format!("could not start the schema parsing thread: {e}"))?;
        let mut pending: BTreeMap<usize, Parsed> = BTreeMap::new();
        for k in 0..parts.len() {
            let parsed = loop {
                if let Some(p) = pending.remove(&k) {
                    break p;
                }
                pending.extend(from_helper.try_iter());
                if pending.contains_key(&k) {
                    continue;
                }
                // Part k is the helper's and not ready: parse another meanwhile, or wait.
                match claim() {
                    Some(j) => {
                        pending.insert(j, parse(parts[j]));
                    }
                    None => match from_helper.recv() {
                        Ok((i, p)) => {
                            pending.insert(i, p);
                        }
                        Err(_) => return Err("the schema parsing thread stopped".to_string()),
                    },
                }
            };
            take(parsed)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdl(types: usize) -> String {
        (0..types)
            .map(|i| format!("type T{i} {{\n  a{i}: Int\n  b: String\n}}\n"))
            .collect()
    }

    fn parse(text: &str) -> Parsed {
        Document::parse(text, "part.graphql").map_err(|e| e.errors.to_string())
    }

    #[test]
    fn parts_end_with_a_definition_and_cover_the_text() {
        let text = sdl(20_000);
        let parts = cut(&text);
        assert!(parts.len() > 4, "{} parts", parts.len());
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.ends_with("\n}\n")));
    }

    #[test]
    fn parsed_parts_come_in_order() {
        let text = sdl(20_000);
        let parts = cut(&text);
        let mut names = vec![];
        parse_in_order(&parts, parse, |doc| {
            for d in doc?.definitions {
                names.push(d.name().expect("named").to_string());
            }
            Ok(())
        })
        .expect("parses");
        let expected: Vec<String> = (0..20_000).map(|i| format!("T{i}")).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn an_error_stops_the_parse_and_is_returned() {
        let mut text = sdl(20_000);
        text.push_str("type Broken {\n  a: \n}\n");
        text.push_str(&sdl(100));
        let parts = cut(&text);
        let mut taken = 0;
        let result = parse_in_order(&parts, parse, |doc| {
            doc?;
            taken += 1;
            Ok(())
        });
        assert!(result.is_err());
        assert!(taken < parts.len());
        let stop = parse_in_order(&parts, parse, |_| Err("enough".to_string()));
        assert_eq!(stop, Err("enough".to_string()));
    }
}
