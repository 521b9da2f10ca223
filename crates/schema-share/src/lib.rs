//! Definitions shared between and within the schemas of one engine state: a type, field,
//! argument, enum value, description or name equal to one already built is kept once.
//!
//! Generated schemas repeat themselves: every table's aggregate order-by types hold the same
//! `id: order_by` fields, every bool_exp the same `_and`-style arguments, and roles usually see
//! the same tables with the same columns. apollo-compiler's nodes and names are
//! reference-counted, so an equal definition can simply be pointed at; with 1,000 tables a role's
//! schema would otherwise be tens of megabytes on its own.

use std::any::{Any, TypeId};
use std::hash::Hash;
use std::sync::{Arc, Mutex, Weak};

use apollo_compiler::ast::{Definition, Document, Type};
use apollo_compiler::schema::{
    EnumValueDefinition, ExtendedType, FieldDefinition, InputValueDefinition,
};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};

mod generated;
mod parts;

/// The sets are hashed with foldhash: hashing names and definitions was a tenth of a large
/// schema's build with the standard library's SipHash, and the definitions come from the
/// engine's own metadata.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// The definitions built so far for one engine state.
#[derive(Debug, Default)]
pub struct SharedTypes {
    inner: Mutex<Known>,
    /// The schemas built, by the SHA-256 of the SDL text they were built from, while some role
    /// still serves them: roles that see the same tables, columns and relationships (their row
    /// filters, presets or checks differing) generate the same text and share one schema.
    built: Mutex<HashMap<[u8; 32], Weak<Valid<Schema>>>>,
    /// How many parts of SDL went to apollo's parser (outside the generated subset).
    by_apollo: std::sync::atomic::AtomicUsize,
    /// Values other than definitions kept once (`one_of`).
    values: Mutex<Values>,
}

/// For each type of value kept by `SharedTypes::one_of`, its table: `HashMap<K, Vec<Arc<T>>>`.
#[derive(Default)]
struct Values(HashMap<TypeId, Box<dyn Any + Send>>);

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} tables of values", self.0.len())
    }
}

#[derive(Debug, Default)]
struct Known {
    /// Whole types, by name (a name may have several variants: roles with different columns
    /// get different types under the same name).
    types: HashMap<Name, Vec<ExtendedType>>,
    fields: HashSet<Node<FieldDefinition>>,
    input_values: HashSet<Node<InputValueDefinition>>,
    enum_values: HashSet<Node<EnumValueDefinition>>,
    types_refs: HashSet<Node<Type>>,
    descriptions: HashSet<Node<str>>,
    names: HashSet<Name>,
    /// The whole types of the first schema shared, not yet in `types`: with nothing to share
    /// them with, they are recorded when the next schema is shared or seeded (a start serves
    /// its first schema sooner).
    unrecorded: Vec<ExtendedType>,
}

/// An equal item from `set` in place of `item`, or `item` recorded as the one to share.
fn intern<T: Eq + Hash + Clone>(set: &mut HashSet<T>, item: &mut T) {
    match set.get(item) {
        Some(same) => *item = same.clone(),
        None => {
            set.insert(item.clone());
        }
    }
}

/// The nodes of one parsed part already shared, by the part's node's address: the reader gives a
/// repeated line one node (`generated.rs`), which is then looked up by its content once. Every
/// address is of a node the part held when its sharing started, so no two keys name different
/// nodes.
#[derive(Default)]
struct Seen {
    fields: HashMap<usize, Node<FieldDefinition>>,
    input_values: HashMap<usize, Node<InputValueDefinition>>,
    enum_values: HashMap<usize, Node<EnumValueDefinition>>,
}

/// `node` shared by `share`, or as the same node of the part was.
fn once<T>(
    seen: &mut HashMap<usize, Node<T>>,
    node: &mut Node<T>,
    share: impl FnOnce(&mut Node<T>),
) {
    let key = &**node as *const T as usize;
    if let Some(same) = seen.get(&key) {
        *node = same.clone();
        return;
    }
    share(node);
    seen.insert(key, node.clone());
}

impl Known {
    fn description(&mut self, d: &mut Option<Node<str>>) {
        if let Some(d) = d {
            intern(&mut self.descriptions, d);
        }
    }

    fn type_ref(&mut self, ty: &mut Type) {
        match ty {
            Type::Named(n) | Type::NonNullNamed(n) => intern(&mut self.names, n),
            Type::List(inner) | Type::NonNullList(inner) => self.type_ref(inner),
        }
    }

    fn input_value(&mut self, v: &mut Node<InputValueDefinition>) {
        if let Some(same) = self.input_values.get(v) {
            *v = same.clone();
            return;
        }
        let m = v.make_mut();
        self.description(&mut m.description);
        intern(&mut self.names, &mut m.name);
        if let Some(same) = self.types_refs.get(&m.ty) {
            m.ty = same.clone();
        } else {
            self.type_ref(m.ty.make_mut());
            self.types_refs.insert(m.ty.clone());
        }
        self.input_values.insert(v.clone());
    }

    fn field(&mut self, f: &mut Node<FieldDefinition>) {
        if let Some(same) = self.fields.get(f) {
            *f = same.clone();
            return;
        }
        let m = f.make_mut();
        self.description(&mut m.description);
        intern(&mut self.names, &mut m.name);
        for a in &mut m.arguments {
            self.input_value(a);
        }
        self.type_ref(&mut m.ty);
        self.fields.insert(f.clone());
    }

    fn enum_value(&mut self, v: &mut Node<EnumValueDefinition>) {
        if let Some(same) = self.enum_values.get(v) {
            *v = same.clone();
            return;
        }
        let m = v.make_mut();
        self.description(&mut m.description);
        intern(&mut self.names, &mut m.value);
        self.enum_values.insert(v.clone());
    }

    /// A known type equal to `ty`, or none after recording `ty` as the one to share.
    fn same_type(&mut self, ty: &ExtendedType) -> Option<ExtendedType> {
        let variants = self.types.entry(ty.name().clone()).or_default();
        let same = variants.iter().find(|v| *v == ty).cloned();
        if same.is_none() {
            // Most names have one variant: no room kept for more (a pushed-to empty `Vec` keeps
            // four, 34 MB over 420,000 types).
            variants.reserve_exact(1);
            variants.push(ty.clone());
        }
        same
    }

    /// Records the whole types `SharedTypes::share` left for later.
    fn catch_up(&mut self) {
        for ty in std::mem::take(&mut self.unrecorded) {
            self.same_type(&ty);
        }
    }

    /// Records a built type and its parts as known.
    fn record(&mut self, ty: &ExtendedType) {
        self.same_type(ty);
        self.names.insert(ty.name().clone());
        let fields = match ty {
            ExtendedType::Object(o) => Some(&o.fields),
            ExtendedType::Interface(o) => Some(&o.fields),
            _ => None,
        };
        for f in fields.into_iter().flat_map(|f| f.values()) {
            self.names.insert(f.name.clone());
            self.descriptions.extend(f.description.clone());
            for a in &f.arguments {
                self.record_input_value(a);
            }
            self.fields.insert(f.node.clone());
        }
        match ty {
            ExtendedType::InputObject(o) => {
                for v in o.fields.values() {
                    self.record_input_value(&v.node);
                }
            }
            ExtendedType::Enum(e) => {
                for v in e.values.values() {
                    self.names.insert(v.value.clone());
                    self.descriptions.extend(v.description.clone());
                    self.enum_values.insert(v.node.clone());
                }
            }
            _ => {}
        }
    }

    fn record_input_value(&mut self, v: &Node<InputValueDefinition>) {
        self.names.insert(v.name.clone());
        self.descriptions.extend(v.description.clone());
        self.types_refs.insert(v.ty.clone());
        self.input_values.insert(v.clone());
    }

    /// Shares the parts of a parsed type definition.
    fn definition(&mut self, def: &mut Definition, seen: &mut Seen) {
        match def {
            Definition::ObjectTypeDefinition(d) => {
                let d = d.make_mut();
                self.description(&mut d.description);
                intern(&mut self.names, &mut d.name);
                d.fields
                    .iter_mut()
                    .for_each(|f| once(&mut seen.fields, f, |f| self.field(f)));
            }
            Definition::InterfaceTypeDefinition(d) => {
                let d = d.make_mut();
                self.description(&mut d.description);
                intern(&mut self.names, &mut d.name);
                d.fields
                    .iter_mut()
                    .for_each(|f| once(&mut seen.fields, f, |f| self.field(f)));
            }
            Definition::InputObjectTypeDefinition(d) => {
                let d = d.make_mut();
                self.description(&mut d.description);
                intern(&mut self.names, &mut d.name);
                d.fields
                    .iter_mut()
                    .for_each(|f| once(&mut seen.input_values, f, |f| self.input_value(f)));
            }
            Definition::EnumTypeDefinition(d) => {
                let d = d.make_mut();
                self.description(&mut d.description);
                intern(&mut self.names, &mut d.name);
                d.values
                    .iter_mut()
                    .for_each(|v| once(&mut seen.enum_values, v, |v| self.enum_value(v)));
            }
            _ => {}
        }
    }
}

impl SharedTypes {
    /// The schema built from `sdl`: one built from the same text for another role of this
    /// engine state if it is still served, else what `build` makes of it (recorded for the next).
    pub fn schema_for_sdl(
        &self,
        sdl: &str,
        build: impl FnOnce(&str) -> Result<Valid<Schema>, String>,
    ) -> Result<Arc<Valid<Schema>>, String> {
        use sha2::Digest;
        let digest: [u8; 32] = sha2::Sha256::digest(sdl.as_bytes()).into();
        let same = self
            .built
            .lock()
            .expect("built schemas lock")
            .get(&digest)
            .and_then(Weak::upgrade);
        if let Some(schema) = same {
            return Ok(schema);
        }
        let schema = Arc::new(build(sdl)?);
        let mut built = self.built.lock().expect("built schemas lock");
        built.retain(|_, s| s.strong_count() > 0);
        built.insert(digest, Arc::downgrade(&schema));
        Ok(schema)
    }

    /// `value`, or an equal one given for `key` before: the schema crate keeps the facts of a
    /// table that several roles have alike (its columns, relationships, visible fields) once.
    pub fn one_of<K, T>(&self, key: K, value: Arc<T>) -> Arc<T>
    where
        K: Hash + Eq + Send + 'static,
        T: PartialEq + Send + Sync + 'static,
    {
        type Table<K, T> = HashMap<K, Vec<Arc<T>>>;
        let mut values = self.values.lock().expect("kept values lock");
        let table = (values.0.entry(TypeId::of::<Table<K, T>>()))
            .or_insert_with(|| Box::new(Table::<K, T>::default()))
            .downcast_mut::<Table<K, T>>()
            .expect("each table is kept under its own type");
        let variants = table.entry(key).or_default();
        if let Some(same) = variants.iter().find(|v| v.as_ref() == value.as_ref()) {
            return same.clone();
        }
        variants.push(value.clone());
        value
    }

    /// How many parts of the SDL parsed so far were outside the subset `generated.rs` reads
    /// (remote schemas' definitions, for example) and went to apollo's parser.
    pub fn parts_parsed_by_apollo(&self) -> usize {
        self.by_apollo.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records every definition of `schema`, one of the schemas of the engine state being
    /// replaced, so that the new state's schemas share what a metadata change left as it was
    /// (instead of allocating it all again between the old state's pages).
    pub fn seed(&self, schema: &Schema) {
        let mut known = self.inner.lock().expect("shared types lock");
        known.catch_up();
        for ty in schema.types.values() {
            known.record(ty);
        }
    }

    /// Points a parsed part of a schema's SDL at equal fields, arguments, values, descriptions
    /// and names already known, and records its new ones. Done part by part, right after each
    /// is parsed, so that the copies are freed before the next part is parsed into their place.
    pub fn share_document(&self, doc: &mut Document) {
        let mut known = self.inner.lock().expect("shared types lock");
        let mut seen = Seen::default();
        doc.definitions
            .iter_mut()
            .for_each(|d| known.definition(d, &mut seen));
    }

    /// Points `schema`'s types at equal ones already known (from other roles' schemas), and
    /// records its new ones. The SDL text the schema was parsed from is dropped too (only
    /// diagnostics would quote it).
    pub fn share(&self, schema: Valid<Schema>) -> Valid<Schema> {
        let mut schema = schema.into_inner();
        schema.sources = Default::default();
        let mut known = self.inner.lock().expect("shared types lock");
        if known.types.is_empty() && known.unrecorded.is_empty() {
            known.unrecorded = schema.types.values().cloned().collect();
        } else {
            known.catch_up();
            for ty in schema.types.values_mut() {
                if let Some(same) = known.same_type(ty) {
                    *ty = same;
                }
            }
        }
        // Rebuilt with the shared definitions' own names as keys, so that nothing of this parse
        // outlives it when every definition was shared (its scattered small allocations would
        // keep the allocator from returning the parse's memory).
        schema.types = std::mem::take(&mut schema.types)
            .into_values()
            .map(|ty| (ty.name().clone(), ty))
            .collect();
        Valid::assume_valid(schema)
    }
}

/// Parses the generated SDL part by part (a part ends with a definition's closing brace; parts are
/// parsed on two threads, `parts.rs`), each part's definitions shared with equal ones already
/// known as soon as it is parsed (on the thread that parsed it), then builds and validates the
/// schema. Parsing all at once would hold the whole syntax tree and every
/// duplicate at the same time: with 1,000 tables, a hundred megabytes that the allocator then
/// cannot fully give back, as the definitions that stay are scattered through it.
pub fn parse_shared(sdl: &str, shared: &SharedTypes) -> Result<Valid<Schema>, String> {
    parse_shared_then(sdl, shared, |schema| schema)
}

/// [`parse_shared`], then `finish` on the schema: it runs while a helper thread validates a
/// copy (validating a large schema is a tenth of its build), and its result is returned once
/// the copy is found valid.
pub fn parse_shared_then(
    sdl: &str,
    shared: &SharedTypes,
    finish: impl FnOnce(Valid<Schema>) -> Valid<Schema>,
) -> Result<Valid<Schema>, String> {
    let mut builder = Some(Schema::builder());
    let parse = |part: &str| {
        let mut doc = parse_part(part, &shared.by_apollo)?;
        shared.share_document(&mut doc);
        Ok(doc)
    };
    parts::parse_in_order(&parts::cut(sdl), parse, |doc| {
        let doc = doc?;
        builder = builder.take().map(|b| b.add_ast(&doc));
        Ok(())
    })?;
    let builder = builder.expect("the builder is put back after each part");
    let mut schema = builder.build().map_err(|e| e.errors.to_string())?;
    sort_members(&mut schema);
    std::thread::scope(|scope| {
        let copy = schema.clone();
        let check = std::thread::Builder::new()
            .name("rasura-schema-check".into())
            .stack_size(16 << 20)
            .spawn_scoped(scope, move || check_valid(copy))
            .map_err(|e| e.to_string())?;
        // The types in name order while the copy is checked (the order changes nothing in what
        // is valid; their fields were sorted before the copy, whose nodes they share).
        schema.types.sort_keys();
        let finished = finish(Valid::assume_valid(schema));
        match check.join() {
            Ok(checked) => checked.map(|checked| with_built_ins_of(finished, &checked)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Validates `schema` and gives it back as validation leaves it. An object type without
/// fields (a select permission with `columns: []`) is served as Hasura serves it: only
/// `__typename` can be asked of it.
fn check_valid(schema: Schema) -> Result<Schema, String> {
    match schema.validate() {
        Ok(schema) => Ok(schema.into_inner()),
        Err(e)
            if e.errors
                .iter()
                .all(|d| d.error.to_string().ends_with("has no fields")) =>
        {
            Ok(e.partial)
        }
        Err(e) => Err(e.errors.to_string()),
    }
}

/// `schema` with the built-in types as validation left them in `checked`, the rest being the
/// same: validation drops the built-in scalars nothing uses and adds the used ones missing.
fn with_built_ins_of(schema: Valid<Schema>, checked: &Schema) -> Valid<Schema> {
    let mut schema = schema.into_inner();
    (schema.types).retain(|name, ty| !ty.is_built_in() || checked.types.contains_key(name));
    let mut added = false;
    for (name, ty) in checked.types.iter().filter(|(_, ty)| ty.is_built_in()) {
        if !schema.types.contains_key(name) {
            schema.types.insert(name.clone(), ty.clone());
            added = true;
        }
    }
    // In name order like the rest (the copy was checked before the sorting).
    if added {
        schema.types.sort_keys();
    }
    Valid::assume_valid(schema)
}

/// One part of the generated SDL, parsed, checked and with its arguments in order (on either
/// parsing thread): read directly when it stays within the generator's subset of the grammar
/// (`generated.rs`), else by apollo's parser (counted in `by_apollo`).
fn parse_part(part: &str, by_apollo: &std::sync::atomic::AtomicUsize) -> Result<Document, String> {
    let mut doc = match generated::read(part) {
        Some(doc) => doc,
        None => {
            by_apollo.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            apollo_compiler::ast::Document::parse(part, "schema.graphql")
                .map_err(|e| e.errors.to_string())?
        }
    };
    refuse_duplicate_fields(&doc)?;
    sort_arguments(&mut doc);
    Ok(doc)
}

/// Two root fields (or fields of any generated object) of one name, as when a function is given
/// a table's root field name, stop the schema as they stop Hasura's (its wording).
fn refuse_duplicate_fields(doc: &Document) -> Result<(), String> {
    for d in &doc.definitions {
        let Definition::ObjectTypeDefinition(o) = d else {
            continue;
        };
        let mut seen = HashSet::default();
        let mut twice: Vec<&str> = (o.fields.iter())
            .filter(|f| !seen.insert(f.name.as_str()))
            .map(|f| f.name.as_str())
            .collect();
        if !twice.is_empty() {
            twice.sort_by(|a, b| b.cmp(a));
            let names: Vec<String> = twice.iter().map(|n| format!("'{n}'")).collect();
            return Err(format!(
                "found duplicate fields in selection set: [{}]",
                names.join(", ")
            ));
        }
    }
    Ok(())
}

/// Hasura introspects everything in order of name: types, fields, arguments, input fields,
/// enum values (`__TypeKind`'s too), interfaces and possible types; apollo-compiler keeps the
/// order of definition. Arguments are sorted in the parsed parts, before their fields are
/// shared; each type's members in the built schema, whose type nodes are still its own
/// (`sort_members`); the types themselves last (`parse_shared_then`).
fn sort_arguments(doc: &mut Document) {
    let sort = |fields: &mut Vec<Node<apollo_compiler::ast::FieldDefinition>>| {
        for f in fields {
            f.make_mut().arguments.sort_by(|a, b| a.name.cmp(&b.name));
        }
    };
    for d in &mut doc.definitions {
        match d {
            Definition::ObjectTypeDefinition(o) => sort(&mut o.make_mut().fields),
            Definition::ObjectTypeExtension(o) => sort(&mut o.make_mut().fields),
            Definition::InterfaceTypeDefinition(i) => sort(&mut i.make_mut().fields),
            _ => {}
        }
    }
}

fn sort_members(schema: &mut Schema) {
    use apollo_compiler::schema::ExtendedType;
    for ty in schema.types.values_mut() {
        match ty {
            ExtendedType::Object(o) => {
                let o = o.make_mut();
                o.fields.sort_keys();
                o.implements_interfaces.sort_by(|a, b| a.name.cmp(&b.name));
            }
            ExtendedType::Interface(i) => i.make_mut().fields.sort_keys(),
            ExtendedType::InputObject(i) => i.make_mut().fields.sort_keys(),
            ExtendedType::Enum(e) => e.make_mut().values.sort_keys(),
            ExtendedType::Union(u) => u.make_mut().members.sort_by(|a, b| a.name.cmp(&b.name)),
            ExtendedType::Scalar(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::SharedTypes;

    #[test]
    fn one_of_gives_back_an_equal_value_kept_for_the_key() {
        let shared = SharedTypes::default();
        let a = shared.one_of("t1", Arc::new(vec![1, 2]));
        assert!(Arc::ptr_eq(&a, &shared.one_of("t1", Arc::new(vec![1, 2]))));
        // Another value for the key is kept beside it; another key or type is its own.
        let b = shared.one_of("t1", Arc::new(vec![3]));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&b, &shared.one_of("t1", Arc::new(vec![3]))));
        assert!(!Arc::ptr_eq(&a, &shared.one_of("t2", Arc::new(vec![1, 2]))));
        let c = shared.one_of("t1", Arc::new(vec![1u8, 2]));
        assert_eq!(*c, vec![1u8, 2]);
    }
}
