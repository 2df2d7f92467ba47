//! Command assets: any program that writes its output to `CAIRN_OUTPUT`.
//!
//! The program runs in the project folder, without a shell, with these
//! environment variables on top of Cairn's own environment:
//!
//! | variable | value |
//! |---|---|
//! | `CAIRN_OUTPUT` | the file to write (in the data folder's `.staging`) |
//! | `CAIRN_ASSET_KEY` | the asset key, `reports/delays` |
//! | `CAIRN_RUN_ID` | the run, `r-42` |
//! | `CAIRN_PARTITION_KEY` | the partition key (unset when unpartitioned) |
//! | `CAIRN_PARTITION_START`, `CAIRN_PARTITION_END` | the time window, RFC 3339 with offset (time windows only) |
//! | `CAIRN_INPUTS` | JSON object: upstream asset key → list of its files read |
//! | `CAIRN_INPUT_<KEY>` | for an upstream that contributes exactly one file: its path; `<KEY>` is the key upper-cased with `/` as `__` (`raw/flights` → `CAIRN_INPUT_RAW__FLIGHTS`) |
//!
//! A non-zero exit (or a signal, or the timeout) fails the materialization
//! and keeps the last lines of stderr in the run log.
//!
//! The program runs in a process group of its own. A timeout, or the step
//! being stopped (its run canceled, its executor shutting down, its future
//! dropped), kills the whole group with SIGKILL: children the program
//! started (`sh -c "sleep 600 & sleep 600"`) die with it.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use cairn_core::AssetKey;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use cairn_assets::definition::CommandDefinition;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::error::ExecuteError;

/// Lines of stderr (and stdout) kept for the run log.
pub const TAIL_LINES: usize = 20;

/// Everything a command needs besides its definition.
pub struct CommandRun<'a> {
    /// The asset.
    pub asset: &'a AssetKey,
    /// The definition.
    pub definition: &'a CommandDefinition,
    /// Working folder (the project folder).
    pub working_dir: &'a Path,
    /// Where the program must write.
    pub output: &'a Path,
    /// Variables to set: partition and run information.
    pub env: Vec<(String, String)>,
    /// Upstream files read, by upstream asset.
    pub inputs: BTreeMap<AssetKey, Vec<PathBuf>>,
    /// Time limit.
    pub timeout: Option<Duration>,
}

/// What a command printed.
#[derive(Debug, Clone, Default)]
pub struct CommandOutput {
    /// Last lines of stdout.
    pub stdout_tail: Vec<String>,
    /// Last lines of stderr.
    pub stderr_tail: Vec<String>,
}

/// Runs the program to completion.
///
/// # Errors
/// [`ExecuteError::Command`] when it cannot start, exits non-zero, is
/// killed by a signal, runs past its timeout, or exits 0 without writing
/// `CAIRN_OUTPUT`; the message carries the tail of stderr.
pub async fn run_command(run: CommandRun<'_>) -> Result<CommandOutput, ExecuteError> {
    let argv = &run.definition.argv;
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(run.working_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0)
        .env("CAIRN_OUTPUT", run.output)
        .env("CAIRN_ASSET_KEY", run.asset.as_str());
    for (name, value) in &run.definition.env {
        command.env(name, value);
    }
    for (name, value) in &run.env {
        command.env(name, value);
    }
    let inputs_json: BTreeMap<&str, Vec<String>> = run
        .inputs
        .iter()
        .map(|(key, files)| (key.as_str(), files.iter().map(|f| f.display().to_string()).collect()))
        .collect();
    command.env("CAIRN_INPUTS", serde_json::to_string(&inputs_json).unwrap_or_default());
    for (key, files) in &run.inputs {
        if let [only] = files.as_slice() {
            command.env(input_variable(key), only);
        }
    }
    let failure = |message: String, stderr_tail: Vec<String>| ExecuteError::Command {
        asset: run.asset.to_string(),
        message,
        stderr_tail,
    };
    let mut child = command.spawn().map_err(|e| failure(format!("cannot start `{}`: {e}", argv[0]), Vec::new()))?;
    let group = ProcessGroup(child.id());
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(failure("cannot read the program's output".to_owned(), Vec::new()));
    };
    let (stdout, stderr) = (tail(stdout), tail(stderr));
    let waited = match run.timeout {
        Some(limit) => match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                drop(group);
                let _ = child.wait().await;
                let stderr_tail = stderr.await.unwrap_or_default();
                return Err(failure(format!("timed out after {} s and was killed", limit.as_secs()), stderr_tail));
            }
        },
        None => child.wait().await,
    };
    // The program exited; whatever it left running in its group goes too,
    // so nothing of a materialization outlives it.
    drop(group);
    let status = waited.map_err(|e| failure(format!("cannot wait for `{}`: {e}", argv[0]), Vec::new()))?;
    let output =
        CommandOutput { stdout_tail: stdout.await.unwrap_or_default(), stderr_tail: stderr.await.unwrap_or_default() };
    if !status.success() {
        let how = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(failure(format!("`{}` {how}", argv.join(" ")), output.stderr_tail));
    }
    if !run.output.is_file() {
        return Err(failure(
            format!("`{}` exited 0 but wrote nothing to $CAIRN_OUTPUT ({})", argv.join(" "), run.output.display()),
            output.stderr_tail,
        ));
    }
    Ok(output)
}

/// A command's process group, killed (SIGKILL) when this is dropped.
struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(id) = self.0.and_then(|id| i32::try_from(id).ok()) {
            // ESRCH (the group is gone already) is the usual answer.
            let _ = killpg(Pid::from_raw(id), Signal::SIGKILL);
        }
    }
}

/// `CAIRN_INPUT_RAW__FLIGHTS` for `raw/flights`.
pub fn input_variable(key: &AssetKey) -> String {
    format!("CAIRN_INPUT_{}", key.as_str().replace('/', "__").to_ascii_uppercase())
}

/// Collects the last [`TAIL_LINES`] lines of a stream on a task.
fn tail(stream: impl AsyncRead + Unpin + Send + 'static) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        let mut kept = VecDeque::with_capacity(TAIL_LINES);
        while let Ok(Some(line)) = lines.next_line().await {
            if kept.len() == TAIL_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
        kept.into()
    })
}
