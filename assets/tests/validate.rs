//! `check_queries` (what `cairn validate` adds to loading) finds the same
//! problems whether the project kept each query's syntax tree
//! (`Project::load_for_validation`) or not (`Project::load`, which drops
//! them to save memory, so the query is parsed again from its text).

use cairn_assets::Project;
use cairn_assets::definition::AssetDefinition;
use cairn_assets::validate::check_queries;
use cairn_core::AssetKey;

const PROJECT: &str = "name: v
assets:
  - key: a
    sql: SELECT 1 AS x, 'p' AS label
  - key: b
    sql: |
      SELECT x, y
      FROM a
  - key: c
    sql: SELECT label FROM a
    checks:
      - not_null: [labels]
";

#[tokio::test]
async fn planning_finds_the_same_problems_with_or_without_kept_syntax_trees() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT).unwrap();
    let mut kept = Project::load_for_validation(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let mut dropped = Project::load(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let statement = |project: &Project| match &project.asset(&AssetKey::new("b").unwrap()).unwrap().definition {
        AssetDefinition::Sql(query) => query.statement.is_some(),
        _ => panic!("b is a SQL asset"),
    };
    assert!(statement(&kept), "load_for_validation keeps the syntax tree");
    assert!(!statement(&dropped), "load drops it");

    let with_trees = check_queries(&mut kept, &[]).await.to_string();
    assert!(!statement(&kept), "planning took the syntax trees");
    let from_text = check_queries(&mut dropped, &[]).await.to_string();
    assert!(with_trees.contains("asset `b`") && with_trees.contains('y'), "{with_trees}");
    assert!(
        with_trees.contains("names column `labels`") && with_trees.contains("did you mean `label`"),
        "{with_trees}"
    );
    assert_eq!(with_trees, from_text);
}
