//! Builds the web UI's bundle (`web/dist`) when it is missing or older than
//! its sources, so `cargo build` on a clean clone gives a binary that serves
//! the UI: `npm ci` (when `node_modules` is missing or older than the
//! lockfile), then `npm run build`. Without npm, or when the build leaves
//! no `web/dist/index.html`, the build stops with the fix: a `cairn`
//! binary always serves its UI. Nothing is downloaded but the npm packages
//! the lockfile pins.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let sources =
        ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "public"];
    for source in sources {
        println!("cargo:rerun-if-changed={}", web.join(source).display());
    }
    assert!(
        web.join("package.json").exists(),
        "the web UI's sources are missing ({} has no package.json): Cairn embeds the UI built from them",
        web.display()
    );
    let index = web.join("dist/index.html");
    let newest_source = sources.iter().filter_map(|s| newest(&web.join(s))).max();
    let built = modified(&index);
    if built.is_some() && built >= newest_source {
        return;
    }
    let lock = modified(&web.join("package-lock.json"));
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < lock {
        npm(&web, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&web, &["run", "build"]);
    assert!(
        index.exists(),
        "`npm run build` in {} left no dist/index.html, the UI bundle Cairn embeds: \
         build it yourself (`cd web && npm run build`), then build Cairn again",
        web.display()
    );
}

fn npm(web: &Path, args: &[&str]) {
    let output = match Command::new("npm").args(args).current_dir(web).output() {
        Ok(output) => output,
        Err(error) => panic!(
            "building Cairn's web UI needs npm (Node.js 20 or later), which cannot be run ({error}). \
             Install Node.js and npm (Debian: `apt-get install -y nodejs npm`), or build the UI yourself: \
             `cd web && npm ci && npm run build`."
        ),
    };
    if !output.status.success() {
        panic!(
            "`npm {}` in {} failed ({}):\n{}\n{}\nFix the UI build (`cd web && npm {}`), then build Cairn again.",
            args.join(" "),
            web.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            args.join(" ")
        );
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of any file under a folder.
fn newest(path: &Path) -> Option<SystemTime> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_dir() {
        return metadata.modified().ok();
    }
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    let mut newest = None;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(m) => newest = newest.max(m.modified().ok()),
                Err(_) => {}
            }
        }
    }
    newest
}
