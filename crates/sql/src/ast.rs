//! The SQL AST: only what the translation needs.

/// A table or subquery alias, e.g. `_0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias(pub String);

/// A schema-qualified type, e.g. `pg_catalog.int4`; `array` appends `[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub schema: String,
    pub name: String,
    pub array: bool,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `"alias"."column"`
    Column(Alias, String),
    /// `"alias".*` as a whole-row value, e.g. for computed fields.
    Row(Alias),
    /// A bind parameter, sent as text and cast to `cast`: `$n::text::type`.
    Param {
        index: usize,
        cast: Option<TypeName>,
    },
    /// A string literal `'…'` (quotes doubled); used for JSON keys and fixed engine values.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// `true`, `false`, `NULL`.
    Bool(bool),
    Null,
    /// `DEFAULT`: a column's default, in an UPDATE's SET.
    Default,
    /// `name(args)`.
    Func(String, Vec<Expr>),
    /// `"name" => value`: a function argument given by name.
    Named(String, Box<Expr>),
    /// `"schema"."name"(args)`: a user function, quoted.
    Call {
        schema: String,
        name: String,
        args: Vec<Expr>,
    },
    /// `count(*)`, `count(DISTINCT a)`, `count((a, b))`.
    Count {
        distinct: bool,
        args: Vec<Expr>,
    },
    /// `json_agg(expr ORDER BY …)`.
    JsonAgg {
        expr: Box<Expr>,
        order_by: Vec<OrderItem>,
    },
    /// A window function over the whole row set: `call OVER (ORDER BY …)`, e.g. `row_number()`.
    Window {
        func: &'static str,
        order_by: Vec<OrderItem>,
    },
    /// `left op right`.
    BinOp(Box<Expr>, &'static str, Box<Expr>),
    /// `left op ANY (right)` / `left op ALL (right)`.
    AnyAll {
        left: Box<Expr>,
        op: &'static str,
        all: bool,
        right: Box<Expr>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    Exists(Box<Select>),
    /// `(SELECT …)` as a scalar value.
    Subquery(Box<Select>),
    /// `expr::type`.
    Cast(Box<Expr>, TypeName),
    /// `coalesce(a, b)`.
    Coalesce(Vec<Expr>),
    /// `CASE WHEN cond THEN a ELSE b END`.
    Case {
        when: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `json_build_object('k', v, …)`.
    JsonObject(Vec<(String, Expr)>),
    /// `row_to_json((SELECT "_e" FROM (SELECT v AS "k", …) AS "_e"))`: any number of keys, in order.
    RowToJson(Vec<(String, Expr)>),
}

/// An ORDER BY item.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    pub nulls_first: bool,
}

/// What a SELECT reads from.
#[derive(Debug, Clone, PartialEq)]
pub enum From {
    Table {
        schema: String,
        name: String,
        alias: Alias,
    },
    Subquery {
        select: Box<Select>,
        alias: Alias,
    },
    /// A common table expression of the enclosing statement.
    Cte {
        name: Alias,
        alias: Alias,
    },
    /// A native query's code as a subquery, its placeholders as parameters:
    /// `(<text> $1 <text>) AS alias`.
    Native {
        parts: Vec<NativePart>,
        alias: Alias,
    },
    /// A set-returning function: `"schema"."name"(args) AS alias`.
    Function {
        schema: String,
        name: String,
        args: Vec<Expr>,
        alias: Alias,
    },
}

/// A piece of a native query's code: its text as written, or a parameter in place of a
/// placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum NativePart {
    Text(String),
    Param(Expr),
}

/// A data-modifying statement, always `RETURNING *` (and `ctid` when asked).
#[derive(Debug, Clone, PartialEq)]
pub enum Dml {
    Insert {
        schema: String,
        name: String,
        alias: Alias,
        columns: Vec<String>,
        /// One list per row; `None` is `DEFAULT`.
        rows: Vec<Vec<Option<Expr>>>,
        on_conflict: Option<OnConflict>,
    },
    Update {
        schema: String,
        name: String,
        alias: Alias,
        set: Vec<(String, Expr)>,
        where_: Expr,
    },
    Delete {
        schema: String,
        name: String,
        alias: Alias,
        where_: Expr,
    },
}

/// `ON CONFLICT ON CONSTRAINT c DO NOTHING | DO UPDATE SET … [WHERE …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    pub constraint: String,
    /// Empty: `DO NOTHING`.
    pub set: Vec<(String, Expr)>,
    pub where_: Option<Expr>,
}

/// `WITH name AS (dml RETURNING *[, ctid AS "__ctid"]) body`.
#[derive(Debug, Clone, PartialEq)]
pub struct With {
    pub name: Alias,
    pub dml: Dml,
    pub returning_ctid: bool,
    pub body: Select,
}

/// `EXCLUDED."col"` in an upsert.
pub fn excluded(column: &str) -> Expr {
    Expr::Column(Alias("excluded".into()), column.to_string())
}

/// A SELECT statement or subquery.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    pub distinct_on: Vec<Expr>,
    /// Items with optional output names; `alias.*` is written as `Expr::Row` with name `*`.
    pub items: Vec<SelectItem>,
    pub from: Option<From>,
    pub where_: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// One item of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Expr(Expr, Option<String>),
    /// `"alias".*`
    Star(Alias),
}

impl Expr {
    pub fn col(alias: &Alias, column: &str) -> Expr {
        Expr::Column(alias.clone(), column.to_string())
    }

    pub fn func(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Func(name.to_string(), args)
    }

    pub fn eq(a: Expr, b: Expr) -> Expr {
        Expr::BinOp(Box::new(a), "=", Box::new(b))
    }

    /// `a AND b AND …`, simplified: empty is `true`, one is itself.
    pub fn and(mut exprs: Vec<Expr>) -> Expr {
        exprs.retain(|e| e != &Expr::Bool(true));
        match exprs.len() {
            0 => Expr::Bool(true),
            1 => exprs.pop().expect("one"),
            _ => Expr::And(exprs),
        }
    }

    /// `a OR b OR …`: empty is `false`.
    pub fn or(mut exprs: Vec<Expr>) -> Expr {
        match exprs.len() {
            0 => Expr::Bool(false),
            1 => exprs.pop().expect("one"),
            _ => Expr::Or(exprs),
        }
    }
}

impl TypeName {
    pub fn new(schema: &str, name: &str) -> TypeName {
        TypeName {
            schema: schema.to_string(),
            name: name.to_string(),
            array: false,
        }
    }

    pub fn pg(name: &str) -> TypeName {
        TypeName::new("pg_catalog", name)
    }

    pub fn array_of(mut self) -> TypeName {
        self.array = true;
        self
    }
}
