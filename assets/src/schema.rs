//! The JSON Schema of Cairn's YAML files, generated from the wire types so
//! editors offer completion and validation. `cairn.schema.json` at the
//! repository root is this output; a test fails when it is stale.

use schemars::schema_for;

use crate::wire::{AssetsFile, ProjectFile};

/// The schema as pretty JSON: one document accepting either a `cairn.yaml`
/// (with `name`) or an `assets/*.yaml` file (with only `assets`).
pub fn project_schema_json() -> String {
    let project = schema_for!(ProjectFile);
    let assets = schema_for!(AssetsFile);
    let mut combined = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Cairn project file",
        "description": "cairn.yaml (project settings and assets) or assets/*.yaml (assets)",
        "anyOf": [
            { "$ref": "#/$defs/ProjectFile" },
            { "$ref": "#/$defs/AssetsFile" }
        ],
        "$defs": {}
    });
    let defs = combined["$defs"].as_object_mut().expect("object");
    for (name, schema) in [("ProjectFile", project), ("AssetsFile", assets)] {
        let mut value = serde_json::to_value(schema).expect("schemas serialize");
        if let Some(inner) = value.as_object_mut().and_then(|o| o.remove("$defs")).and_then(|d| d.as_object().cloned())
        {
            defs.extend(inner);
        }
        if let Some(object) = value.as_object_mut() {
            object.remove("$schema");
        }
        defs.insert(name.to_owned(), value);
    }
    serde_json::to_string_pretty(&combined).expect("schema serializes") + "\n"
}
