//! A native query's SQL as a template: text, and `{{name}}` placeholders that become bound
//! parameters (never spliced into the text).

use std::collections::BTreeSet;

/// One piece of a native query's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// A placeholder: the argument's name as written between the braces.
    Arg(String),
}

/// A parsed native query: its pieces in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Code {
    pub parts: Vec<Part>,
}

impl Code {
    /// Splits `code` at `{{` ... `}}` (names taken as written, no quoting rules: a placeholder
    /// inside a string literal is still a parameter, as in Hasura).
    pub fn parse(code: &str) -> Result<Code, String> {
        let mut parts = vec![];
        let mut rest = code;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err("Found '{{' without a matching closing '}}'".into());
            };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            parts.push(Part::Arg(after[..end].to_string()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Code { parts })
    }

    /// The code ready to be nested in a statement: trailing blanks and semicolons of the last
    /// text removed, and a line end added so that a trailing `-- comment` ends before what
    /// follows.
    pub fn nestable(&self) -> Code {
        let mut parts = self.parts.clone();
        if let Some(Part::Text(t)) = parts.last_mut() {
            let trimmed = t.trim_end_matches([' ', '\t', '\n', '\r']);
            let trimmed = trimmed.trim_end_matches(';');
            *t = trimmed.to_string();
        }
        parts.push(Part::Text("\n".into()));
        Code { parts }
    }

    /// The argument names the code uses.
    pub fn used(&self) -> BTreeSet<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Arg(a) => Some(a.as_str()),
                Part::Text(_) => None,
            })
            .collect()
    }

    /// Every placeholder declared and every declared argument used, else Hasura's reason.
    pub fn check_arguments<'a>(
        &self,
        declared: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        let declared: BTreeSet<&str> = declared.into_iter().collect();
        let used = self.used();
        let list = |names: Vec<&&str>| {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let undeclared: Vec<&&str> = used.difference(&declared).collect();
        if !undeclared.is_empty() {
            return Err(format!(
                "The following columns are used in the query, but are not declared as arguments: {}",
                list(undeclared)
            ));
        }
        let unused: Vec<&&str> = declared.difference(&used).collect();
        if !unused.is_empty() {
            return Err(format!(
                "The following columns are declared as arguments, but are not used in the query: {}",
                list(unused)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_split_the_text() {
        let c = Code::parse("select {{a}}, '{{b}}' from t where x = {{a}} {x}").unwrap();
        assert_eq!(
            c.parts,
            vec![
                Part::Text("select ".into()),
                Part::Arg("a".into()),
                Part::Text(", '".into()),
                Part::Arg("b".into()),
                Part::Text("' from t where x = ".into()),
                Part::Arg("a".into()),
                Part::Text(" {x}".into()),
            ]
        );
        assert_eq!(c.used().into_iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            Code::parse("select {{a").unwrap_err(),
            "Found '{{' without a matching closing '}}'"
        );
    }

    #[test]
    fn nestable_code_loses_its_semicolon_and_keeps_comments_apart() {
        let c = Code::parse("select 1; \n").unwrap().nestable();
        assert_eq!(
            c.parts,
            vec![Part::Text("select 1".into()), Part::Text("\n".into())]
        );
        let c = Code::parse("select 1 -- note").unwrap().nestable();
        assert_eq!(c.parts[0], Part::Text("select 1 -- note".into()));
    }

    #[test]
    fn arguments_declared_and_used() {
        let c = Code::parse("select {{a}} + {{b}}").unwrap();
        assert!(c.check_arguments(["a", "b"]).is_ok());
        assert_eq!(
            c.check_arguments(["a"]).unwrap_err(),
            "The following columns are used in the query, but are not declared as arguments: ['b']"
        );
        assert_eq!(
            c.check_arguments(["a", "b", "c"]).unwrap_err(),
            "The following columns are declared as arguments, but are not used in the query: ['c']"
        );
    }
}
