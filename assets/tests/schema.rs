//! `cairn.schema.json` at the repository root must match the wire types.
//! Run with `CAIRN_BLESS=1` to regenerate it (or `cairn schema > cairn.schema.json`).

use std::path::Path;

#[test]
fn committed_json_schema_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cairn.schema.json");
    let generated = cairn_assets::schema::project_schema_json();
    if std::env::var_os("CAIRN_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "cairn.schema.json is stale: run `CAIRN_BLESS=1 cargo test -p cairn-assets --test schema` and commit it"
    );
    // The schema describes the fields users write.
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let asset = &schema["$defs"]["AssetDecl"]["properties"];
    for field in ["key", "sql", "source", "command", "partitions", "checks", "deps"] {
        assert!(asset.get(field).is_some(), "AssetDecl lacks `{field}`: {asset}");
    }
    assert_eq!(schema["$defs"]["AssetDecl"]["additionalProperties"], serde_json::json!(false));
}
