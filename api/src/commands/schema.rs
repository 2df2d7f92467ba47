//! `cairn schema`: print the JSON Schema of the YAML files.

use crate::Failure;

/// Prints the schema to stdout.
pub fn run() -> Result<(), Failure> {
    crate::out!("{}", cairn_assets::schema::project_schema_json())
}
