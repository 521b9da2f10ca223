//! The IR: what to read, filtered, ordered and shaped, in database terms.

use rasura_metadata::QualifiedName;
use serde_json::Value;

/// The root fields of one operation, in response order.
#[derive(Debug, Clone)]
pub struct Operation {
    pub roots: Vec<(String, Root)>,
    /// The root fields (by key) of database sources other than the first served: the
    /// source's number (1 for the first of `RoleSchema::sources`).
    pub sources: std::collections::HashMap<String, usize>,
}

/// One root field.
#[derive(Debug, Clone)]
pub enum Root {
    /// Reads rows and returns JSON.
    Select(Box<Select>),
    /// `__typename` at the root.
    Typename(String),
    /// `__schema` / `__type`, answered from the schema.
    Introspection,
    /// An insert, update or delete.
    Mutation(Box<Mutation>),
    /// `update_<t>_many`: updates run in order, one response each.
    UpdateMany(Vec<Mutation>),
    /// An action: a call of its HTTP handler.
    Action(Box<ActionCall>),
    /// The stored result of an asynchronous action call, by id.
    ActionResult(Box<ActionResultRead>),
    /// A root field of a remote schema, forwarded.
    Remote(Box<RemoteCall>),
    /// A Relay connection (`<t>_connection`).
    Connection(Box<Connection>),
}

/// An operation to forward to a remote schema.
#[derive(Debug, Clone)]
pub struct RemoteCall {
    /// Index into the role schema's remotes.
    pub index: usize,
    /// The operation text, in the remote's own names.
    pub query: String,
    /// The request's variables it uses.
    pub variables: Vec<String>,
    /// The root field is the remote's namespace: the whole `data` is its value.
    pub namespace: bool,
    /// Where `__typename` answers need the customized type names (`None`: no customization).
    pub typenames: Option<TypenameTree>,
    /// Relationships from the remote's objects to tables, filled in after the remote answers.
    pub db_joins: Vec<DbJoin>,
}

/// A relationship from a remote object to a table: where its objects are in the remote's
/// answer, which of their keys hold the joined values, and the select of the table (without
/// the join condition, which each object's values add).
#[derive(Debug, Clone)]
pub struct DbJoin {
    /// The number of the table's source (0: the first served).
    pub source: usize,
    /// Response keys from the root field's value down to the objects (lists walked through).
    pub path: Vec<String>,
    /// The relationship's response key (the remote answers a placeholder there).
    pub key: String,
    /// (the key in the remote's answer holding a joined field, the table's column).
    pub columns: Vec<(String, ColumnRef)>,
    /// Keys the engine added to the remote's selection, removed from the answer.
    pub added: Vec<String>,
    pub select: Select,
}

/// Response keys holding `__typename`, and the keys below which more of them sit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypenameTree {
    pub typenames: std::collections::BTreeSet<String>,
    pub children: std::collections::BTreeMap<String, TypenameTree>,
}

/// A call of an action's handler.
#[derive(Debug, Clone)]
pub struct ActionCall {
    /// Index into the role schema's actions.
    pub index: usize,
    /// The arguments given, by name.
    pub input: Value,
    /// What to pick from the answer (`None` for asynchronous actions: they answer an id).
    pub selection: Option<ActionSelection>,
}

/// A read of an asynchronous action's stored call.
#[derive(Debug, Clone)]
pub struct ActionResultRead {
    pub index: usize,
    pub id: Value,
    /// The selection on `{id, created_at, errors, output}`.
    pub selection: ActionSelection,
}

/// The selection applied to an action's JSON answer.
#[derive(Debug, Clone)]
pub struct ActionSelection {
    pub type_name: String,
    pub fields: Vec<(String, SelectedField)>,
}

/// One selected field of an action's output.
#[derive(Debug, Clone)]
pub enum SelectedField {
    Typename(String),
    Field {
        name: String,
        type_name: String,
        nested: Option<ActionSelection>,
    },
    /// A relationship to a table: rows whose `mapping` columns equal the output's fields.
    Relationship {
        mapping: Vec<(String, ColumnRef)>,
        select: Box<Select>,
    },
}

/// A write to one table and what to answer.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub table: QualifiedName,
    pub kind: MutationKind,
    pub output: MutationOutput,
    /// Rows of the response: only those the role may select.
    pub returning_filter: BoolExp,
}

/// The write itself.
#[derive(Debug, Clone)]
pub enum MutationKind {
    Insert {
        rows: Vec<InsertRow>,
        on_conflict: Option<OnConflict>,
        /// The insert permission's check: every written row must satisfy it.
        check: Option<BoolExp>,
    },
    Update {
        filter: BoolExp,
        set: Vec<(ColumnRef, UpdateOp, Value)>,
        /// The update permission's check on the new row values.
        check: Option<BoolExp>,
    },
    Delete {
        filter: BoolExp,
    },
}

/// One row to insert, with rows of related tables to insert with it.
#[derive(Debug, Clone)]
pub struct InsertRow {
    pub columns: Vec<(ColumnRef, Value)>,
    /// Object relationships: inserted before this row (or after, for `after_parent`).
    pub object_rels: Vec<NestedInsert>,
    /// Array relationships: inserted after this row.
    pub array_rels: Vec<NestedInsert>,
}

impl InsertRow {
    pub fn is_nested(&self) -> bool {
        !self.object_rels.is_empty() || !self.array_rels.is_empty()
    }
}

/// Rows of a related table inserted through a relationship.
#[derive(Debug, Clone)]
pub struct NestedInsert {
    pub table: QualifiedName,
    /// (column of the parent, column of the related table).
    pub mapping: Vec<(ColumnRef, ColumnRef)>,
    pub rows: Vec<InsertRow>,
    pub on_conflict: Option<OnConflict>,
    /// The related table's insert check.
    pub check: Option<BoolExp>,
}

/// `on_conflict`: the constraint, the columns to update (none: do nothing), a filter.
#[derive(Debug, Clone)]
pub struct OnConflict {
    pub constraint: String,
    pub update_columns: Vec<String>,
    pub filter: Option<BoolExp>,
    /// The update permission's presets, set on the rows the conflict updates.
    pub presets: Vec<(ColumnRef, Value)>,
}

/// Update operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOp {
    Set,
    Inc,
    /// Multiplied by the value (the query API's `$mul`).
    Mul,
    /// Back to the column's default (the query API's `$default`; the value is unused).
    Default,
    Append,
    Prepend,
    DeleteKey,
    DeleteElem,
    DeleteAtPath,
}

/// What a mutation answers.
#[derive(Debug, Clone)]
pub enum MutationOutput {
    /// `<t>_mutation_response`: `affected_rows`, `returning`.
    Response(Vec<(String, ResponseField)>),
    /// `insert_<t>_one`, `*_by_pk`: the row or null.
    Single(Vec<(String, Field)>),
}

/// A field of `<t>_mutation_response`.
#[derive(Debug, Clone)]
pub enum ResponseField {
    AffectedRows,
    Returning(Vec<(String, Field)>),
    Typename(String),
}

/// Who is asking: the role and the session variables (names in lower case).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Session {
    pub role: String,
    pub vars: std::collections::BTreeMap<String, String>,
    /// The admin secret's holder asked for `backend_only` permissions.
    pub backend_only: bool,
}

impl Session {
    pub fn admin() -> Session {
        Session {
            role: "admin".into(),
            vars: Default::default(),
            backend_only: false,
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A column with the type its values are cast to.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    pub name: String,
    pub type_schema: String,
    pub type_name: String,
    /// Set for a computed field: the value is a function of the row, not a column.
    pub computed: Option<Box<ComputedCall>>,
}

/// A call of a computed field's function on a row.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedCall {
    /// The computed field's name.
    pub field: String,
    pub function: QualifiedName,
    pub arity: usize,
    pub table_argument: usize,
    /// Where the session variables go (as JSON), if the function takes them.
    pub session_argument: Option<usize>,
    pub session: String,
    /// The other arguments given (`args`): (position, type schema, type name, value).
    pub args: Vec<(usize, String, String, serde_json::Value)>,
}

/// A tracked function a select reads from instead of a table.
#[derive(Debug, Clone)]
pub struct FunctionCall {
    pub function: QualifiedName,
    /// The arguments given, in order; omitted ones (with defaults) are left out.
    pub args: Vec<FunctionArgValue>,
}

/// One argument of a function call: by name (`"name" => value`) when `name` is set, else by
/// position.
#[derive(Debug, Clone)]
pub struct FunctionArgValue {
    /// The row of the enclosing select (a computed field's table argument); `value` unused.
    pub parent_row: bool,
    pub name: Option<String>,
    pub type_schema: String,
    pub type_name: String,
    pub value: Value,
}

/// A native query's code with the values of its arguments (by name: the type to cast the
/// parameter to, and the value; a nullable argument left out is null).
#[derive(Debug, Clone)]
pub struct NativeCall {
    pub code: std::sync::Arc<rasura_native_queries::Code>,
    pub args: std::collections::HashMap<String, (String, Value)>,
}

/// A read of one table.
#[derive(Debug, Clone)]
pub struct Select {
    pub table: QualifiedName,
    /// Read the rows from this function call instead of the table.
    pub from_function: Option<FunctionCall>,
    /// Read the rows from a native query's code instead of the table.
    pub from_native: Option<NativeCall>,
    pub filter: BoolExp,
    pub order_by: Vec<OrderBy>,
    pub distinct_on: Vec<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// An aggregate's `nodes` only: the role's row limit, which does not shrink the
    /// aggregates (as in Hasura).
    pub nodes_limit: Option<u64>,
    pub shape: Shape,
    /// Columns the role sees only where a condition holds (null elsewhere): an inherited
    /// role's columns that only some of its parents allow.
    pub redactions: Vec<(String, BoolExp)>,
}

/// What a select returns.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A JSON array of objects.
    Rows(Vec<(String, Field)>),
    /// One object or null (`_by_pk`, object relationships).
    Single(Vec<(String, Field)>),
    /// An `_aggregate` object.
    Aggregate(Vec<(String, AggField)>),
}

/// A field of a row object.
#[derive(Debug, Clone)]
pub enum Field {
    Column {
        column: ColumnRef,
        /// `path` argument of json/jsonb columns, as path elements.
        path: Option<Vec<String>>,
        /// Read through `upper()`: an enum table's value under graphql-default.
        upper: bool,
    },
    Typename(String),
    /// An object or array relationship, or an array aggregate: a nested select joined on `mapping`.
    Relationship {
        mapping: Vec<(String, String)>,
        select: Box<Select>,
    },
    /// A remote relationship: the database answers a placeholder holding the join columns,
    /// filled in afterwards from one batched call of the remote.
    RemoteJoin(Box<RemoteJoin>),
    /// A relationship to a table of another database source: a placeholder as a remote
    /// join's, filled in afterwards from that source.
    SourceJoin(Box<SourceJoin>),
    /// A Relay connection through an array relationship, joined on `mapping`.
    Connection {
        mapping: Vec<(String, String)>,
        connection: Box<Connection>,
    },
    /// A row's Relay global id, made of its table and primary key.
    NodeId {
        table: QualifiedName,
        primary_key: Vec<ColumnRef>,
    },
}

/// The key of the placeholder object a remote join leaves in the database's answer.
pub const JOIN_MARKER: &str = "__rasura_remote_join";

/// A remote relationship to fill in.
#[derive(Debug, Clone)]
pub struct RemoteJoin {
    /// Unique within the operation; the placeholder's marker value.
    pub id: usize,
    /// Index into the role schema's remotes.
    pub remote: usize,
    /// The table's columns the arguments use.
    pub lhs: Vec<ColumnRef>,
    /// From the remote's root: (field, arguments with `"$column"` values).
    pub path: Vec<(String, serde_json::Map<String, Value>)>,
    /// The client's selection on the result, in the remote's names (empty for a scalar).
    pub selection: String,
    /// Variable definitions (`$n: T`) the selection needs, and their names.
    pub variable_definitions: Vec<String>,
    pub variables: Vec<String>,
    /// Where `__typename` answers need the customized names (`None`: no customization).
    pub typenames: Option<TypenameTree>,
}

/// A relationship to a table of another database source, to fill in.
#[derive(Debug, Clone)]
pub struct SourceJoin {
    /// Unique within the operation; the placeholder's marker value.
    pub id: usize,
    /// The number of the source the target is in (0: the first served).
    pub source: usize,
    /// The row's columns the join uses.
    pub lhs: Vec<ColumnRef>,
    /// (the row's column, the target's column) pairs to match.
    pub columns: Vec<(String, ColumnRef)>,
    /// It answers rows (else one object or null).
    pub array: bool,
    /// The target's select, without the join condition.
    pub select: Select,
}

impl Field {
    /// The join id and join columns of a field the database answers with a placeholder.
    pub fn placeholder(&self) -> Option<(usize, &[ColumnRef])> {
        match self {
            Field::RemoteJoin(j) => Some((j.id, &j.lhs)),
            Field::SourceJoin(j) => Some((j.id, &j.lhs)),
            _ => None,
        }
    }
}

/// The joins `pick` finds among `fs` and the selects nested in them (not those in a source
/// join's select: its answer is joined on its own).
fn joins_in<'a, T>(out: &mut Vec<&'a T>, fs: &'a [(String, Field)], pick: Pick<T>) {
    for (_, f) in fs {
        match f {
            Field::Relationship { select, .. } => out.extend(select.joins(pick)),
            f => out.extend(pick(f)),
        }
    }
}

/// Which fields are the joins looked for.
type Pick<T> = for<'a> fn(&'a Field) -> Option<&'a T>;

fn remote(f: &Field) -> Option<&RemoteJoin> {
    match f {
        Field::RemoteJoin(j) => Some(j),
        _ => None,
    }
}

fn source(f: &Field) -> Option<&SourceJoin> {
    match f {
        Field::SourceJoin(j) => Some(j),
        _ => None,
    }
}

impl Select {
    /// Every remote join in this select and its nested selects.
    pub fn remote_joins(&self) -> Vec<&RemoteJoin> {
        self.joins(remote)
    }

    /// Every join to another source in this select and its nested selects.
    pub fn source_joins(&self) -> Vec<&SourceJoin> {
        self.joins(source)
    }

    fn joins<T>(&self, pick: Pick<T>) -> Vec<&T> {
        let mut out = vec![];
        match &self.shape {
            Shape::Rows(f) | Shape::Single(f) => joins_in(&mut out, f, pick),
            Shape::Aggregate(items) => {
                for (_, item) in items {
                    if let AggField::Nodes(f) = item {
                        joins_in(&mut out, f, pick);
                    }
                }
            }
        }
        out
    }
}

impl Root {
    /// Every remote join of this root field's answer.
    pub fn remote_joins(&self) -> Vec<&RemoteJoin> {
        self.joins(remote)
    }

    /// Every join to another source of this root field's answer.
    pub fn source_joins(&self) -> Vec<&SourceJoin> {
        self.joins(source)
    }

    fn joins<T>(&self, pick: Pick<T>) -> Vec<&T> {
        let mut out = vec![];
        match self {
            Root::Select(s) => out.extend(s.joins(pick)),
            Root::Mutation(m) => out.extend(m.joins(pick)),
            Root::UpdateMany(ms) => ms.iter().for_each(|m| out.extend(m.joins(pick))),
            _ => {}
        }
        out
    }
}

impl Mutation {
    /// Every remote join of this mutation's answer.
    pub fn remote_joins(&self) -> Vec<&RemoteJoin> {
        self.joins(remote)
    }

    fn joins<T>(&self, pick: Pick<T>) -> Vec<&T> {
        let mut out = vec![];
        match &self.output {
            MutationOutput::Single(f) => joins_in(&mut out, f, pick),
            MutationOutput::Response(items) => {
                for (_, item) in items {
                    if let ResponseField::Returning(f) = item {
                        joins_in(&mut out, f, pick);
                    }
                }
            }
        }
        out
    }
}

/// A field of an `_aggregate` object.
#[derive(Debug, Clone)]
pub enum AggField {
    Aggregate(Vec<(String, AggOp)>),
    Nodes(Vec<(String, Field)>),
    Typename(String),
}

/// A field of `<t>_aggregate_fields`.
#[derive(Debug, Clone)]
pub enum AggOp {
    Count {
        columns: Vec<String>,
        distinct: bool,
    },
    /// `sum`, `avg`, `max`, ... over columns.
    Op {
        op: String,
        fields: Vec<(String, OpField)>,
    },
    Typename(String),
}

/// A field of `<t>_<op>_fields`.
#[derive(Debug, Clone)]
pub enum OpField {
    Column(ColumnRef),
    Typename(String),
}

/// A boolean expression over a table's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum BoolExp {
    True,
    /// Another table's permission rule applied at this level (a relationship's target): its
    /// `["$", col]` comparisons refer to this row, not to the row the outer rule started from.
    Rooted(Box<BoolExp>),
    And(Vec<BoolExp>),
    Or(Vec<BoolExp>),
    Not(Box<BoolExp>),
    /// `column op value`; `value` is bound as a parameter of the column's type. With `cast`,
    /// the column is first cast to `column`'s type (a `_cast` to `String`, `geography`, ...).
    Compare {
        column: ColumnRef,
        cast: bool,
        op: CompareOp,
        value: Value,
    },
    IsNull {
        column: ColumnRef,
        is_null: bool,
    },
    /// Some related row of `table` (joined on `mapping`) satisfies `exp`.
    Related {
        table: QualifiedName,
        mapping: Vec<(String, String)>,
        exp: Box<BoolExp>,
    },
    /// Some row returned by a set-returning computed field satisfies `exp`.
    ComputedRelated {
        call: ComputedCall,
        /// The table whose rows the function returns.
        table: QualifiedName,
        exp: Box<BoolExp>,
    },
    /// Some row of an unrelated table satisfies `exp` (`_exists` in permissions).
    Exists {
        table: QualifiedName,
        exp: Box<BoolExp>,
    },
    /// `column op other` where `other` is a column of this row, or of the permission's root
    /// row (`["$", "col"]`) when `root` is set.
    CompareColumns {
        column: ColumnRef,
        op: CompareOp,
        other: String,
        root: bool,
    },
    /// An aggregate (`count`, `bool_and`, `bool_or`) of related rows (filtered by `filter`)
    /// compared by `predicate`.
    AggregatePredicate {
        function: AggregateFunction,
        table: QualifiedName,
        mapping: Vec<(String, String)>,
        columns: Vec<String>,
        distinct: bool,
        filter: Box<BoolExp>,
        predicate: Box<BoolExp>,
    },
}

/// Between a source namespace's response key and its field's key in an IR root key
/// (`archive\u{1f}author`): the response nests the field under the namespace.
pub const NAMESPACE_SEPARATOR: char = '\u{1f}';

/// The aggregates an aggregation predicate (`<rel>_aggregate: {count: ...}`) can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    /// `count(columns)` (`count(*)` without columns).
    Count,
    /// `bool_and(column)` over one boolean column.
    BoolAnd,
    /// `bool_or(column)` over one boolean column.
    BoolOr,
}

impl AggregateFunction {
    /// The input field (and SQL function) name.
    pub fn name(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::BoolAnd => "bool_and",
            AggregateFunction::BoolOr => "bool_or",
        }
    }
}

/// Comparison operators of `<S>_comparison_exp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Like,
    Nlike,
    Ilike,
    Nilike,
    Similar,
    Nsimilar,
    Regex,
    Nregex,
    Iregex,
    Niregex,
    Contains,
    ContainedIn,
    HasKey,
    HasKeysAny,
    HasKeysAll,
    /// PostGIS: `ST_Contains(column, value)` and its kin; the value is GeoJSON.
    StContains,
    StCrosses,
    StEquals,
    StIntersects,
    StOverlaps,
    StTouches,
    StWithin,
    St3dIntersects,
    /// `ST_DWithin(column, from, distance[, use_spheroid])`: the value is
    /// `{distance, from[, use_spheroid]}`.
    StDWithin,
    St3dDWithin,
    /// ltree: `@>` / `<@` against one path or (`_any`) an array of paths.
    Ancestor,
    AncestorAny,
    Descendant,
    DescendantAny,
    /// ltree: `~ lquery`, `? lquery[]`, `@ ltxtquery`.
    Matches,
    MatchesAny,
    MatchesFulltext,
}

impl CompareOp {
    pub fn parse(name: &str) -> Option<CompareOp> {
        use CompareOp::*;
        Some(match name {
            "_eq" => Eq,
            "_neq" => Neq,
            "_gt" => Gt,
            "_gte" => Gte,
            "_lt" => Lt,
            "_lte" => Lte,
            "_in" => In,
            "_nin" => Nin,
            "_like" => Like,
            "_nlike" => Nlike,
            "_ilike" => Ilike,
            "_nilike" => Nilike,
            "_similar" => Similar,
            "_nsimilar" => Nsimilar,
            "_regex" => Regex,
            "_nregex" => Nregex,
            "_iregex" => Iregex,
            "_niregex" => Niregex,
            "_contains" => Contains,
            "_contained_in" => ContainedIn,
            "_has_key" => HasKey,
            "_has_keys_any" => HasKeysAny,
            "_has_keys_all" => HasKeysAll,
            "_st_contains" => StContains,
            "_st_crosses" => StCrosses,
            "_st_equals" => StEquals,
            "_st_intersects" => StIntersects,
            "_st_overlaps" => StOverlaps,
            "_st_touches" => StTouches,
            "_st_within" => StWithin,
            "_st_3d_intersects" => St3dIntersects,
            "_st_d_within" => StDWithin,
            "_st_3d_d_within" => St3dDWithin,
            "_ancestor" => Ancestor,
            "_ancestor_any" => AncestorAny,
            "_descendant" => Descendant,
            "_descendant_any" => DescendantAny,
            "_matches" => Matches,
            "_matches_any" => MatchesAny,
            "_matches_fulltext" => MatchesFulltext,
            _ => return None,
        })
    }
}

/// One `order_by` entry.
#[derive(Debug, Clone)]
pub struct OrderBy {
    pub target: OrderTarget,
    pub desc: bool,
    pub nulls_first: bool,
}

/// What is ordered by.
#[derive(Debug, Clone)]
pub enum OrderTarget {
    Column(String),
    /// A scalar computed field: its function called on the row.
    Computed(Box<ComputedCall>),
    /// A column (or deeper target) of the row an object relationship points at.
    Related {
        table: QualifiedName,
        mapping: Vec<(String, String)>,
        filter: Box<BoolExp>,
        inner: Box<OrderTarget>,
    },
    /// An aggregate over an array relationship's rows: `count`, or `op` of `column`.
    Aggregate {
        table: QualifiedName,
        mapping: Vec<(String, String)>,
        filter: Box<BoolExp>,
        op: String,
        column: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::CompareOp;
    use rasura_resolve::stages::bool_exp::{COLUMN_OPERATORS, COMPARISON_OPERATORS};

    /// Metadata resolution accepts in permission rules exactly the operators compiled here.
    #[test]
    fn the_operators_permissions_may_use_are_the_ones_compiled() {
        for op in COMPARISON_OPERATORS {
            assert!(
                CompareOp::parse(op).is_some() || ["_is_null", "_cast"].contains(op),
                "{op} is accepted in permissions but not compiled"
            );
        }
        let compiled = COMPARISON_OPERATORS
            .iter()
            .filter(|op| CompareOp::parse(op).is_some())
            .count();
        assert_eq!(compiled, 33, "a compiled operator is missing from the list");
        assert_eq!(COLUMN_OPERATORS.len(), 7);
    }
}

/// The key of each row's cursor value in a streaming subscription's answer
/// (`rasura_ir::stream`).
pub const STREAM_CURSOR_KEY: &str = "__rasura_cursor";

impl Operation {
    /// The response key of the streaming root field, if the operation has one.
    pub fn stream_root(&self) -> Option<&str> {
        self.roots.iter().find_map(|(key, root)| match root {
            Root::Select(s) => match &s.shape {
                Shape::Rows(f) if f.iter().any(|(k, _)| k == STREAM_CURSOR_KEY) => {
                    Some(key.as_str())
                }
                _ => None,
            },
            _ => None,
        })
    }
}

/// A `<t>_connection` root field.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The rows (filter with permissions; order ending in the primary key); its shape holds
    /// every field the nodes read.
    pub select: Select,
    /// `after` (true) or `before` (false), with the cursor's value for each order-by item.
    pub split: Option<(bool, Vec<Value>)>,
    /// `first` (true) or `last` (false), and how many.
    pub slice: Option<(bool, u64)>,
    /// The cursor's keys: a path for each order-by item.
    pub cursor_keys: Vec<Vec<String>>,
    pub fields: Vec<(String, ConnField)>,
}

/// A field of `<t>Connection`.
#[derive(Debug, Clone)]
pub enum ConnField {
    Typename(String),
    PageInfo(Vec<(String, PageField)>),
    Edges(Vec<(String, EdgeField)>),
}

/// A field of `PageInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageField {
    Typename,
    StartCursor,
    EndCursor,
    HasNextPage,
    HasPreviousPage,
}

/// A field of `<t>Edge`.
#[derive(Debug, Clone)]
pub enum EdgeField {
    Typename(String),
    Cursor,
    Node(Vec<(String, Field)>),
}
