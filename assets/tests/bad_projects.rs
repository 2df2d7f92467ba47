//! Golden tests for bad projects: each folder under `tests/bad_projects/`
//! is a project with mistakes, and `expected.txt` holds the diagnostics
//! Cairn must report for it, one per line (`file:line:col: message`). A
//! project that loads with warnings only is compared on its warnings.
//!
//! Run with `CAIRN_BLESS=1` to rewrite the expected files after an
//! intended change, then review the diff.

use std::path::{Path, PathBuf};

use cairn_assets::Project;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_projects");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/bad_projects exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_bad_project_reports_the_expected_diagnostics() {
    let bless = std::env::var_os("CAIRN_BLESS").is_some();
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 12, "fixture folders are missing");
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        // A project that loads must at least have warnings.
        let diagnostics = match Project::load(case) {
            Ok(project) if project.warnings.iter().next().is_some() => project.warnings,
            Ok(_) => {
                mismatches.push(format!("{name}: loaded without errors or warnings"));
                continue;
            }
            Err(diagnostics) => diagnostics,
        };
        let absolute = std::path::absolute(case).unwrap();
        let actual = diagnostics.to_string().replace(&absolute.display().to_string(), "<project>");
        for diagnostic in diagnostics.iter() {
            // Rendering with the source line must work for every diagnostic.
            let rendered = diagnostic.render(false);
            let start: String = diagnostic.message.chars().take(30).collect();
            assert!(rendered.contains(&start), "{name}: rendering lost the message:\n{rendered}");
            if let Some(location) = &diagnostic.location {
                assert!(rendered.contains(&location.to_string()), "{name}: rendering lost the location:\n{rendered}");
            }
            if name != "no_project_file" {
                let location = diagnostic.location.as_ref();
                assert!(location.is_some(), "{name}: `{}` has no file:line:col", diagnostic.message);
            }
        }
        let expected_path = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!("{name}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}
