//! What the end-to-end tests of the `cairn` binary share: a copy of a
//! project in a temporary folder, running `cairn` on it as a real process,
//! and small projects with slow steps.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A copy of the example project in a temporary folder.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Project {
    pub fn flights() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/flights");
        copy_dir(&example, dir.path());
        Self { dir, database_url: None }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn cairn(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .arg("--project")
            .arg(self.dir.path())
            .args(["--no-progress", "--color", "never"])
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("CAIRN_DATABASE_URL")
            .env_remove("CAIRN_PROJECT");
        if let Some(url) = &self.database_url {
            command.env("CAIRN_DATABASE_URL", url);
        }
        command.output().expect("cairn runs")
    }

    /// Starts `cairn <args>` in the background, its output discarded.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.spawn_logged(args, None)
    }

    /// Starts `cairn <args>` in the background, stderr written to `log`
    /// (for a test's failure message) or discarded.
    pub fn spawn_logged(&self, args: &[&str], log: Option<&Path>) -> std::process::Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .arg("--project")
            .arg(self.dir.path())
            .arg("--no-progress")
            .args(args)
            .env_remove("CAIRN_DATABASE_URL")
            .env_remove("CAIRN_PROJECT")
            .stdout(std::process::Stdio::null());
        match log {
            Some(path) => command.stderr(std::fs::File::create(path).expect("log file")),
            None => command.stderr(std::process::Stdio::null()),
        };
        if let Some(url) = &self.database_url {
            command.env("CAIRN_DATABASE_URL", url);
        }
        command.spawn().expect("cairn starts")
    }

    /// Runs cairn and asserts its exit code; returns stdout.
    pub fn expect(&self, args: &[&str], code: i32) -> String {
        let output = self.cairn(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "cairn {args:?} exited with {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            output.status.code()
        );
        stdout
    }

    pub fn stderr(&self, args: &[&str], code: i32) -> String {
        let output = self.cairn(args);
        assert_eq!(output.status.code(), Some(code), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.expect(args, 0)).expect("valid JSON on stdout")
    }

    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "`{from}` not in {relative}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// The current data files of `asset`, by partition, from `cairn status --files --json`.
    pub fn files(&self, asset: &str) -> BTreeMap<String, PathBuf> {
        let status = self.json(&["status", "--files", "--json", asset]);
        status[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["partition"].as_str().unwrap_or("").to_owned(), PathBuf::from(f["path"].as_str().unwrap())))
            .collect()
    }

    /// The one current data file of an unpartitioned asset.
    pub fn file(&self, asset: &str) -> PathBuf {
        let files = self.files(asset);
        assert_eq!(files.len(), 1, "{asset}: {files:?}");
        files.into_values().next().unwrap()
    }

    /// asset -> state, from `cairn status --json`.
    pub fn states(&self) -> BTreeMap<String, String> {
        let status = self.json(&["status", "--json"]);
        status
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["asset"].as_str().unwrap().to_owned(), a["state"].as_str().unwrap().to_owned()))
            .collect()
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".cairn" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A project of one slow command asset (it stages a partial output, then
/// sleeps) and an independent SQL asset.
pub fn slow_project(timeout_secs: Option<u64>) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let timeout = timeout_secs.map_or_else(String::new, |t| format!("    timeout_secs: {t}\n"));
    std::fs::write(
        dir.path().join("cairn.yaml"),
        format!(
            "name: slow\nassets:\n  - key: slow\n    command: [python3, -c, \"import os, time; open(os.environ['CAIRN_OUTPUT'], 'w').write('partial'); time.sleep(30)\"]\n    output_format: file\n    output_extension: txt\n{timeout}  - key: quick\n    sql: SELECT 1 AS x\n"
        ),
    )
    .unwrap();
    Project { dir, database_url: None }
}

/// The files (and earlier versions' folders) in a data folder's
/// `.staging`: none when it does not exist.
pub fn staged(data_dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(data_dir.join(".staging")) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list `{}`: {e}", data_dir.display()),
    }
}

/// Waits (up to 60 s) until a step has staged a file with `extension`
/// under `data_dir`.
pub fn wait_for_staged(data_dir: &Path, extension: &str) {
    let waiting = std::time::Instant::now();
    while !staged(data_dir).iter().any(|file| file.extension().is_some_and(|e| e == extension)) {
        assert!(waiting.elapsed() < std::time::Duration::from_secs(60), "no step staged data");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub mod storm;
