//! Action root fields → IR: the input arguments and the selection to apply to the handler's
//! answer (aliases, `__typename`, nested objects).

use apollo_compiler::executable::{Field as GqlField, SelectionSet};
use apollo_compiler::Node;
use serde_json::{Map, Value};

use crate::build::{column_ref, Cx, ShapeKind};
use crate::collect::collect_fields;
use crate::error::IrError;
use crate::types::{ActionCall, ActionResultRead, ActionSelection, Root, Select, SelectedField};
use crate::value::resolve;

impl Cx<'_> {
    pub(crate) fn action(
        &self,
        index: usize,
        f: &Node<GqlField>,
        fields: &[&Node<GqlField>],
        path: &str,
    ) -> Result<Root, IrError> {
        let a = &self.schema.actions[index];
        let mut input = Map::new();
        for (name, _) in &a.arguments {
            if let Some(v) = f
                .specified_argument_by_name(name)
                .and_then(|v| resolve(v, self.vars))
            {
                input.insert(name.clone(), v);
            }
        }
        let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
        let type_name = f.definition.ty.inner_named_type().to_string();
        let selection = if a.asynchronous {
            None
        } else {
            Some(self.action_selection(&sets, &type_name, path)?)
        };
        Ok(Root::Action(Box::new(ActionCall {
            index,
            input: Value::Object(input),
            selection,
        })))
    }

    pub(crate) fn action_result(
        &self,
        index: usize,
        f: &Node<GqlField>,
        fields: &[&Node<GqlField>],
        path: &str,
    ) -> Result<Root, IrError> {
        let id = f
            .specified_argument_by_name("id")
            .and_then(|v| resolve(v, self.vars))
            .unwrap_or(Value::Null);
        let sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
        let type_name = f.definition.ty.inner_named_type().to_string();
        let selection = self.action_selection(&sets, &type_name, path)?;
        Ok(Root::ActionResult(Box::new(ActionResultRead {
            index,
            id,
            selection,
        })))
    }

    fn action_selection(
        &self,
        sets: &[&SelectionSet],
        type_name: &str,
        path: &str,
    ) -> Result<ActionSelection, IrError> {
        let mut out = vec![];
        for (key, fields) in collect_fields(self.doc, sets, type_name, self.vars) {
            let f = fields[0];
            let rel = self
                .schema
                .action_relationships
                .get(&(type_name.to_string(), f.name.to_string()));
            let field = if f.name == "__typename" {
                SelectedField::Typename(type_name.to_string())
            } else if let Some(rel) = rel {
                let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
                let here = format!("{path}.selectionSet.{key}");
                let target = &self.schema.tables[rel.target];
                let select = if rel.array {
                    self.select(rel.target, f, &sub, &here, ShapeKind::Rows)?
                } else {
                    Select {
                        table: target.name.clone(),
                        from_function: None,
                        from_native: None,
                        filter: self.select_filter(rel.target)?,
                        order_by: vec![],
                        distinct_on: vec![],
                        limit: None,
                        offset: None,
                        nodes_limit: None,
                        shape: self.shape(rel.target, &sub, &here, ShapeKind::Single)?,
                        redactions: self.redactions(rel.target)?,
                    }
                };
                let mapping = rel
                    .mapping
                    .iter()
                    .filter_map(|(field, col)| {
                        target
                            .columns
                            .get(col)
                            .map(|c| (field.clone(), column_ref(c)))
                    })
                    .collect();
                SelectedField::Relationship {
                    mapping,
                    select: Box::new(select),
                }
            } else {
                let sub: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
                let nested = if f.selection_set.selections.is_empty() {
                    None
                } else {
                    let inner = f.definition.ty.inner_named_type().to_string();
                    Some(self.action_selection(
                        &sub,
                        &inner,
                        &format!("{path}.selectionSet.{key}"),
                    )?)
                };
                SelectedField::Field {
                    name: f.name.to_string(),
                    type_name: f.definition.ty.inner_named_type().to_string(),
                    nested,
                }
            };
            out.push((key, field));
        }
        Ok(ActionSelection {
            type_name: type_name.to_string(),
            fields: out,
        })
    }
}
