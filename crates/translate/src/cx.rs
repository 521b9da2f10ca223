//! The translation context: the statement's parameters and its fresh aliases.

use rasura_sql::Alias;

use crate::params::Params;

/// Translation settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Emit bigint, numeric, float8 and money values as JSON strings.
    pub stringify_numeric: bool,
}

/// Translation state: parameters and fresh aliases.
pub(crate) struct Cx<'a> {
    pub(crate) params: &'a mut Params,
    pub(crate) next_alias: usize,
    /// Row aliases that carry the table row as `__row` (for computed fields).
    pub(crate) whole_rows: Vec<Alias>,
    /// (row alias, computed field): the row carries `__shown_<field>`, whether the role may
    /// see that field's value on it.
    pub(crate) shown: Vec<(Alias, String)>,
    pub(crate) options: Options,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(params: &'a mut Params, options: Options) -> Cx<'a> {
        Cx {
            params,
            next_alias: 0,
            whole_rows: vec![],
            shown: vec![],
            options,
        }
    }
}

impl Cx<'_> {
    pub(crate) fn alias(&mut self) -> Alias {
        let a = Alias(format!("_{}", self.next_alias));
        self.next_alias += 1;
        a
    }
}
