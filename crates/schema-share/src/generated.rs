//! The engine's own generated SDL read straight into definitions, without a syntax tree.
//!
//! apollo-parser builds a full syntax tree and apollo-compiler converts it: right for any
//! document, and more than half of a large schema's build. The generated text uses a small part
//! of the grammar (schema, directive, object, interface, input, enum and scalar definitions,
//! descriptions, argument lists, defaults that are scalars or lists), so this reader takes that
//! part and answers `None` for anything else (directives in use, comments, unions, extensions,
//! empty braces, syntax errors): such text goes to apollo's parser, which also words the errors.
//! Tests check that both readings of the same text are equal.

use apollo_compiler::ast::{
    Definition, DirectiveDefinition, DirectiveLocation, Document, EnumTypeDefinition,
    EnumValueDefinition, FieldDefinition, FloatValue, InputObjectTypeDefinition,
    InputValueDefinition, IntValue, InterfaceTypeDefinition, ObjectTypeDefinition, OperationType,
    ScalarTypeDefinition, SchemaDefinition, Type, Value,
};
use apollo_compiler::{Name, Node};

/// The definitions of `text`, if it stays within the generated subset.
pub(crate) fn read(text: &str) -> Option<Document> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        at: 0,
        fields: HashMap::default(),
        inputs: HashMap::default(),
        values: HashMap::default(),
    };
    let mut doc = Document::new();
    while r.skip_space() {
        doc.definitions.push(r.definition()?);
    }
    Some(doc)
}

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    at: usize,
    /// Definitions that took a whole line, by its text: a line read again is the same node
    /// (generated types repeat their fields), with nothing allocated.
    fields: HashMap<&'a str, Node<FieldDefinition>>,
    inputs: HashMap<&'a str, Node<InputValueDefinition>>,
    values: HashMap<&'a str, Node<EnumValueDefinition>>,
}

/// Where a memo of whole-line definitions is (`Reader::by_line`).
type Memo<'a, T> = for<'r> fn(&'r mut Reader<'a>) -> &'r mut HashMap<&'a str, T>;

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_rest(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

impl<'a> Reader<'a> {
    /// `read` at the next token; if what it read is that token's whole line, the line's text
    /// stands for it in `memo`, and a line already read is taken from there.
    fn by_line<T: Clone>(
        &mut self,
        memo: Memo<'a, T>,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        self.skip_space();
        let start = self.at;
        let end = self.s[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.s.len(), |i| start + i);
        let line = &self.text[start..end];
        if let Some(known) = memo(self).get(line) {
            let known = known.clone();
            self.at = end;
            return Some(known);
        }
        let item = read(self)?;
        // Past the line only by white space: the definition was the line.
        let whole = self.at >= end
            && self.s[end..self.at]
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b','));
        if whole {
            memo(self).insert(line, item.clone());
        }
        Some(item)
    }

    /// Skips white space and commas; whether anything is left. A comment is outside the subset
    /// and is left in place (the next token fails on it).
    fn skip_space(&mut self) -> bool {
        while let Some(&b) = self.s.get(self.at) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',') {
                self.at += 1;
            } else {
                return true;
            }
        }
        false
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let here = self.peek() == Some(b);
        self.at += usize::from(here);
        here
    }

    fn word(&mut self) -> Option<&str> {
        self.skip_space();
        let start = self.at;
        if !is_name_start(*self.s.get(start)?) {
            return None;
        }
        self.at += 1;
        while self.s.get(self.at).is_some_and(|&b| is_name_rest(b)) {
            self.at += 1;
        }
        Some(&self.text[start..self.at])
    }

    fn name(&mut self) -> Option<Name> {
        self.word().map(Name::new_unchecked)
    }

    fn definition(&mut self) -> Option<Definition> {
        let description = self.description()?;
        Some(match self.word()? {
            "type" => {
                let (name, implements_interfaces) = (self.name()?, self.implements()?);
                let fields = self.fields()?;
                Definition::ObjectTypeDefinition(Node::new(ObjectTypeDefinition {
                    description,
                    name,
                    implements_interfaces,
                    directives: Default::default(),
                    fields,
                }))
            }
            "interface" => {
                let (name, implements_interfaces) = (self.name()?, self.implements()?);
                let fields = self.fields()?;
                Definition::InterfaceTypeDefinition(Node::new(InterfaceTypeDefinition {
                    description,
                    name,
                    implements_interfaces,
                    directives: Default::default(),
                    fields,
                }))
            }
            "input" => {
                let name = self.name()?;
                let fields = self.braced(|r| r.by_line(|r| &mut r.inputs, Self::input_value))?;
                Definition::InputObjectTypeDefinition(Node::new(InputObjectTypeDefinition {
                    description,
                    name,
                    directives: Default::default(),
                    fields,
                }))
            }
            "enum" => {
                let name = self.name()?;
                let values = self.braced(|r| {
                    r.by_line(
                        |r| &mut r.values,
                        |r| {
                            let description = r.description()?;
                            let value = r.name()?;
                            // `true`, `false` and `null` cannot be enum values.
                            if matches!(value.as_str(), "true" | "false" | "null") {
                                return None;
                            }
                            Some(Node::new(EnumValueDefinition {
                                description,
                                value,
                                directives: Default::default(),
                            }))
                        },
                    )
                })?;
                Definition::EnumTypeDefinition(Node::new(EnumTypeDefinition {
                    description,
                    name,
                    directives: Default::default(),
                    values,
                }))
            }
            "scalar" => {
                let name = self.name()?;
                // A directive on the scalar is outside the subset.
                if self.peek() == Some(b'@') {
                    return None;
                }
                Definition::ScalarTypeDefinition(Node::new(ScalarTypeDefinition {
                    description,
                    name,
                    directives: Default::default(),
                }))
            }
            "schema" => {
                let root_operations = self.braced(|r| {
                    let operation = match r.word()? {
                        "query" => OperationType::Query,
                        "mutation" => OperationType::Mutation,
                        "subscription" => OperationType::Subscription,
                        _ => return None,
                    };
                    (r.eat(b':')).then_some(())?;
                    Some(Node::new((operation, r.name()?)))
                })?;
                Definition::SchemaDefinition(Node::new(SchemaDefinition {
                    description,
                    directives: Default::default(),
                    root_operations,
                }))
            }
            "directive" => {
                (self.eat(b'@')).then_some(())?;
                let name = self.name()?;
                let arguments = self.arguments()?;
                let mut repeatable = false;
                let mut word = self.word()?;
                if word == "repeatable" {
                    repeatable = true;
                    word = self.word()?;
                }
                (word == "on").then_some(())?;
                self.eat(b'|');
                let mut locations = vec![self.location()?];
                while self.eat(b'|') {
                    locations.push(self.location()?);
                }
                Definition::DirectiveDefinition(Node::new(DirectiveDefinition {
                    description,
                    name,
                    arguments,
                    repeatable,
                    locations,
                }))
            }
            _ => return None,
        })
    }

    fn location(&mut self) -> Option<DirectiveLocation> {
        use DirectiveLocation::*;
        let word = self.word()?;
        [
            Query,
            Mutation,
            Subscription,
            Field,
            FragmentDefinition,
            FragmentSpread,
            InlineFragment,
            VariableDefinition,
            Schema,
            Scalar,
            Object,
            FieldDefinition,
            ArgumentDefinition,
            Interface,
            Union,
            Enum,
            EnumValue,
            InputObject,
            InputFieldDefinition,
        ]
        .into_iter()
        .find(|l| l.name() == word)
    }

    /// `(argument ...)` with at least one, or nothing.
    fn arguments(&mut self) -> Option<Vec<Node<InputValueDefinition>>> {
        let mut arguments = vec![];
        if self.eat(b'(') {
            while !self.eat(b')') {
                arguments.push(self.input_value()?);
            }
            if arguments.is_empty() {
                return None;
            }
        }
        Some(arguments)
    }

    /// `implements A & B`, or nothing.
    fn implements(&mut self) -> Option<Vec<Name>> {
        let mark = self.at;
        if self.word() != Some("implements") {
            self.at = mark;
            return Some(vec![]);
        }
        self.eat(b'&');
        let mut names = vec![self.name()?];
        while self.eat(b'&') {
            names.push(self.name()?);
        }
        Some(names)
    }

    /// `{ item item ... }` with at least one item.
    fn braced<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        if !self.eat(b'{') {
            return None;
        }
        let mut items = vec![];
        while !self.eat(b'}') {
            items.push(item(self)?);
        }
        (!items.is_empty()).then_some(items)
    }

    /// An object's or interface's fields: none when no braces follow (an object a role may
    /// only count, its `__typename` alone), else at least one.
    fn fields(&mut self) -> Option<Vec<Node<FieldDefinition>>> {
        if self.peek() != Some(b'{') {
            return Some(vec![]);
        }
        self.braced(|r| r.by_line(|r| &mut r.fields, Self::field))
    }

    fn field(&mut self) -> Option<Node<FieldDefinition>> {
        let description = self.description()?;
        let name = self.name()?;
        let arguments = self.arguments()?;
        if !self.eat(b':') {
            return None;
        }
        let ty = self.ty()?;
        Some(Node::new(FieldDefinition {
            description,
            name,
            arguments,
            ty,
            directives: Default::default(),
        }))
    }

    fn input_value(&mut self) -> Option<Node<InputValueDefinition>> {
        let description = self.description()?;
        let name = self.name()?;
        if !self.eat(b':') {
            return None;
        }
        let ty = Node::new(self.ty()?);
        let default_value = if self.eat(b'=') {
            Some(Node::new(self.value()?))
        } else {
            None
        };
        Some(Node::new(InputValueDefinition {
            description,
            name,
            ty,
            default_value,
            directives: Default::default(),
        }))
    }

    fn ty(&mut self) -> Option<Type> {
        let ty = if self.eat(b'[') {
            let inner = self.ty()?;
            if !self.eat(b']') {
                return None;
            }
            Type::List(Box::new(inner))
        } else {
            Type::Named(self.name()?)
        };
        Some(if self.eat(b'!') { ty.non_null() } else { ty })
    }

    /// A default value: null, a boolean, an enum value, an integer, a float, a string or a list
    /// of them (objects and variables are outside the subset).
    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'[' => {
                self.at += 1;
                let mut items = vec![];
                while !self.eat(b']') {
                    items.push(Node::new(self.value()?));
                }
                Some(Value::List(items))
            }
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Some(match self.word()? {
                "null" => Value::Null,
                "true" => Value::Boolean(true),
                "false" => Value::Boolean(false),
                other => Value::Enum(Name::new_unchecked(other)),
            }),
        }
    }

    /// An integer or float as GraphQL writes them: no leading zeros, a name may not follow.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.at += usize::from(self.s[start] == b'-');
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.s.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        let whole = self.at;
        let n = digits(self);
        if n == 0 || (n > 1 && self.s[whole] == b'0') {
            return None;
        }
        let mut float = false;
        if self.s.get(self.at) == Some(&b'.') {
            self.at += 1;
            float = true;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.s.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            float = true;
            if matches!(self.s.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        if self
            .s
            .get(self.at)
            .is_some_and(|&b| is_name_start(b) || b == b'.')
        {
            return None;
        }
        let text = &self.text[start..self.at];
        Some(if float {
            Value::Float(FloatValue::new_parsed(text))
        } else {
            Value::Int(IntValue::new_parsed(text))
        })
    }

    /// A description before a definition, field, argument or value, if there is one.
    fn description(&mut self) -> Option<Option<Node<str>>> {
        if self.peek() != Some(b'"') {
            return Some(None);
        }
        Some(Some(Node::new_str(&self.string()?)))
    }

    /// A string (the reader is at its opening quote): `"..."` with the escapes JSON also has
    /// (`\u` of a surrogate is outside the subset), or `"""..."""` on one line, without
    /// backslashes or quotes, and not blank (the block-string rules leave such a line as is).
    fn string(&mut self) -> Option<String> {
        let rest = &self.text[self.at..];
        if let Some(block) = rest.strip_prefix("\"\"\"") {
            let end = block.find("\"\"\"")?;
            let line = &block[..end];
            if line.contains(['\n', '\r', '\\', '"']) || line.trim().is_empty() {
                return None;
            }
            self.at += end + 6;
            return Some(line.to_string());
        }
        let mut out = String::new();
        let mut chars = rest[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 2;
                    return Some(out);
                }
                '\n' | '\r' => return None,
                '\\' => out.push(match chars.next()?.1 {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hex: String =
                            (0..4).filter_map(|_| chars.next().map(|c| c.1)).collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)?;
                        char::from_u32(code)?
                    }
                    _ => return None,
                }),
                c if c < ' ' && c != '\t' => return None,
                c => out.push(c),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::read;
    use apollo_compiler::ast::{Definition, Document};

    fn both(text: &str) -> Option<(Document, Document)> {
        let apollo = Document::parse(text, "t.graphql").expect("apollo parses it");
        read(text).map(|ours| (ours, apollo))
    }

    #[test]
    fn reads_the_generated_subset_as_apollo_does() {
        let text = r#"
"Boolean expression to compare columns of type \"Int\". All fields are combined with logical 'AND'."
input Int_comparison_exp {
  _eq: Int
  _in: [Int!]
  _is_null: Boolean
}
"""column ordering options"""
enum order_by {
  """in ascending order, nulls last"""
  asc
  "tab\there, slash \/ and \u00e9 and é"
  desc
}
scalar timestamptz
type t implements Node & Other {
  "an \"id\""
  id: ID!
  rows("distinct select on columns" distinct_on: [t_select_column!], limit: Int, where: t_bool_exp, n: Int = -3, f: Float = 1.5e3, b: Boolean! = false, l: [t_update_column!]! = [], e: order_by = asc, s: String = "x", z: Int = null): [t!]!
}
interface Node { id: ID! }
type counted
type also_counted implements Node
schema { query: query_root mutation: mutation_root subscription: subscription_root }
"whether this query should be cached"
directive @cached(ttl: Int! = 60, refresh: Boolean! = false) on QUERY | FIELD
directive @tag repeatable on | OBJECT
"#;
        let (ours, apollo) = both(text).expect("within the subset");
        assert_eq!(ours.definitions.len(), 10);
        assert_eq!(ours.definitions, apollo.definitions);
    }

    #[test]
    fn a_line_read_again_is_the_same_node() {
        let text = "type a {\n  id: Int_comparison_exp\n  x: Int }\n\
                    type b {\n  id: Int_comparison_exp\n  x: Int\n  y(\n  n: Int): Int\n}\n\
                    type c {\n  y(\n  n: Int): Int\n  \"d\"\n  x: Int\n}\n";
        let (ours, apollo) = both(text).expect("within the subset");
        assert_eq!(ours.definitions, apollo.definitions);
        let fields: Vec<_> = (ours.definitions.iter())
            .map(|d| match d {
                Definition::ObjectTypeDefinition(o) => o.fields.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert!(fields[0][0].ptr_eq(&fields[1][0]), "the same line");
        // `x: Int }` is not a field's whole line; neither are fields over two lines.
        assert!(!fields[0][1].ptr_eq(&fields[1][1]));
        assert!(!fields[1][2].ptr_eq(&fields[2][0]));
        // A description on its own line makes another field than the bare line.
        assert!(!fields[1][1].ptr_eq(&fields[2][1]));
        assert!(fields[2][1].description.is_some());
    }

    #[test]
    fn leaves_what_is_outside_the_subset_to_apollo() {
        for text in [
            "schema { query: query_root } extend schema @x",
            "directive @cached(ttl: Int! = 60) on QUERIES",
            "schema { }",
            "type t { id: Int @deprecated }",
            "# a comment\ntype t { id: Int }",
            "union u = a | b",
            "extend type t { id: Int }",
            "type t { }",
            "input i { o: j = {a: 1} }",
            "input i { v: Int = 01 }",
            "enum e { true }",
            "type t { \"\"\"two\nlines\"\"\" id: Int }",
            "type t { \"\\ud83d\\ude00\" id: Int }",
            "type t { id: Int",
            "type t { id Int }",
        ] {
            assert!(read(text).is_none(), "{text}");
        }
    }
}
