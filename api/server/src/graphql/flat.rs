//! Long lists of plain objects resolved in one pass: the lineage's nodes
//! and edges.
//!
//! async-graphql resolves every field of every list item through a future,
//! a context and an error path of its own. That costs about half a
//! microsecond per field: most of the 80 ms a 10,000-asset lineage took
//! (about 170,000 fields). A [`FlatList`] answers from the values it holds
//! in one synchronous loop instead, when its selection is *plain*: fields
//! without arguments or directives, nested selections equally plain.
//! Anything else (fragments, directives, `__typename`, arguments) takes
//! async-graphql's own path, so every query gets the same answer either
//! way; `api/tests/serve.rs` compares the two.
//!
//! The schema must stay free of async-graphql extensions (see
//! [`super::Api`]): they expect to be called for every field, which this
//! path skips.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value, registry};
use cairn_core::AssetKey;

/// A plain selection set: per selected field its response key (the alias
/// or the name), its name and its own selection (empty for a leaf).
pub struct Plain(Vec<(Name, Name, Plain)>);

impl Plain {
    /// `set` as a plain selection, or `None` when something in it is not
    /// a plain field.
    pub fn of(set: &SelectionSet) -> Option<Plain> {
        let mut fields = Vec::with_capacity(set.items.len());
        for item in &set.items {
            let Selection::Field(field) = &item.node else { return None };
            let field: &Field = &field.node;
            if !field.arguments.is_empty() || !field.directives.is_empty() || field.name.node.starts_with("__") {
                return None;
            }
            fields.push((
                field.response_key().node.clone(),
                field.name.node.clone(),
                Plain::of(&field.selection_set.node)?,
            ));
        }
        Some(Plain(fields))
    }

    /// The object of `item`'s selected fields, in selection order; `None`
    /// when `item` has no plain value for one of them.
    pub fn object<T: FlatObject>(&self, item: &T) -> Option<Value> {
        let mut object = IndexMap::with_capacity(self.0.len());
        for (key, name, nested) in &self.0 {
            object.insert(key.clone(), item.flat_value(name, nested)?);
        }
        Some(Value::Object(object))
    }
}

/// An object type whose fields are plain data, each given by name.
pub trait FlatObject {
    /// The value of the field `name`, the same async-graphql would
    /// resolve (for an object-typed field, `nested` is its selection);
    /// `None` when this type has no such plain field.
    fn flat_value(&self, name: &str, nested: &Plain) -> Option<Value>;
}

/// `[T!]!` in the schema, resolved in one pass when the selection is plain.
pub struct FlatList<T>(pub Vec<T>);

impl<T: OutputType + FlatObject> OutputType for FlatList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        if let Some(plain) = Plain::of(&ctx.item.node)
            && let Some(items) = self.0.iter().map(|item| plain.object(item)).collect::<Option<Vec<_>>>()
        {
            return Ok(Value::List(items));
        }
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}

/// An asset key served as a GraphQL `String`: holding it costs a reference
/// count, not a copy of the text, until the response is written.
pub struct KeyString(pub AssetKey);

impl KeyString {
    /// The key as a response value.
    pub fn value(&self) -> Value {
        Value::String(self.0.as_str().to_owned())
    }
}

impl OutputType for KeyString {
    fn type_name() -> Cow<'static, str> {
        <str as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <str as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, _: &ContextSelectionSet<'_>, _: &Positioned<Field>) -> ServerResult<Value> {
        Ok(self.value())
    }
}

/// The value of a nullable object field.
pub fn optional<T: FlatObject>(value: Option<&T>, nested: &Plain) -> Option<Value> {
    match value {
        Some(value) => nested.object(value),
        None => Some(Value::Null),
    }
}
