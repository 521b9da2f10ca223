//! Builds a role's schema: SDL text generated from the resolved metadata, parsed and validated by
//! apollo-compiler (in parts, definitions shared: `share.rs`), plus the annotations the IR reads.

use rasura_catalog::EnumRows;
use rasura_metadata::QualifiedName;
use rasura_resolve::{RelKind, ResolvedMetadata, ResolvedTable};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use crate::naming::{self, Naming, RootKind, TypeNames};
use crate::perms::allows_root;
use crate::scalars;
use crate::types::{
    ColumnInfo, MutationRoot, RelInfo, RoleSchema, RootField, TableBase, TableField, TableInfo,
};
use crate::writer::{select_args, SdlWriter};
use rasura_schema_share::SharedTypes;

const SHARED_SDL: &str = r#"

"""whether this query should be cached (Hasura Cloud only)"""
directive @cached(ttl: Int! = 60, refresh: Boolean! = false) on QUERY
"#;

/// The query root's only field when a role may read nothing, and what it answers.
pub const PLACEHOLDER_FIELD: &str = "no_queries_available";
pub const PLACEHOLDER_TEXT: &str = "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions.";

/// The `order_by` enum's values and their descriptions.
pub const ORDER_BY_VALUES: [(&str, &str); 6] = [
    ("asc", "in ascending order, nulls last"),
    ("asc_nulls_first", "in ascending order, nulls first"),
    ("asc_nulls_last", "in ascending order, nulls last"),
    ("desc", "in descending order, nulls first"),
    ("desc_nulls_first", "in descending order, nulls first"),
    ("desc_nulls_last", "in descending order, nulls last"),
];

/// `order_by` (`OrderBy` with upper-case values under graphql-default).
fn order_by_enum(n: &Naming) -> String {
    let mut out = format!(
        "\n\"\"\"column ordering options\"\"\"\nenum {} {{\n",
        n.type_case("order_by")
    );
    for (value, doc) in ORDER_BY_VALUES {
        let _ = writeln!(out, "  \"\"\"{doc}\"\"\"\n  {}", n.enum_value(value));
    }
    out.push_str("}\n");
    out
}

/// Builds the schema `role` sees (today every role sees everything, as admin does).
pub fn build_schema(resolved: &ResolvedMetadata, role: &str) -> Result<RoleSchema, String> {
    build_schema_for(resolved, role, false)
}

/// As [`build_schema`]; `backend` includes the role's `backend_only` mutation permissions.
pub fn build_schema_for(
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
) -> Result<RoleSchema, String> {
    build_schema_shared(resolved, role, backend, &SharedTypes::default())
}

/// As [`build_schema_for`]; type definitions equal to ones in `shared` (built for other roles of
/// the same metadata) are shared instead of kept twice.
pub fn build_schema_shared(
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
    shared: &SharedTypes,
) -> Result<RoleSchema, String> {
    build(resolved, role, backend, shared, false, SPLIT_TABLES)
}

/// As [`build_schema_for`], with every table written on this thread (from `SPLIT_TABLES` on they
/// are written on two, `SdlWriter::tables`): the tests compare the two.
#[doc(hidden)]
pub fn build_schema_on_one_thread(
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
) -> Result<RoleSchema, String> {
    build(
        resolved,
        role,
        backend,
        &SharedTypes::default(),
        false,
        usize::MAX,
    )
}

/// The Relay schema `role` sees at `/v1beta1/relay` (`relay.rs`).
pub fn build_relay_schema(
    resolved: &ResolvedMetadata,
    role: &str,
    shared: &SharedTypes,
) -> Result<RoleSchema, String> {
    build(resolved, role, false, shared, true, SPLIT_TABLES)
}

fn build(
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
    shared: &SharedTypes,
    relay: bool,
    split: usize,
) -> Result<RoleSchema, String> {
    let naming = resolved.naming.clone();
    // The enum tables' types: `<table's GraphQL name>_enum`, with the tables' rows as values.
    let enum_types: HashMap<&QualifiedName, (String, &EnumRows)> = resolved
        .tables
        .iter()
        .filter_map(|t| {
            let name = naming.table_type(&naming::table_ident(&t.name, &t.config), "enum");
            let values = t.enum_values.as_ref()?;
            naming::is_valid_name(&name).then_some((&t.name, (name, values)))
        })
        .collect();
    // Under graphql-default enum values are upper case: the stored value of each.
    let enum_maps: HashMap<&QualifiedName, Arc<HashMap<String, String>>> = if naming.graphql {
        enum_types
            .iter()
            .map(|(t, (_, rows))| {
                let map = rows
                    .iter()
                    .map(|(v, _)| (naming.enum_value(v), v.clone()))
                    .collect();
                (*t, Arc::new(map))
            })
            .collect()
    } else {
        HashMap::new()
    };
    let mut tables = vec![];
    let mut table_index = HashMap::new();
    for t in &resolved.tables {
        let base = naming::table_base(&t.name, &t.config);
        if !naming::is_valid_name(&base) {
            continue;
        }
        table_index.insert(t.name.clone(), tables.len());
        tables.push(table_info(t, &enum_types, &enum_maps, &naming));
    }
    // Relationships, now that every table has an index.
    for t in &resolved.tables {
        let Some(&i) = table_index.get(&t.name) else {
            continue;
        };
        for r in t.object_relationships.iter().chain(&t.array_relationships) {
            let Some(&target) = table_index.get(&r.target) else {
                continue;
            };
            if !naming::is_valid_name(&r.name) {
                continue;
            }
            let info = RelInfo {
                target,
                mapping: r.mapping.clone(),
                insert_after_parent: r.kind == RelKind::Array || r.insert_after_parent,
                aggregate_input: if naming.graphql {
                    format!("{}Aggregate", r.name)
                } else {
                    format!("{}_aggregate", r.name)
                },
            };
            // Relay pages through an array relationship to a table with a primary key.
            let connectable = relay && crate::relay::is_node(&tables[target]);
            let fields = Arc::make_mut(&mut tables[i].fields);
            match r.kind {
                RelKind::Object => {
                    fields.insert(r.name.clone(), TableField::ObjectRel(info));
                }
                RelKind::Array => {
                    if connectable {
                        fields.insert(
                            naming.field(&format!("{}_connection", r.name)),
                            TableField::ArrayConnection(info.clone()),
                        );
                    }
                    fields.insert(
                        naming.field(&format!("{}_aggregate", r.name)),
                        TableField::ArrayAggregate(info.clone()),
                    );
                    fields.insert(r.name.clone(), TableField::ArrayRel(info));
                }
            }
        }
    }
    // Computed fields, now that every table has an index.
    for t in &resolved.tables {
        let Some(&i) = table_index.get(&t.name) else {
            continue;
        };
        for cf in &t.computed_fields {
            let f = &cf.function;
            let scalar = (!f.returns_set && f.return_type.kind != "c").then(|| {
                (
                    naming.scalar(&scalars::scalar_for_type(&f.return_type.name)),
                    f.return_type.schema.clone(),
                    f.return_type.name.clone(),
                )
            });
            let returns_table = cf
                .returns_table
                .as_ref()
                .and_then(|rt| table_index.get(rt).copied());
            if scalar.is_none() && returns_table.is_none() {
                continue;
            }
            Arc::make_mut(&mut tables[i].base).computed.insert(
                cf.name.clone(),
                crate::types::ComputedInfo {
                    name: cf.name.clone(),
                    function: rasura_metadata::QualifiedName::new(&f.schema, &f.name),
                    table_argument: cf.table_argument,
                    session_argument: cf.session_argument,
                    arity: f.argument_types.len(),
                    scalar,
                    returns_table,
                    // Its arguments other than the row and the session.
                    args: rasura_resolve::stages::functions::input_args(f, |i| {
                        i == cf.table_argument || Some(i) == cf.session_argument
                    })
                    .into_iter()
                    .map(|(i, mut a)| {
                        a.field = naming.db_name(&a.field);
                        (i, a)
                    })
                    .collect(),
                    // `<field>_<table>_args`, as current Hasura names it (the function may
                    // also be a root field, whose `<function>_args` differs).
                    args_type: naming.table_type(
                        &naming::table_ident(&t.name, &t.config).after(&cf.name),
                        "args",
                    ),
                    args_description: format!(
                        "input parameters for computed field \"{}\" defined on table \"{}\"",
                        cf.name, t.name
                    ),
                    // Metadata's comment (empty: none), else the function's, else Hasura's.
                    description: described(cf.comment.as_deref(), || {
                        f.description.clone().unwrap_or_else(|| {
                            format!(
                                "A computed field, executes function \"{}\"",
                                rasura_metadata::QualifiedName::new(&f.schema, &f.name)
                            )
                        })
                    }),
                },
            );
            if naming::is_valid_name(&cf.name) && tables[i].computed[&cf.name].scalar.is_some() {
                Arc::make_mut(&mut tables[i].fields)
                    .insert(cf.name.clone(), TableField::Computed(cf.name.clone()));
            }
            // `SETOF <tracked table>`, its other arguments given in `args`.
            let callable = tables[i].computed[&cf.name]
                .args
                .iter()
                .all(|(_, a)| naming::is_valid_name(&a.field));
            if f.returns_set
                && returns_table.is_some()
                && callable
                && naming::is_valid_name(&cf.name)
            {
                let fields = Arc::make_mut(&mut tables[i].fields);
                fields.insert(cf.name.clone(), TableField::ComputedRows(cf.name.clone()));
                fields.insert(
                    naming.field(&format!("{}_aggregate", cf.name)),
                    TableField::ComputedAggregate(cf.name.clone()),
                );
            }
        }
    }
    let functions = crate::functions::function_infos(resolved, &table_index, &naming);
    let all = crate::perms::all_relationships(&tables);
    for (t, rels) in tables.iter_mut().zip(all) {
        Arc::make_mut(&mut t.base).relationships = rels;
    }
    crate::perms::apply_role(&mut tables, resolved, role, backend);
    let mut w = SdlWriter {
        relay,
        naming: naming.clone(),
        enum_types: enum_types
            .into_values()
            .map(|(name, values)| (name, values.clone()))
            .collect(),
        ..SdlWriter::default()
    };
    let shown: Vec<(&ResolvedTable, usize)> = (resolved.tables.iter())
        .filter_map(|t| Some((t, *table_index.get(&t.name)?)))
        .filter(|&(_, i)| tables[i].visible || crate::perms::writes_only(&tables[i]))
        .collect();
    let (mut query_roots, mut mutation_roots) = w.tables(&shown, &tables, split);
    // A namespace puts the source's root fields (tables', then functions') under one field.
    let namespaced = !relay && !naming.namespace.is_empty();
    let mut db = crate::namespace::DbFields::default();
    if namespaced {
        db.take_from(&mut w, &mut query_roots, &mut mutation_roots);
    }
    if relay {
        w.relay_node(&mut query_roots);
    }
    let mut action_relationships = HashMap::new();
    w.custom_types(
        &resolved.custom_types,
        &resolved.actions,
        &tables,
        &table_index,
        &mut action_relationships,
    );
    let queries = std::mem::take(&mut w.query_fields);
    w.actions(
        &resolved.actions,
        role,
        &mut query_roots,
        &mut mutation_roots,
    );
    if relay {
        // Relay has the actions' mutations, not their queries.
        w.query_fields = queries;
        query_roots.retain(|_, r| !matches!(r, RootField::Action(_) | RootField::ActionResult(_)));
    } else {
        w.query_fields.insert_str(0, &queries);
    }
    if namespaced {
        let (queries, mutations) = (
            std::mem::take(&mut w.query_fields),
            std::mem::take(&mut w.mutation_fields),
        );
        for (i, f) in functions.iter().enumerate() {
            if crate::functions::role_may_call(f, &tables, role) {
                w.function(
                    f,
                    i,
                    &tables,
                    &resolved.catalog,
                    &mut db.query_roots,
                    &mut db.mutation_roots,
                );
            }
        }
        db.query_fields
            .push_str(&std::mem::take(&mut w.query_fields));
        db.mutation_fields
            .push_str(&std::mem::take(&mut w.mutation_fields));
        w.query_fields = queries;
        w.mutation_fields = mutations;
    } else {
        for (i, f) in functions.iter().enumerate() {
            if crate::functions::role_may_call(f, &tables, role) {
                w.function(
                    f,
                    i,
                    &tables,
                    &resolved.catalog,
                    &mut query_roots,
                    &mut mutation_roots,
                );
            }
        }
    }
    let namespace = namespaced.then(|| {
        db.write_into(
            &mut w,
            &naming,
            backend,
            &mut query_roots,
            &mut mutation_roots,
        )
    });
    // Relay serves no remote schemas.
    let remotes = if relay {
        vec![]
    } else {
        crate::remote_perms::remotes_for(resolved, role)
    };
    let remote_conflicts = w.remotes(&remotes, &mut query_roots, &mut mutation_roots);
    let remote_rels = w.remote_relationships(
        resolved,
        &remotes,
        &remote_conflicts,
        &mut tables,
        &table_index,
    );
    let source = resolved.source.as_ref().map_or("", |s| s.name.as_str());
    let remote_db_rels =
        w.remote_db_relationships(&remotes, &remote_conflicts, &tables, &table_index, source);
    if w.query_fields.is_empty() {
        query_roots.insert(PLACEHOLDER_FIELD.into(), RootField::Placeholder);
    }
    // Each table's facts and fields as another role of this state has them, if equal.
    for t in &mut tables {
        let key = (source.to_string(), t.base.name.clone());
        t.base = shared.one_of(key.clone(), t.base.clone());
        t.fields = shared.one_of(key, t.fields.clone());
    }
    let sdl = w.finish();
    let schema = shared.schema_for_sdl(&sdl, |sdl| {
        rasura_schema_share::parse_shared_then(sdl, shared, |schema| {
            shared.share(crate::subscription::share_query_fields(schema))
        })
    })?;
    drop(sdl);
    let implementers = schema.implementers_map();
    Ok(RoleSchema {
        role: role.to_string(),
        schema,
        implementers,
        query_roots,
        mutation_roots,
        tables,
        table_index,
        functions,
        actions: resolved.actions.clone(),
        action_relationships,
        remotes,
        remote_conflicts,
        remote_rels,
        remote_db_rels,
        custom_object_fields: custom_object_fields(&resolved.custom_types),
        relay,
        naming,
        namespace,
        sources: vec![],
    })
}

/// Each custom object type's field names, in the metadata's order.
fn custom_object_fields(custom: &serde_json::Value) -> HashMap<String, Vec<String>> {
    let objects = custom.get("objects").and_then(serde_json::Value::as_array);
    objects
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let fields = o.get("fields")?.as_array()?;
            let names = fields
                .iter()
                .filter_map(|f| f.get("name")?.as_str().map(str::to_string))
                .collect();
            Some((o.get("name")?.as_str()?.to_string(), names))
        })
        .collect()
}

fn table_info(
    t: &ResolvedTable,
    enum_types: &HashMap<&QualifiedName, (String, &EnumRows)>,
    enum_maps: &HashMap<&QualifiedName, Arc<HashMap<String, String>>>,
    n: &Naming,
) -> TableInfo {
    let ident = naming::table_ident(&t.name, &t.config);
    let mut fields = HashMap::new();
    let mut columns = HashMap::new();
    for c in &t.info.columns {
        let field = naming::column_field(n, &c.name, &t.config);
        if !naming::is_valid_name(&field) {
            continue;
        }
        fields.insert(field.clone(), TableField::Column(c.name.clone()));
        let enum_type = t
            .enum_columns
            .get(&c.name)
            .and_then(|target| enum_types.get(target))
            .map(|(name, _)| name.clone());
        columns.insert(
            c.name.clone(),
            ColumnInfo {
                name: c.name.clone(),
                field,
                type_schema: c.type_schema.clone(),
                type_name: c.type_name.clone(),
                is_enum: enum_type.is_some(),
                scalar: enum_type.unwrap_or_else(|| n.scalar(&scalars::scalar_for(c))),
                is_array: c.is_array(),
                nullable: c.nullable,
                writable: !c.is_generated,
                enum_values: t
                    .enum_columns
                    .get(&c.name)
                    .and_then(|target| enum_maps.get(target))
                    .cloned(),
            },
        );
    }
    TableInfo {
        base: Arc::new(TableBase {
            name: t.name.clone(),
            type_name: n.table_type(&ident, ""),
            ident,
            columns,
            primary_key: t
                .info
                .primary_key
                .as_ref()
                .map(|p| p.columns.clone())
                .unwrap_or_default(),
            constraints: t
                .info
                .primary_key
                .iter()
                .chain(&t.info.unique_constraints)
                .map(|c| c.name.clone())
                .filter(|n| naming::is_valid_name(n))
                .collect(),
            insertable: t.info.insertable,
            updatable: t.info.updatable,
            deletable: t.info.deletable,
            relationships: HashMap::new(),
            computed: HashMap::new(),
        }),
        fields: Arc::new(fields),
        visible: false,
        allow_aggregations: false,
        insert_columns: vec![],
        update_columns: vec![],
        perms: None,
        native: t.native.clone(),
    }
}

/// The root fields the tables' definitions put on the query (and subscription) root, and on the
/// mutation root.
type TableRoots = (HashMap<String, RootField>, HashMap<String, MutationRoot>);

/// From this many tables on, their definitions are written on two threads.
const SPLIT_TABLES: usize = 256;

impl SdlWriter {
    /// Writes the definitions and root fields of `shown` (tables and logical models, in order).
    /// From `split` tables on, the list is written in two halves, the second on a helper thread,
    /// and the halves are joined in order: the same text as one thread writes. It is written on
    /// one thread when a logical model is among them (it looks at the types written before it)
    /// and again when the halves' root fields meet (a later one gives way to an earlier one).
    fn tables(
        &mut self,
        shown: &[(&ResolvedTable, usize)],
        tables: &[TableInfo],
        split: usize,
    ) -> TableRoots {
        let write = |w: &mut SdlWriter, part: &[(&ResolvedTable, usize)]| {
            let mut roots = TableRoots::default();
            for &(t, idx) in part {
                match tables[idx].native.is_some() {
                    true => w.native(t, tables, idx, &mut roots.0),
                    false => w.table(t, tables, idx, &mut roots.0, &mut roots.1),
                }
            }
            roots
        };
        if shown.len() < split || shown.iter().any(|&(_, i)| tables[i].native.is_some()) {
            return write(self, shown);
        }
        let (first, second) = shown.split_at(shown.len() / 2);
        let (mut a, mut b) = (self.fresh(), self.fresh());
        let (mut roots, later) = std::thread::scope(|scope| {
            let helper = scope.spawn(|| write(&mut b, second));
            let roots = write(&mut a, first);
            (
                roots,
                helper
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        let meet = (later.0.keys()).any(|k| roots.0.contains_key(k))
            || (later.1.keys()).any(|k| roots.1.contains_key(k));
        if meet {
            return write(self, shown);
        }
        self.append(a);
        self.append(b);
        roots.0.extend(later.0);
        roots.1.extend(later.1);
        roots
    }

    /// The type names of table `t` under this schema's naming.
    pub(crate) fn names(&self, t: &TableInfo) -> TypeNames {
        let mut names = TypeNames::new(&self.naming, &t.ident);
        if t.native.is_some() {
            // A logical model's columns enum, as Hasura names it.
            names.select_column = self.naming.table_type(&t.ident, "enum_name");
        }
        names
    }

    fn table(
        &mut self,
        t: &ResolvedTable,
        tables: &[TableInfo],
        idx: usize,
        roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) {
        let info = &tables[idx];
        let names = self.names(info);
        let qualified = naming::described(&t.name);
        let mut cols: Vec<&ColumnInfo> = t
            .info
            .columns
            .iter()
            .filter_map(|c| info.columns.get(&c.name))
            .filter(|c| matches!(info.fields.get(&c.field), Some(TableField::Column(_))))
            .collect();
        cols.sort_by_key(|c| c.field.clone());
        let catalog_col = |name: &str| t.info.column(name).expect("column of this table");

        // Root fields.
        let select = naming::root_field(&self.naming, &info.ident, &t.config, RootKind::Select);
        let agg = naming::root_field(
            &self.naming,
            &info.ident,
            &t.config,
            RootKind::SelectAggregate,
        );
        let node = self.relay && crate::relay::is_node(info);
        if self.relay {
            if node && allows_root(info.perms.as_deref(), "select") {
                self.connection_root(&select, &names, &qualified, idx, roots);
            }
        } else if allows_root(info.perms.as_deref(), "select") {
            let _ = writeln!(
                self.query_fields,
                "  {}\n  {select}{}: [{}!]!",
                naming::root_description(
                    &t.config,
                    RootKind::Select,
                    &format!("fetch data from the table: \"{qualified}\"")
                ),
                select_args(&names),
                names.object
            );
            roots.insert(select, RootField::Select(idx));
            self.stream_field(info, &names, &cols, idx, roots);
        }
        if !self.relay
            && info.allow_aggregations
            && allows_root(info.perms.as_deref(), "select_aggregate")
        {
            let _ = writeln!(
                self.query_fields,
                "  {}\n  {agg}{}: {}!",
                naming::root_description(
                    &t.config,
                    RootKind::SelectAggregate,
                    &format!("fetch aggregated fields from the table: \"{qualified}\"")
                ),
                select_args(&names),
                names.aggregate
            );
            roots.insert(agg, RootField::SelectAggregate(idx));
        }
        let pk: Vec<&ColumnInfo> = info
            .primary_key
            .iter()
            .filter_map(|c| info.columns.get(c))
            .filter(|c| matches!(info.fields.get(&c.field), Some(TableField::Column(_))))
            .collect();
        if !self.relay
            && !pk.is_empty()
            && pk.len() == info.primary_key.len()
            && allows_root(info.perms.as_deref(), "select_by_pk")
        {
            let by_pk =
                naming::root_field(&self.naming, &info.ident, &t.config, RootKind::SelectByPk);
            for c in &pk {
                self.scalar(&c.scalar);
            }
            let args: Vec<String> = pk
                .iter()
                .map(|c| format!("{}: {}!", c.field, c.scalar))
                .collect();
            let _ = writeln!(
                self.query_fields,
                "  {}\n  {by_pk}({}): {}",
                naming::root_description(
                    &t.config,
                    RootKind::SelectByPk,
                    &format!(
                        "fetch data from the table: \"{qualified}\" using primary key columns"
                    )
                ),
                args.join(", "),
                names.object
            );
            roots.insert(by_pk, RootField::SelectByPk(idx));
        }

        // The object type: described by the table's comment (metadata's, else the database's),
        // else Hasura's text; columns by theirs.
        let table_doc = described(t.config.comment.as_deref(), || {
            t.info
                .description
                .clone()
                .unwrap_or_else(|| format!("columns and relationships of \"{qualified}\""))
        });
        let implements = if node { " implements Node" } else { "" };
        let _ = writeln!(
            self.types,
            "{}\ntype {}{implements} {{",
            table_doc.as_deref().map(literal).unwrap_or_default(),
            names.object
        );
        if node {
            self.types
                .push_str("  \"A globally unique identifier\"\n  id: ID!\n");
        }
        for c in &cols {
            // In Relay a column named `id` gives way to the global id.
            if self.relay && c.field == "id" {
                continue;
            }
            self.scalar(&c.scalar);
            let bang = if c.nullable { "" } else { "!" };
            let args = if scalars::is_json_like(catalog_col(&c.name)) {
                "(\"JSON select path\" path: String)"
            } else {
                ""
            };
            let comment = t
                .config
                .column_config
                .get(&c.name)
                .and_then(|cc| cc.comment.as_deref());
            let doc = match comment {
                Some(c) => described(Some(c), String::new),
                None => catalog_col(&c.name).description.clone(),
            }
            .map(|d| format!("  {}\n", literal(&d)))
            .unwrap_or_default();
            let _ = writeln!(self.types, "{doc}  {}{args}: {}{bang}", c.field, c.scalar);
        }
        // Connection types of the relationships' targets, written after this type.
        let mut pending: Vec<(String, String)> = vec![];
        let mut rels: Vec<(&String, &TableField)> = info
            .fields
            .iter()
            .filter(|(_, f)| !matches!(f, TableField::Column(_)))
            .collect();
        rels.sort_by_key(|(n, _)| n.as_str());
        for (name, f) in &rels {
            match f {
                TableField::ObjectRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let nullable = t
                        .object_relationships
                        .iter()
                        .find(|x| &&x.name == name)
                        .is_none_or(|x| x.nullable);
                    let bang = if nullable { "" } else { "!" };
                    let _ = writeln!(
                        self.types,
                        "  \"An object relationship\"\n  {name}: {}{bang}",
                        target.object
                    );
                }
                TableField::ArrayRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(
                        self.types,
                        "  \"An array relationship\"\n  {name}{}: [{}!]!",
                        select_args(&target),
                        target.object
                    );
                }
                TableField::ArrayConnection(r) => {
                    let target = &tables[r.target];
                    let names = self.names(target);
                    let _ = writeln!(
                        self.types,
                        "  \"An array relationship connection\"\n  {name}{}: {}Connection!",
                        crate::relay::connection_args(&names),
                        names.object
                    );
                    pending.push((names.object.clone(), naming::described(&target.name)));
                }
                TableField::ArrayAggregate(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(
                        self.types,
                        "  \"An aggregate relationship\"\n  {name}{}: {}!",
                        select_args(&target),
                        target.aggregate
                    );
                }
                TableField::ComputedRows(n) | TableField::ComputedAggregate(n) => {
                    let c = &info.computed[n];
                    let Some(target) = c.returns_table else {
                        continue;
                    };
                    let target = self.names(&tables[target]);
                    let output = if matches!(f, TableField::ComputedRows(_)) {
                        format!("[{}!]!", target.object)
                    } else {
                        format!("{}!", target.aggregate)
                    };
                    let mut args = select_args(&target);
                    let own = self.computed_args_arg(c);
                    if !own.is_empty() {
                        // "(args: f_args!)" joins the select arguments: "(args: ..., distinct_on: ...)".
                        args.insert_str(1, &format!("{}, ", &own[1..own.len() - 1]));
                    }
                    let doc = c.description.as_deref().map(literal).unwrap_or_default();
                    let _ = writeln!(self.types, "  {doc}\n  {name}{args}: {output}");
                }
                TableField::Computed(n) => {
                    if let Some((scalar, _, _)) =
                        info.computed.get(n).and_then(|c| c.scalar.clone())
                    {
                        self.scalar(&scalar);
                        let c = &info.computed[n];
                        let args = self.computed_args_arg(c);
                        let doc = c.description.as_deref().map(literal).unwrap_or_default();
                        let _ = writeln!(self.types, "  {doc}\n  {name}{args}: {scalar}");
                    }
                }
                TableField::Column(_) | TableField::RemoteRel(_) | TableField::SourceRel(_) => {}
            }
        }
        for (object, qualified) in pending {
            self.connection_types(&object, &qualified);
        }
        // A permission with no columns (`columns: []`, e.g. to count rows only) leaves the
        // type without fields: it is declared without a field list (as Hasura serves it, with
        // `__typename` alone) instead of an empty one, which is not valid SDL.
        if self.types.ends_with(" {\n") {
            self.types.truncate(self.types.len() - 3);
            self.types.push('\n');
        } else {
            self.types.push_str("}\n");
        }

        // select_column enum.
        if !cols.is_empty() {
            let _ = writeln!(
                self.types,
                "\"select columns of table \\\"{qualified}\\\"\"\nenum {} {{",
                names.select_column
            );
            for c in &cols {
                let _ = writeln!(self.types, "  \"column name\"\n  {}", c.field);
            }
            self.types.push_str("}\n");
        } else {
            let _ = writeln!(
                self.types,
                "enum {} {{ _PLACEHOLDER }}",
                names.select_column
            );
        }

        // bool_exp.
        let _ = writeln!(
            self.types,
            "\"Boolean expression to filter rows from the table \\\"{qualified}\\\". All fields are combined with a logical 'AND'.\"\n\
             input {be} {{\n  _and: [{be}!]\n  _not: {be}\n  _or: [{be}!]",
            be = names.bool_exp
        );
        for c in &cols {
            let jsonb = scalars::is_jsonb(catalog_col(&c.name));
            *self.comparison_types.entry(c.scalar.clone()).or_default() |= jsonb;
            if jsonb {
                self.needs_jsonb_cast = true;
            }
            let _ = writeln!(
                self.types,
                "  {}: {}",
                c.field,
                naming::comparison_exp(&self.naming, &c.scalar)
            );
        }
        for (name, f) in &rels {
            match f {
                TableField::ObjectRel(r) | TableField::ArrayRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(self.types, "  {name}: {}", target.bool_exp);
                }
                TableField::ArrayAggregate(r) => {
                    let target = self.names(&tables[r.target]);
                    let input = &r.aggregate_input;
                    let _ = writeln!(self.types, "  {input}: {}", target.aggregate_bool_exp);
                }
                // A set-returning one without arguments of its own: a filter on its rows.
                TableField::ComputedRows(n) if info.computed[n].args.is_empty() => {
                    if let Some(t) = info.computed[n].returns_table {
                        let target = self.names(&tables[t]);
                        let _ = writeln!(self.types, "  {name}: {}", target.bool_exp);
                    }
                }
                // Only computed fields without arguments of their own can be compared.
                TableField::Computed(n) if info.computed[n].args.is_empty() => {
                    if let Some((scalar, _, _)) = &info.computed[n].scalar {
                        self.comparison_types.entry(scalar.clone()).or_insert(false);
                        let exp = naming::comparison_exp(&self.naming, scalar);
                        let _ = writeln!(self.types, "  {name}: {exp}");
                    }
                }
                TableField::Column(_)
                | TableField::Computed(_)
                | TableField::ComputedRows(_)
                | TableField::ComputedAggregate(_)
                | TableField::ArrayConnection(_)
                | TableField::RemoteRel(_)
                | TableField::SourceRel(_) => {}
            }
        }
        self.types.push_str("}\n");

        // order_by.
        let _ = writeln!(
            self.types,
            "\"Ordering options when selecting data from \\\"{qualified}\\\".\"\ninput {} {{",
            names.order_by
        );
        let order_by = self.naming.type_case("order_by");
        let empty_len = self.types.len();
        for c in &cols {
            let _ = writeln!(self.types, "  {}: {order_by}", c.field);
        }
        for (name, f) in &rels {
            match f {
                TableField::ObjectRel(r) => {
                    let target = self.names(&tables[r.target]);
                    let _ = writeln!(self.types, "  {name}: {}", target.order_by);
                }
                TableField::ArrayAggregate(r) => {
                    let target = self.names(&tables[r.target]);
                    let input = &r.aggregate_input;
                    let _ = writeln!(self.types, "  {input}: {}", target.aggregate_order_by);
                }
                TableField::Computed(n)
                    if info.computed[n].scalar.is_some() && info.computed[n].args.is_empty() =>
                {
                    let _ = writeln!(self.types, "  {name}: {order_by}");
                }
                _ => {}
            }
        }
        // Nothing to order by (no column, only array relationships): an empty input is not
        // valid SDL, and would take the role's whole schema down.
        if self.types.len() == empty_len {
            let _ = writeln!(self.types, "  _PLACEHOLDER: {order_by}");
        }
        self.types.push_str("}\n");
        // Without aggregations nothing can refer to the aggregate types: leave them out.
        if info.allow_aggregations {
            self.aggregate_types(&names, &qualified, &cols, &catalog_col);
        }
        self.mutations(t, tables, idx, &qualified, mutation_roots);
    }

    fn finish(mut self) -> String {
        // Subscriptions are live queries: `subscription_root` offers the query root's fields
        // (apollo-compiler does not let one type serve as two roots).
        // Nothing to read: the placeholder query, and no subscription root (as Hasura).
        let readable = !self.query_fields.is_empty() || !self.subscription_fields.is_empty();
        let mut out = String::from("schema { query: query_root");
        if !self.mutation_fields.is_empty() {
            out.push_str(" mutation: mutation_root");
        }
        if readable {
            out.push_str(" subscription: subscription_root");
        }
        out.push_str(" }\n");
        out.push_str(SHARED_SDL);
        out.push_str(&order_by_enum(&self.naming));
        if self.needs_jsonb_cast {
            self.comparison_types
                .entry("String".into())
                .or_insert(false);
            let _ = writeln!(
                out,
                "input {} {{\n  String: {}\n}}",
                self.naming.type_case("jsonb_cast_exp"),
                naming::comparison_exp(&self.naming, "String")
            );
        }
        self.write_comparisons(&mut out);
        for input in &self.extra_inputs {
            out.push_str(input);
        }
        self.write_enum_types(&mut out);
        for s in &self.scalars {
            let _ = writeln!(out, "scalar {s}");
        }
        out.push_str(&self.types);
        if self.query_fields.is_empty() {
            let _ = writeln!(self.query_fields, "  {PLACEHOLDER_FIELD}: String!");
        }
        let _ = write!(out, "type query_root {{\n{}}}\n", self.query_fields);
        if readable {
            self.subscription_root(&mut out);
        }
        if !self.mutation_fields.is_empty() {
            let _ = write!(out, "type mutation_root {{\n{}}}\n", self.mutation_fields);
        }
        out
    }
}

/// A description from metadata's `comment` as Hasura reads it: an empty comment means none,
/// no comment means `default`.
fn described(comment: Option<&str>, default: impl FnOnce() -> String) -> Option<String> {
    match comment {
        Some("") => None,
        Some(c) => Some(c.to_string()),
        None => Some(default()),
    }
}

/// A GraphQL string literal (a description) of any text.
pub(crate) fn literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

impl SdlWriter {
    /// `(args: <field>_<table>_args[!])` for a computed field with arguments of its own (the input
    /// type written once, after the tables), or nothing.
    fn computed_args_arg(&mut self, c: &crate::types::ComputedInfo) -> String {
        if c.args.is_empty() {
            return String::new();
        }
        let mut input = format!("input {} {{\n", c.args_type);
        for (_, a) in &c.args {
            let scalar = self.naming.scalar(&scalars::scalar_for_type(&a.type_name));
            self.scalar(&scalar);
            input.push_str(&format!("  {}: {scalar}\n", a.field));
        }
        input.push_str("}\n");
        self.extra_inputs.insert(input);
        let bang = if c.args.iter().any(|(_, a)| !a.has_default) {
            "!"
        } else {
            ""
        };
        format!(
            "({} args: {}{bang})",
            literal(&c.args_description),
            c.args_type
        )
    }
}
