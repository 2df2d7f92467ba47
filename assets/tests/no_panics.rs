//! Loading never panics, whatever the YAML: random edits of a valid
//! project (characters inserted, deleted or replaced anywhere, including
//! inside SQL, keys and partitions) must give a project or diagnostics.

use cairn_assets::Project;
use proptest::prelude::*;

const VALID: &str = r#"name: fuzz
assets:
  - key: raw/flights
    source: { path: flights.csv }
  - key: flights_daily
    partitions:
      daily: { start: 2013-01-01, end: 2013-02-01, timezone: America/New_York }
    sql: |
      SELECT * FROM raw.flights
      WHERE make_date(year, month, day) = CAST($partition_start AS DATE)
    checks:
      - not_null: [carrier]
      - row_count: { min: 1 }
  - key: totals
    sql: SELECT carrier, count(*) AS n FROM flights_daily GROUP BY carrier
    checks:
      - unique: [carrier]
      - accepted_values: { column: carrier, values: [AA, 9E, 1] }
      - sql: "SELECT * FROM totals WHERE n > 5"
        severity: warn
  - key: regions
    command: [python3, "x.py"]
    partitions: { static: [us, eu] }
    deps: [totals]
"#;

/// Characters likely to break YAML, SQL, keys and dates.
const ALPHABET: &[char] = &[
    ' ', '\n', '\t', ':', '-', '[', ']', '{', '}', '"', '\'', '|', '>', '#', '&', '*', '!', '%', '@', '`', '/', '.',
    ',', '$', '(', ')', ';', '0', '9', 'a', 'é', '\u{0}', '\u{feff}', '界',
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = 0usize..VALID.len();
    let ch = proptest::sample::select(ALPHABET);
    prop_oneof![
        (at.clone(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        at.clone().prop_map(Edit::Delete),
        (at, ch).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

fn apply(edits: &[Edit]) -> String {
    let mut chars: Vec<char> = VALID.chars().collect();
    for edit in edits {
        match *edit {
            Edit::Insert(i, c) => chars.insert(i.min(chars.len()), c),
            Edit::Delete(i) if i < chars.len() => {
                chars.remove(i);
            }
            Edit::Replace(i, c) if i < chars.len() => chars[i] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn the_unedited_project_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), VALID).unwrap();
    let project = Project::load(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(project.specs().len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn random_edits_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let text = apply(&edits);
        std::fs::write(dir.path().join("cairn.yaml"), &text).unwrap();
        match Project::load(dir.path()) {
            Ok(project) => {
                // At most five one-character edits cannot make a fifth
                // asset, and every asset loaded is one written in the text.
                prop_assert!(project.specs().len() <= 4, "{} assets from:\n{text}", project.specs().len());
                for spec in project.specs() {
                    prop_assert!(text.contains(spec.key.as_str()), "asset `{}` is not in:\n{text}", spec.key);
                }
            }
            Err(diagnostics) => {
                prop_assert!(diagnostics.has_errors());
                for diagnostic in diagnostics.iter() {
                    let _ = diagnostic.render(false);
                    prop_assert!(!diagnostic.message.is_empty());
                }
            }
        }
    }
}
