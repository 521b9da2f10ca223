//! `<Scalar>_comparison_exp` input types: the operators every scalar has, and those of text,
//! jsonb, PostGIS (`geometry`, `geography`, with `_cast` between them) and ltree columns.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::naming;
use crate::scalars;
use crate::writer::SdlWriter;

/// Operators only some scalars have: (field, type, description), in Hasura's order.
fn extra_operators(scalar: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    // Matched without case: the scalar may be PascalCase (`naming-convention-sep-2023`).
    match scalar.to_ascii_lowercase().as_str() {
        "geometry" => &[
            ("_st_3d_d_within", "st_d_within_input", "is the column within a given 3D distance from the given geometry value"),
            ("_st_3d_intersects", "geometry", "does the column spatially intersect the given geometry value in 3D"),
            ("_st_contains", "geometry", "does the column contain the given geometry value"),
            ("_st_crosses", "geometry", "does the column cross the given geometry value"),
            ("_st_d_within", "st_d_within_input", "is the column within a given distance from the given geometry value"),
            ("_st_equals", "geometry", "is the column equal to given geometry value (directionality is ignored)"),
            ("_st_intersects", "geometry", "does the column spatially intersect the given geometry value"),
            ("_st_overlaps", "geometry", "does the column 'spatially overlap' (intersect but not completely contain) the given geometry value"),
            ("_st_touches", "geometry", "does the column have atleast one point in common with the given geometry value"),
            ("_st_within", "geometry", "is the column contained in the given geometry value"),
        ],
        "geography" => &[
            ("_st_d_within", "st_d_within_geography_input", "is the column within a given distance from the given geography value"),
            ("_st_intersects", "geography", "does the column spatially intersect the given geography value"),
        ],
        "ltree" => &[
            ("_ancestor", "ltree", "is the left argument an ancestor of right (or equal)?"),
            ("_ancestor_any", "[ltree!]", "does array contain an ancestor of `ltree`?"),
            ("_descendant", "ltree", "is the left argument a descendant of right (or equal)?"),
            ("_descendant_any", "[ltree!]", "does array contain a descendant of `ltree`?"),
            ("_matches", "lquery", "does `ltree` match `lquery`?"),
            ("_matches_any", "[String!]", "does `ltree` match any `lquery` in array?"),
            ("_matches_fulltext", "ltxtquery", "does `ltree` match `ltxtquery`?"),
        ],
        _ => &[],
    }
}

/// The type a `_cast` of the scalar may go to (Hasura casts between geometry and geography;
/// jsonb's cast to `String` is written with the jsonb operators).
fn cast_target(scalar: &str) -> Option<&'static str> {
    match scalar.to_ascii_lowercase().as_str() {
        "geometry" => Some("geography"),
        "geography" => Some("geometry"),
        _ => None,
    }
}

impl SdlWriter {
    /// Writes every comparison type recorded in `comparison_types` (adding those a `_cast`
    /// refers to), with the input and scalar types their operators use.
    pub(crate) fn write_comparisons(&mut self, out: &mut String) {
        let mut todo: BTreeMap<String, bool> = std::mem::take(&mut self.comparison_types);
        let casts: Vec<String> = todo
            .keys()
            .filter_map(|s| cast_target(s).map(|t| self.naming.scalar(t)))
            .collect();
        for c in casts {
            todo.entry(c).or_insert(false);
        }
        for (scalar, jsonb) in &todo {
            if self.enum_types.contains_key(scalar) {
                self.write_enum_comparison(out, scalar);
                self.used_enums.insert(scalar.clone());
                continue;
            }
            self.write_comparison(out, scalar, *jsonb);
            if !scalars::is_builtin(scalar) {
                self.scalars.insert(scalar.clone());
            }
        }
        self.comparison_types = todo;
    }

    fn write_comparison(&mut self, out: &mut String, scalar: &str, jsonb: bool) {
        let extra = extra_operators(scalar);
        let n = &self.naming;
        let cast = cast_target(scalar).map(|t| n.scalar(t));
        let jsonb_type = n.scalar("jsonb");
        let cast_exp = n.type_case(&format!("{scalar}_cast_exp"));
        if let Some(target) = &cast {
            let _ = writeln!(
                out,
                "\"Expression to compare the result of casting a column of type {scalar}. Multiple cast targets are combined with logical 'AND'.\"\ninput {cast_exp} {{\n  {target}: {}\n}}",
                naming::comparison_exp(n, target)
            );
        }
        let _ = writeln!(
            out,
            "\"Boolean expression to compare columns of type \\\"{scalar}\\\". All fields are combined with logical 'AND'.\"\ninput {} {{",
            naming::comparison_exp(n, scalar)
        );
        if cast.is_some() {
            let _ = writeln!(out, "  _cast: {cast_exp}");
        }
        // Fields in alphabetical order, as Hasura prints them.
        let mut fields: Vec<(String, String)> = vec![];
        let mut add = |name: &str, line: String| fields.push((name.to_string(), line));
        if jsonb {
            add(
                "_cast",
                format!("  _cast: {}", n.type_case("jsonb_cast_exp")),
            );
            add(
                "_contained_in",
                format!("  \"is the column contained in the given json value\"\n  _contained_in: {jsonb_type}"),
            );
            add("_contains", format!("  \"does the column contain the given json value at the top level\"\n  _contains: {jsonb_type}"));
            add(
                "_has_key",
                "  \"does the string exist as a top-level key in the column\"\n  _has_key: String"
                    .into(),
            );
            add("_has_keys_all", "  \"do all of these strings exist as top-level keys in the column\"\n  _has_keys_all: [String!]".into());
            add("_has_keys_any", "  \"do any of these strings exist as top-level keys in the column\"\n  _has_keys_any: [String!]".into());
        }
        for op in ["_eq", "_gt", "_gte", "_lt", "_lte", "_neq"] {
            add(op, format!("  {op}: {scalar}"));
        }
        add("_in", format!("  _in: [{scalar}!]"));
        add("_nin", format!("  _nin: [{scalar}!]"));
        add("_is_null", "  _is_null: Boolean".into());
        if scalars::is_string_like(scalar) {
            for (op, doc) in [
                ("_ilike", "does the column match the given case-insensitive pattern"),
                ("_iregex", "does the column match the given POSIX regular expression, case insensitive"),
                ("_like", "does the column match the given pattern"),
                ("_nilike", "does the column NOT match the given case-insensitive pattern"),
                ("_niregex", "does the column NOT match the given POSIX regular expression, case insensitive"),
                ("_nlike", "does the column NOT match the given pattern"),
                ("_nregex", "does the column NOT match the given POSIX regular expression, case sensitive"),
                ("_nsimilar", "does the column NOT match the given SQL regular expression"),
                ("_regex", "does the column match the given POSIX regular expression, case sensitive"),
                ("_similar", "does the column match the given SQL regular expression"),
            ] {
                add(op, format!("  \"{doc}\"\n  {op}: String"));
            }
        }
        for (op, ty, doc) in extra {
            add(op, format!("  \"{doc}\"\n  {op}: {}", public_type(n, ty)));
        }
        // Operators of several words are cased by the convention (`_is_null` → `_isNull`).
        let mut fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(op, line)| {
                let public = n.field(&op);
                let line = line.replacen(&format!("  {op}:"), &format!("  {public}:"), 1);
                (public, line)
            })
            .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, line) in fields {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("}\n");
        for (_, ty, _) in extra {
            let base = ty.trim_matches(|c| c == '[' || c == ']' || c == '!');
            match base {
                "st_d_within_input" => self.extra_inputs.insert(format!(
                    "input st_d_within_input {{\n  distance: Float!\n  from: {}!\n}}\n",
                    self.naming.scalar("geometry")
                )),
                "st_d_within_geography_input" => self.extra_inputs.insert(format!(
                    "input st_d_within_geography_input {{\n  distance: Float!\n  from: {}!\n  use_spheroid: Boolean = true\n}}\n",
                    self.naming.scalar("geography")
                )),
                other => {
                    if !scalars::is_builtin(other) {
                        self.scalars.insert(self.naming.scalar(other));
                    }
                    false
                }
            };
        }
    }
}

/// An operator's argument type as the schema spells it: a Postgres scalar in it (`[ltree!]`)
/// named by the convention; built-in scalars and input types as they are.
fn public_type(n: &crate::naming::Naming, ty: &str) -> String {
    let base = ty.trim_matches(|c| c == '[' || c == ']' || c == '!');
    if scalars::is_builtin(base) || base.ends_with("_input") {
        ty.to_string()
    } else {
        ty.replacen(base, &n.scalar(base), 1)
    }
}
