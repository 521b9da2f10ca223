//! Stage 5: tracked SQL functions, checked as Hasura checks them: one function of the name, a
//! GraphQL-compliant name and arguments, returning rows of a tracked table, a JSON session
//! argument, volatility matching `exposed_as`, and base-type arguments; with their GraphQL names.

use rasura_catalog::{Catalog, Function};
use rasura_metadata::{QualifiedName, Source};
use serde_json::Value;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{FunctionArg, ResolvedFunction, ResolvedTable};

pub(super) fn resolve_functions(
    source: &Source,
    catalog: &Catalog,
    tables: &[ResolvedTable],
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedFunction> {
    let mut out = vec![];
    for entry in &source.functions {
        let name = &entry.function;
        let config = entry.configuration.clone().unwrap_or_default();
        let permissions = entry
            .permissions
            .iter()
            .filter_map(|p| p.get("role").and_then(Value::as_str).map(str::to_string))
            .collect();
        match resolve_function(name, &config, catalog, tables) {
            Ok(mut f) => {
                f.permissions = permissions;
                out.push(f);
            }
            Err((reason, code)) => {
                let mut i = Inconsistency::new(
                    "function",
                    format!("function {name} in source {}", source.name),
                    serde_json::json!({"function": name, "source": source.name}),
                    reason,
                    ObjectRef::Function(name.clone()),
                );
                i.code = code;
                report.push(i);
            }
        }
    }
    out
}

type Refusal = (String, Option<&'static str>);

fn resolve_function(
    name: &QualifiedName,
    config: &Value,
    catalog: &Catalog,
    tables: &[ResolvedTable],
) -> Result<ResolvedFunction, Refusal> {
    let mut overloads = catalog.functions_named(&name.schema, &name.name);
    let f = overloads.next().ok_or_else(|| {
        (
            format!("no such function exists in source: \"{name}\""),
            None,
        )
    })?;
    if overloads.next().is_some() {
        return Err((
            format!("function \"{name}\" is overloaded. Overloaded functions are not supported"),
            Some("not-supported"),
        ));
    }
    let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_string);
    let session_argument = text("session_argument");
    let custom_name = text("custom_name");
    let mut problems: Vec<String> = vec![];
    let base = if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}_{}", name.schema, name.name)
    };
    if !is_graphql_name(&base) {
        problems.push("function name is not a legal GraphQL identifier".into());
    }
    let modes = f.argument_modes.as_deref().unwrap_or(&[]);
    if modes.iter().any(|m| m == "v") {
        problems.push("function with \"VARIADIC\" parameters are not supported".into());
    }
    let returns_table = QualifiedName::new(&f.return_type.schema, &f.return_type.name);
    if f.return_type.kind != "c" {
        problems.push("the function does not return a \"COMPOSITE\" type".into());
    } else if catalog
        .table(&returns_table.schema, &returns_table.name)
        .is_none()
    {
        problems.push("the function does not return a table".into());
    }
    // `exposed_as` (Hasura 2) or the earlier `as_mutation`, each with its own rule.
    let volatile = f.volatility == "v";
    let exposed_as_mutation = match (text("exposed_as").as_deref(), config.get("as_mutation")) {
        (Some("mutation"), _) => {
            if !volatile {
                problems.push("the function was requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong volatility when it was defined?".into());
            }
            true
        }
        (Some(_), _) => false,
        (None, Some(Value::Bool(as_mutation))) => {
            if volatile && !as_mutation {
                problems.push("the function is \"VOLATILE\" (the default) and can only be tracked as a mutation, with \"as_mutation: true\"".into());
            } else if !volatile && *as_mutation {
                problems.push("only \"VOLATILE\" functions can be tracked as mutations".into());
            }
            *as_mutation
        }
        (None, _) => volatile,
    };
    let args = input_arguments(f, session_argument.as_deref(), &mut problems);
    if !problems.is_empty() {
        return Err((
            format!(
                "in function \"{name}\": {}",
                cannot_be_tracked(name, &problems)
            ),
            Some("constraint-violation"),
        ));
    }
    if !tables.iter().any(|t| t.name == returns_table) {
        return Err((
            format!("in function \"{name}\": table \"{returns_table}\" is not tracked"),
            None,
        ));
    }
    let given = custom_name.clone().unwrap_or(base);
    let roots = config.get("custom_root_fields");
    let root_name = |key: &str| {
        roots
            .and_then(|r| r.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(ResolvedFunction {
        name: name.clone(),
        function: f.clone(),
        returns_table: Some(returns_table),
        returns_set: f.returns_set,
        exposed_as_mutation,
        session_argument,
        custom_name,
        root_field: root_name("function").unwrap_or_else(|| given.clone()),
        aggregate_field: root_name("function_aggregate")
            .unwrap_or_else(|| format!("{given}_aggregate")),
        args_type: format!("{given}_args"),
        args,
        permissions: vec![],
    })
}

/// A function's input arguments but those `skip` leaves out (a computed field's row and
/// session), by position, with their GraphQL fields (`arg_<n>` for the n-th unnamed one among
/// them) and whether they have defaults.
pub fn input_args(f: &Function, skip: impl Fn(usize) -> bool) -> Vec<(usize, FunctionArg)> {
    // `proargnames` names every argument, OUT ones too, when there are modes.
    let names: Vec<&str> = match f.argument_modes.as_deref() {
        Some(modes) => f
            .argument_names
            .iter()
            .zip(modes)
            .filter(|(_, m)| matches!(m.as_str(), "i" | "b" | "v"))
            .map(|(n, _)| n.as_str())
            .collect(),
        None => f.argument_names.iter().map(String::as_str).collect(),
    };
    let count = f.argument_types.len();
    let first_default = count - (f.default_count.max(0) as usize).min(count);
    let mut unnamed = 0;
    let mut args = vec![];
    for (i, ty) in f
        .argument_types
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip(*i))
    {
        let name = names
            .get(i)
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string());
        let field = name.clone().unwrap_or_else(|| {
            unnamed += 1;
            format!("arg_{unnamed}")
        });
        let arg = FunctionArg {
            name,
            field,
            type_schema: ty.schema.clone(),
            type_name: ty.name.clone(),
            has_default: i >= first_default,
            session: false,
        };
        args.push((i, arg));
    }
    args
}

/// The input arguments with their GraphQL fields, the session argument marked, and what is
/// wrong with them.
fn input_arguments(
    f: &Function,
    session_argument: Option<&str>,
    problems: &mut Vec<String>,
) -> Vec<FunctionArg> {
    let mut args: Vec<FunctionArg> = input_args(f, |_| false)
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    for a in &mut args {
        a.session = a.name.is_some() && a.name.as_deref() == session_argument;
    }
    let bad_names: Vec<&str> = args
        .iter()
        .filter_map(|a| a.name.as_deref())
        .filter(|n| !is_graphql_name(n))
        .collect();
    if !bad_names.is_empty() {
        problems.push(format!(
            "the function arguments {} are not in compliance with GraphQL spec",
            bad_names.join(",")
        ));
    }
    if let Some(s) = session_argument {
        match args.iter().find(|a| a.session) {
            None => problems.push(format!(
                "given session argument \"{s}\" not the input argument of the function"
            )),
            Some(a) if a.type_name != "json" => problems.push(format!(
                "given session argument \"{s}\" is not of type json"
            )),
            Some(_) => {}
        }
    }
    // Pseudo-types have no GraphQL input type. A table's row type does: `<type>_scalar`, its
    // value the row's text (`"(1,Ann)"`), as current Hasura takes it.
    let composite: Vec<&str> = args
        .iter()
        .filter(|a| !a.session)
        .filter(|a| {
            matches!(
                a.type_name.as_str(),
                "record" | "anyelement" | "anyarray" | "internal" | "cstring"
            )
        })
        .map(|a| a.type_name.as_str())
        .collect();
    if !composite.is_empty() {
        problems.push(format!(
            "the function argument types \"{}\" are not supported, because function arguments are expected to be of the type: 'base'",
            composite.join("\", \"")
        ));
    }
    args
}

/// `the function "f" cannot be tracked because …` or `… for the following reasons:` + list.
fn cannot_be_tracked(name: &QualifiedName, problems: &[String]) -> String {
    match problems {
        [one] => format!("the function \"{name}\" cannot be tracked because {one}"),
        many => {
            let mut out =
                format!("the function \"{name}\" cannot be tracked for the following reasons:\n");
            for p in many {
                out.push_str("  • ");
                out.push_str(p);
                out.push('\n');
            }
            out
        }
    }
}

fn is_graphql_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
