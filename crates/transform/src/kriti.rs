//! Kriti, Hasura's template language for transforms: a JSON document in which `{{ expr }}`
//! stands for a value (or, inside a string, for text), with `if`/`elif`/`else` and `range`
//! blocks, paths into the variables (`$body.a[0]['b']`, `?.` for optional steps), literals,
//! `== != > < >= <= && || ??` and functions (`not`, `empty`, `length`, `toLower`,
//! `toUpper`, `toTitle`, `toCaseFold`, `head`, `tail`, `inverse`, `concat`, `escapeUri`,
//! `fromPairs`, `toPairs`, `removeNulls`, `getSessionVariable`). Parsed into a tree, then
//! evaluated over `serde_json::Value`s.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// A template, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Literal(Value),
    Array(Vec<Template>),
    Object(Vec<(Template, Template)>),
    /// A string with holes: text and expressions, concatenated as text.
    Text(Vec<Piece>),
    Expr(Expr),
    If(Vec<(Expr, Template)>, Option<Box<Template>>),
    Range {
        index: Option<String>,
        item: String,
        over: Expr,
        body: Box<Template>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Expr(Expr),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Var(String),
    Field(Box<Expr>, String, bool),
    Index(Box<Expr>, Box<Expr>, bool),
    Call(String, Vec<Expr>),
    Binary(Box<Expr>, &'static str, Box<Expr>),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
}

/// A parse or evaluation error, in words.
pub type Error = String;

/// The variable `getSessionVariable` reads the session from, when set (a name no template can
/// spell, so the session is not a `$` variable: response transforms have none); otherwise it
/// reads `$session_variables`.
pub const SESSION: &str = "#session";

/// Hasura's `error_code` for an error of this module: `Parse Error`, `Attribute Error` (a
/// field missing from a value) or `Eval Error`.
pub fn error_code(e: &str) -> &'static str {
    if e.starts_with("Kriti parse error") {
        "Parse Error"
    } else if e.contains("has no attribute") {
        "Attribute Error"
    } else {
        "Eval Error"
    }
}

/// Parses `src`.
pub fn parse(src: &str) -> Result<Template, Error> {
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
    };
    p.ws();
    let t = p.template()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("unexpected text after the template"));
    }
    Ok(t)
}

/// Evaluates the text template `src` (a URL, header or query value: text with `{{ }}` holes,
/// no JSON quoting) with `vars`, as text.
pub fn render_text(src: &str, vars: &HashMap<String, Value>) -> Result<String, Error> {
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
    };
    let mut out = String::new();
    while p.i < p.s.len() {
        if p.starts("{{") {
            p.i += 2;
            let e = p.expr()?;
            p.expect("}}")?;
            out.push_str(&as_text(&expr(&e, vars)?));
        } else {
            let rest = &src[p.i..];
            let next = rest.find("{{").unwrap_or(rest.len());
            out.push_str(&rest[..next]);
            p.i += next;
        }
    }
    Ok(out)
}

/// Evaluates `src` with `vars` (`$body`, `$base_url`, ...; names without `$`).
pub fn render(src: &str, vars: &HashMap<String, Value>) -> Result<Value, Error> {
    eval(&parse(src)?, vars)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        format!("Kriti parse error: {what} at offset {}", self.i)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn starts(&self, t: &str) -> bool {
        self.s[self.i..].starts_with(t.as_bytes())
    }

    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.starts(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), Error> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    /// `{{` followed by a keyword (`if`, `elif`, `else`, `end`, `range`)?
    fn block_keyword(&self) -> Option<&'static str> {
        if !self.starts("{{") {
            return None;
        }
        let mut j = self.i + 2;
        while self.s.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        ["elif", "else", "end", "if", "range"]
            .into_iter()
            .find(|k| {
                self.s[j..].starts_with(k.as_bytes())
                    && !self
                        .s
                        .get(j + k.len())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            })
    }

    fn template(&mut self) -> Result<Template, Error> {
        self.ws();
        match self.peek() {
            Some(b'{') if self.starts("{{") => match self.block_keyword() {
                Some("if") => self.if_block(),
                Some("range") => self.range_block(),
                Some(k) => Err(self.err(&format!("unexpected `{k}`"))),
                None => {
                    self.i += 2;
                    let e = self.expr()?;
                    self.expect("}}")?;
                    Ok(Template::Expr(e))
                }
            },
            Some(b'{') => {
                self.i += 1;
                let mut fields = vec![];
                if !self.eat("}") {
                    loop {
                        self.ws();
                        let key = self.template()?;
                        self.expect(":")?;
                        let value = self.template()?;
                        fields.push((key, value));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Template::Object(fields))
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = vec![];
                if !self.eat("]") {
                    loop {
                        items.push(self.template()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Template::Array(items))
            }
            Some(b'"') => self.text(),
            // A path stands for its value without braces too (`$body.user`).
            Some(b'$') => Ok(Template::Expr(self.expr()?)),
            _ => Ok(Template::Literal(self.scalar()?)),
        }
    }

    /// A JSON string, with `{{ }}` holes.
    fn text(&mut self) -> Result<Template, Error> {
        self.i += 1;
        let mut pieces = vec![];
        let mut buf = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let esc = self.s.get(self.i + 1).copied();
                    self.i += 2;
                    match esc {
                        Some(b'n') => buf.push('\n'),
                        Some(b't') => buf.push('\t'),
                        Some(b'r') => buf.push('\r'),
                        Some(b'b') => buf.push('\u{8}'),
                        Some(b'f') => buf.push('\u{c}'),
                        Some(b'u') => {
                            let hex = std::str::from_utf8(
                                self.s.get(self.i..self.i + 4).unwrap_or_default(),
                            )
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .and_then(char::from_u32)
                            .ok_or_else(|| self.err("bad \\u escape"))?;
                            buf.push(hex);
                            self.i += 4;
                        }
                        Some(c) => buf.push(c as char),
                        None => return Err(self.err("unterminated string")),
                    }
                }
                Some(b'{') if self.starts("{{") => {
                    if !buf.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut buf)));
                    }
                    self.i += 2;
                    let e = self.expr()?;
                    self.expect("}}")?;
                    pieces.push(Piece::Expr(e));
                }
                Some(_) => {
                    let rest = std::str::from_utf8(&self.s[self.i..])
                        .map_err(|_| self.err("bad UTF-8"))?;
                    let c = rest.chars().next().unwrap_or_default();
                    buf.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
        if !buf.is_empty() || pieces.is_empty() {
            pieces.push(Piece::Text(buf));
        }
        Ok(match pieces.as_slice() {
            [Piece::Text(t)] => Template::Literal(Value::String(t.clone())),
            _ => Template::Text(pieces),
        })
    }

    /// `null`, `true`, `false` or a number.
    fn scalar(&mut self) -> Result<Value, Error> {
        for (word, v) in [
            ("null", Value::Null),
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
        ] {
            if self.starts(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
        serde_json::from_str::<Number>(text)
            .map(Value::Number)
            .map_err(|_| self.err("expected a value"))
    }

    fn if_block(&mut self) -> Result<Template, Error> {
        self.expect("{{")?;
        self.expect("if")?;
        let mut arms = vec![];
        let mut cond = self.expr()?;
        self.expect("}}")?;
        loop {
            let body = self.template()?;
            arms.push((cond, body));
            self.ws();
            match self.block_keyword() {
                Some("elif") => {
                    self.expect("{{")?;
                    self.expect("elif")?;
                    cond = self.expr()?;
                    self.expect("}}")?;
                }
                Some("else") => {
                    self.expect("{{")?;
                    self.expect("else")?;
                    self.expect("}}")?;
                    let other = self.template()?;
                    self.ws();
                    self.expect("{{")?;
                    self.expect("end")?;
                    self.expect("}}")?;
                    return Ok(Template::If(arms, Some(Box::new(other))));
                }
                Some("end") => {
                    self.expect("{{")?;
                    self.expect("end")?;
                    self.expect("}}")?;
                    return Ok(Template::If(arms, None));
                }
                _ => return Err(self.err("expected `{{ elif }}`, `{{ else }}` or `{{ end }}`")),
            }
        }
    }

    fn range_block(&mut self) -> Result<Template, Error> {
        self.expect("{{")?;
        self.expect("range")?;
        let first = self.ident()?;
        let (index, item) = if self.eat(",") {
            let second = self.ident()?;
            ((first != "_").then_some(first), second)
        } else {
            (None, first)
        };
        self.expect(":=")?;
        let over = self.expr()?;
        self.expect("}}")?;
        let body = self.template()?;
        self.ws();
        self.expect("{{")?;
        self.expect("end")?;
        self.expect("}}")?;
        Ok(Template::Range {
            index,
            item,
            over,
            body: Box::new(body),
        })
    }

    fn ident(&mut self) -> Result<String, Error> {
        self.ws();
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'-')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err("expected a name"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        self.binary(0)
    }

    /// Operators by precedence, loosest first.
    fn binary(&mut self, level: usize) -> Result<Expr, Error> {
        const LEVELS: [&[&str]; 4] = [
            &["??"],
            &["||"],
            &["&&"],
            &["==", "!=", ">=", "<=", ">", "<", "in"],
        ];
        if level == LEVELS.len() {
            return self.postfix();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            self.ws();
            let Some(op) = LEVELS[level].iter().copied().find(|op| self.starts(op)) else {
                return Ok(left);
            };
            self.i += op.len();
            let right = self.binary(level + 1)?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
    }

    fn postfix(&mut self) -> Result<Expr, Error> {
        let mut e = self.atom()?;
        loop {
            let optional = if self.starts("?.") || self.starts("?[") {
                self.i += 1;
                true
            } else {
                false
            };
            if self.peek() == Some(b'.') && !self.starts("..") {
                self.i += 1;
                let name = self.ident()?;
                e = Expr::Field(Box::new(e), name, optional);
            } else if self.peek() == Some(b'[') {
                self.i += 1;
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(index), optional);
            } else if optional {
                return Err(self.err("expected a field or index after `?`"));
            } else {
                return Ok(e);
            }
        }
    }

    fn atom(&mut self) -> Result<Expr, Error> {
        self.ws();
        match self.peek() {
            Some(b'$') => {
                self.i += 1;
                let name = self.ident()?;
                Ok(Expr::Var(name))
            }
            Some(b'(') => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Some(b'"') | Some(b'\'') => {
                let quote = self.peek().unwrap_or(b'"');
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c != quote) {
                    self.i += if self.peek() == Some(b'\\') { 2 } else { 1 };
                }
                let raw =
                    String::from_utf8_lossy(&self.s[start..self.i.min(self.s.len())]).into_owned();
                self.expect(if quote == b'"' { "\"" } else { "'" })?;
                let text =
                    serde_json::from_str::<String>(&format!("\"{}\"", raw.replace('"', "\\\"")))
                        .unwrap_or(raw);
                Ok(Expr::Literal(Value::String(text)))
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = vec![];
                if !self.eat("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Array(items))
            }
            Some(b'{') => {
                self.i += 1;
                let mut fields = vec![];
                if !self.eat("}") {
                    loop {
                        let Expr::Literal(Value::String(k)) = self.atom()? else {
                            return Err(self.err("expected a string key"));
                        };
                        self.expect(":")?;
                        fields.push((k, self.expr()?));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Object(fields))
            }
            Some(c) if c.is_ascii_digit() || c == b'-' => Ok(Expr::Literal(self.scalar()?)),
            Some(c) if c.is_ascii_alphabetic() => {
                let name = self.ident()?;
                match name.as_str() {
                    "null" => Ok(Expr::Literal(Value::Null)),
                    "true" => Ok(Expr::Literal(Value::Bool(true))),
                    "false" => Ok(Expr::Literal(Value::Bool(false))),
                    // A name bound by `range`.
                    _ if !self.eat("(") => Ok(Expr::Var(name)),
                    _ => {
                        let mut args = vec![];
                        if !self.eat(")") {
                            loop {
                                args.push(self.expr()?);
                                if self.eat(")") {
                                    break;
                                }
                                self.expect(",")?;
                            }
                        }
                        Ok(Expr::Call(name, args))
                    }
                }
            }
            _ => Err(self.err("expected an expression")),
        }
    }
}

/// The value of `t` with `vars`.
pub fn eval(t: &Template, vars: &HashMap<String, Value>) -> Result<Value, Error> {
    Ok(match t {
        Template::Literal(v) => v.clone(),
        Template::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| eval(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Template::Object(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                let key = match eval(k, vars)? {
                    Value::String(s) => s,
                    other => {
                        return Err(format!(
                            "Kriti: an object key must be a string, not {other}"
                        ))
                    }
                };
                m.insert(key, eval(v, vars)?);
            }
            Value::Object(m)
        }
        Template::Text(pieces) => {
            let mut out = String::new();
            for p in pieces {
                match p {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Expr(e) => out.push_str(&as_text(&expr(e, vars)?)),
                }
            }
            Value::String(out)
        }
        Template::Expr(e) => expr(e, vars)?,
        Template::If(arms, other) => {
            for (cond, body) in arms {
                match expr(cond, vars)? {
                    Value::Bool(true) => return eval(body, vars),
                    Value::Bool(false) => {}
                    v => return Err(format!("Kriti: an if condition must be a boolean, not {v}")),
                }
            }
            match other {
                Some(o) => eval(o, vars)?,
                None => Value::Null,
            }
        }
        Template::Range {
            index,
            item,
            over,
            body,
        } => {
            let items: Vec<(Value, Value)> = match expr(over, vars)? {
                Value::Array(a) => a
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i), v))
                    .collect(),
                Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                v => return Err(format!("Kriti: range needs an array or object, not {v}")),
            };
            let mut out = vec![];
            for (i, v) in items {
                let mut scope = vars.clone();
                if let Some(name) = index {
                    scope.insert(name.trim_start_matches('$').to_string(), i);
                }
                scope.insert(item.trim_start_matches('$').to_string(), v);
                out.push(eval(body, &scope)?);
            }
            Value::Array(out)
        }
    })
}

/// A value as text inside a string: strings as they are, the rest as JSON.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn expr(e: &Expr, vars: &HashMap<String, Value>) -> Result<Value, Error> {
    Ok(match e {
        Expr::Literal(v) => v.clone(),
        Expr::Var(name) => vars
            .get(name)
            .cloned()
            .ok_or_else(|| format!("Kriti: unknown variable ${name}"))?,
        Expr::Field(base, name, optional) => {
            let b = expr(base, vars)?;
            match b.get(name.as_str()) {
                Some(v) => v.clone(),
                None if *optional => Value::Null,
                None => {
                    let kind = match b {
                        Value::Object(_) => "Object",
                        Value::Array(_) => "Array",
                        Value::String(_) => "String",
                        Value::Number(_) => "Number",
                        Value::Bool(_) => "Boolean",
                        Value::Null => "Null",
                    };
                    return Err(format!("'{kind}' has no attribute '{name}'."));
                }
            }
        }
        Expr::Index(base, index, optional) => {
            let b = expr(base, vars)?;
            let found = match expr(index, vars)? {
                Value::String(k) => b.get(k.as_str()).cloned(),
                Value::Number(n) => n.as_u64().and_then(|i| b.get(i as usize)).cloned(),
                other => return Err(format!("Kriti: cannot index with {other}")),
            };
            match found {
                Some(v) => v,
                None if *optional => Value::Null,
                None => return Err(format!("Kriti: nothing at that index in {b}")),
            }
        }
        Expr::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| expr(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Object(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), expr(v, vars)?);
            }
            Value::Object(m)
        }
        Expr::Binary(l, op, r) => binary(l, op, r, vars)?,
        Expr::Call(name, args) => {
            let args: Vec<Value> = args
                .iter()
                .map(|a| expr(a, vars))
                .collect::<Result<_, _>>()?;
            call(name, &args, vars)?
        }
    })
}

fn binary(l: &Expr, op: &str, r: &Expr, vars: &HashMap<String, Value>) -> Result<Value, Error> {
    if op == "??" {
        // The default when the left side is missing or null.
        return match expr(l, vars) {
            Ok(Value::Null) | Err(_) => expr(r, vars),
            Ok(v) => Ok(v),
        };
    }
    let (a, b) = (expr(l, vars)?, expr(r, vars)?);
    let num = |v: &Value| v.as_f64();
    Ok(Value::Bool(match op {
        "==" => a == b,
        "!=" => a != b,
        "&&" | "||" => {
            let (Value::Bool(x), Value::Bool(y)) = (&a, &b) else {
                return Err(format!("Kriti: {op} needs booleans, not {a} and {b}"));
            };
            if op == "&&" {
                *x && *y
            } else {
                *x || *y
            }
        }
        "in" => match &b {
            Value::Array(items) => items.contains(&a),
            Value::Object(m) => a.as_str().is_some_and(|k| m.contains_key(k)),
            Value::String(s) => a.as_str().is_some_and(|x| s.contains(x)),
            _ => {
                return Err(format!(
                    "Kriti: in needs an array, object or string, not {b}"
                ))
            }
        },
        _ => {
            let ord = match (&a, &b) {
                (Value::String(x), Value::String(y)) => x.partial_cmp(y),
                _ => match (num(&a), num(&b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => None,
                },
            }
            .ok_or_else(|| format!("Kriti: cannot compare {a} and {b}"))?;
            match op {
                ">" => ord.is_gt(),
                "<" => ord.is_lt(),
                ">=" => ord.is_ge(),
                _ => ord.is_le(),
            }
        }
    }))
}

fn one<'a>(name: &str, args: &'a [Value]) -> Result<&'a Value, Error> {
    match args {
        [a] => Ok(a),
        _ => Err(format!("Kriti: {name} takes one argument")),
    }
}

fn call(name: &str, args: &[Value], vars: &HashMap<String, Value>) -> Result<Value, Error> {
    let text = |f: fn(&str) -> String| -> Result<Value, Error> {
        match one(name, args)? {
            Value::String(s) => Ok(Value::String(f(s))),
            v => Err(format!("Kriti: {name} needs a string, not {v}")),
        }
    };
    Ok(match name {
        "not" => match one(name, args)? {
            Value::Bool(b) => Value::Bool(!b),
            v => return Err(format!("Kriti: not needs a boolean, not {v}")),
        },
        "empty" => Value::Bool(match one(name, args)? {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::Bool(_) => false,
        }),
        "length" | "size" => Value::from(match one(name, args)? {
            Value::String(s) => s.chars().count(),
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            Value::Null => 0,
            v => return Err(format!("Kriti: {name} of {v}")),
        }),
        "toLower" => text(str::to_lowercase)?,
        "toUpper" => text(str::to_uppercase)?,
        "toCaseFold" => text(str::to_lowercase)?,
        "toTitle" => text(|s| {
            s.split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    match c.next() {
                        Some(f) => {
                            f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                        }
                        None => String::new(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })?,
        "escapeUri" => text(|s| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        })?,
        "head" => match one(name, args)? {
            Value::Array(a) => a.first().cloned().ok_or("Kriti: head of an empty array")?,
            Value::String(s) => Value::String(s.chars().take(1).collect()),
            v => return Err(format!("Kriti: head of {v}")),
        },
        "tail" => match one(name, args)? {
            Value::Array(a) => Value::Array(a.iter().skip(1).cloned().collect()),
            Value::String(s) => Value::String(s.chars().skip(1).collect()),
            v => return Err(format!("Kriti: tail of {v}")),
        },
        "inverse" => match one(name, args)? {
            Value::Array(a) => Value::Array(a.iter().rev().cloned().collect()),
            Value::String(s) => Value::String(s.chars().rev().collect()),
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) => n
                .as_f64()
                .filter(|x| *x != 0.0)
                .and_then(|x| Number::from_f64(1.0 / x))
                .map_or(Value::Null, Value::Number),
            other => other.clone(),
        },
        "concat" => match one(name, args)? {
            Value::Array(items) if items.iter().all(Value::is_string) => {
                Value::String(items.iter().filter_map(Value::as_str).collect())
            }
            Value::Array(items) if items.iter().all(Value::is_array) => Value::Array(
                items
                    .iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .cloned()
                    .collect(),
            ),
            Value::Array(items) if items.iter().all(Value::is_object) => {
                let mut m = Map::new();
                for o in items.iter().filter_map(Value::as_object) {
                    m.extend(o.clone());
                }
                Value::Object(m)
            }
            v => {
                return Err(format!(
                    "Kriti: concat needs a list of strings, lists or objects, not {v}"
                ))
            }
        },
        "toPairs" => match one(name, args)? {
            Value::Object(m) => Value::Array(
                m.iter()
                    .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), v.clone()]))
                    .collect(),
            ),
            v => return Err(format!("Kriti: toPairs of {v}")),
        },
        "fromPairs" => match one(name, args)? {
            Value::Array(pairs) => {
                let mut m = Map::new();
                for p in pairs {
                    match p.as_array().map(Vec::as_slice) {
                        Some([Value::String(k), v]) => {
                            m.insert(k.clone(), v.clone());
                        }
                        _ => {
                            return Err(format!(
                                "Kriti: fromPairs needs [key, value] pairs, not {p}"
                            ))
                        }
                    }
                }
                Value::Object(m)
            }
            v => return Err(format!("Kriti: fromPairs of {v}")),
        },
        "removeNulls" => match one(name, args)? {
            Value::Array(a) => Value::Array(a.iter().filter(|v| !v.is_null()).cloned().collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            v => return Err(format!("Kriti: removeNulls of {v}")),
        },
        "getSessionVariable" => match one(name, args)? {
            Value::String(k) => vars
                .get(SESSION)
                .or_else(|| vars.get("session_variables"))
                .and_then(|s| s.as_object())
                .and_then(|s| {
                    s.iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or(Value::Null),
            v => return Err(format!("Kriti: getSessionVariable needs a name, not {v}")),
        },
        _ => return Err(format!("Kriti: unknown function {name}")),
    })
}
