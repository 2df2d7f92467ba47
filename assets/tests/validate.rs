//! `check_queries` (what `cairn validate` adds to loading): every query is
//! planned against its upstream assets' schemas, the queries of one level of
//! the graph on all cores, and the problems come back in the project's
//! order whatever thread found them.

use std::fmt::Write;

use cairn_assets::Project;
use cairn_assets::observe::observe_sources;
use cairn_assets::validate::check_queries;

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
async fn an_unknown_column_in_a_query_or_a_check_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT).unwrap();
    let project = Project::load(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let problems = check_queries(&project, &[]).await;
    assert_eq!(problems.error_count(), 2, "{problems}");
    let text = problems.to_string();
    assert!(text.contains("asset `b`") && text.contains("y"), "{text}");
    assert!(text.contains("names column `labels`") && text.contains("did you mean `label`"), "{text}");
}

/// A CSV source, then `levels` levels of `width` SQL assets, each reading
/// two assets of the level before; the assets named in `broken` select a
/// column nobody has.
fn layered_project(dir: &std::path::Path, levels: usize, width: usize, broken: &[&str]) {
    std::fs::write(dir.join("s.csv"), "k,x\n1,2\n").unwrap();
    let mut yaml = String::from("name: layers\nassets:\n  - key: raw/s\n    source: { path: s.csv }\n");
    for level in 0..levels {
        for i in 0..width {
            let key = format!("l{level}_{i:02}");
            let column = if broken.contains(&key.as_str()) { "nope" } else { "x" };
            let (a, b) = match level {
                0 => ("raw.s".to_owned(), "raw.s".to_owned()),
                _ => (format!("l{}_{i:02}", level - 1), format!("l{}_{:02}", level - 1, (i + 1) % width)),
            };
            writeln!(
                yaml,
                "  - key: {key}\n    sql: SELECT a.k, a.{column} + b.x AS x FROM {a} a JOIN {b} b ON a.k = b.k"
            )
            .unwrap();
        }
    }
    // A partitioned query, planned with its parameters' sample values.
    yaml.push_str(&format!(
        "  - key: daily\n    partitions: {{ daily: {{ start: 2024-01-01 }} }}\n    \
         sql: SELECT k, CAST($partition_start AS DATE) AS day FROM l{}_00\n",
        levels - 1
    ));
    // Declared last, reading only the source: first level, last in the
    // project's order.
    let column = if broken.contains(&"late") { "nope" } else { "x" };
    writeln!(yaml, "  - key: late\n    sql: SELECT k, {column} FROM raw.s").unwrap();
    std::fs::write(dir.join("cairn.yaml"), yaml).unwrap();
}

/// The asset keys the diagnostics name, in order.
fn named_assets(problems: &cairn_assets::Diagnostics) -> Vec<String> {
    problems
        .iter()
        .map(|d| {
            let text = d.to_string();
            let start = text.find("asset `").expect("names an asset") + "asset `".len();
            text[start..].split('`').next().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn levels_planned_on_all_cores_report_in_the_project_s_order() {
    let dir = tempfile::tempdir().unwrap();
    // 64 queries per level: planned on more than one thread.
    layered_project(dir.path(), 3, 64, &[]);
    let project = Project::load(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let observations = observe_sources(&project).await;
    let clean = check_queries(&project, &observations).await;
    assert!(!clean.has_errors(), "{clean}");

    // Broken queries at both ends of two levels: each is reported once, in
    // the project's order; what reads a broken asset is not planned (its
    // input schema is unknown), so nothing else is reported.
    let dir = tempfile::tempdir().unwrap();
    let broken = ["l0_63", "l0_00", "l1_40", "l1_05", "late"];
    layered_project(dir.path(), 3, 64, &broken);
    let project = Project::load(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let observations = observe_sources(&project).await;
    let problems = check_queries(&project, &observations).await;
    let mut expected: Vec<String> = Vec::new();
    for asset in project.assets() {
        if broken.contains(&asset.key().to_string().as_str()) {
            expected.push(asset.key().to_string());
        }
    }
    assert_eq!(named_assets(&problems), expected, "{problems}");
    assert!(problems.to_string().contains("nope"), "{problems}");
}
