//! The web UI's own tests, run by `cargo test` so the one test command
//! covers them: its unit tests (vitest), the check that its GraphQL types
//! match `api/schema.graphql`, and its browser end-to-end tests in a real
//! headless Chromium (Debian's `/usr/bin/chromium`, or `CHROMIUM`) against
//! this build's `cairn serve` on a copy of `examples/flights`.
//!
//! Needs Node.js and npm, and Chromium: `.ci/run` installs it; elsewhere
//! `apt-get install -y chromium`. A missing one fails the test, naming it.
//! Screenshots of the graph, an asset page and a backfill page are written
//! to `target/ui-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

fn npm(args: &[&str]) {
    let output = Command::new("npm")
        .args(args)
        .current_dir(web())
        .env("CAIRN_BIN", env!("CARGO_BIN_EXE_cairn"))
        .env("CAIRN_SCREENSHOTS", Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run npm ({e}): install Node.js 20 and npm"));
    assert!(
        output.status.success(),
        "`npm {}` failed in web/:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_web_ui_passes_its_unit_type_and_browser_tests() {
    if !web().join("node_modules").exists() {
        npm(&["ci", "--no-audit", "--no-fund"]);
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: `apt-get install -y chromium` (or set CHROMIUM)"
    );
    npm(&["run", "codegen:check"]);
    npm(&["test"]);
    npm(&["run", "e2e"]);
}
