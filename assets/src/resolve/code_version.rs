//! Code versions of resolved definitions.

use cairn_core::partitions::PartitionsDefinition;
use cairn_core::{AssetKey, CodeVersion};

use crate::definition::{AssetDefinition, Check};
use crate::diagnostic::Location;

/// The code version: a hash of the normalized definition. It covers the
/// query (re-printed, so layout and comments do not count), source
/// settings, command (with the content of script files it names), checks,
/// dependencies, and the partitions' *shape*
/// (cadence, time zone, offsets). It leaves out the partitions' start, end
/// and static key list, so adding partitions does not make the existing
/// ones stale.
pub(super) fn code_version(
    definition: &AssetDefinition,
    partitions: Option<&PartitionsDefinition>,
    checks: &[Check],
    deps: &[(AssetKey, Location)],
) -> CodeVersion {
    let definition_json = match definition {
        AssetDefinition::Source(source) => serde_json::json!({
            "source": { "path": source.path, "format": source.format, "delimiter": source.delimiter, "has_header": source.has_header }
        }),
        AssetDefinition::Sql(query) => serde_json::json!({ "sql": query.normalized, "format": query.format }),
        AssetDefinition::Command(command) => serde_json::json!({
            "command": command.argv, "output": command.output, "env": command.env, "scripts": command.script_versions
        }),
    };
    let partitions_json = partitions.map(|definition| match definition {
        PartitionsDefinition::TimeWindow(windows) => serde_json::json!({
            "cron": windows.cron_schedule(), "timezone": windows.timezone().name(), "format": windows.key_format()
        }),
        PartitionsDefinition::Static(_) => serde_json::json!("static"),
    });
    let mut dep_keys: Vec<&str> = deps.iter().map(|(k, _)| k.as_str()).collect();
    dep_keys.sort_unstable();
    let canonical = serde_json::json!({
        "definition": definition_json,
        "partitions": partitions_json,
        "checks": checks,
        "deps": dep_keys,
    });
    CodeVersion::of_canonical(&canonical.to_string())
}
