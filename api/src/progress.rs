//! Run progress on stderr: an indicatif bar on a terminal, plain lines
//! otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cairn_assets::execute::{RunObserver, RunProgress, SkipReason, StepOutcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::GlobalArgs;

/// Reports run progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    total: AtomicUsize,
    done: AtomicUsize,
}

impl Progress {
    /// A bar when stderr is a terminal and `--no-progress` is off; plain
    /// lines otherwise; nothing but failures with `--quiet`.
    pub fn new(global: &GlobalArgs) -> Self {
        let bar = (!global.no_progress && !global.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar, quiet: global.quiet, total: AtomicUsize::new(0), done: AtomicUsize::new(0) }
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl RunObserver for Progress {
    fn progress(&self, event: RunProgress<'_>) {
        match event {
            RunProgress::Started { run_id, steps } => {
                self.total.store(steps, Ordering::Relaxed);
                match &self.bar {
                    Some(bar) => {
                        bar.set_length(steps as u64);
                        bar.set_message(format!("run {run_id}"));
                    }
                    None if !self.quiet => eprintln!("run {run_id}: {steps} materializations planned"),
                    None => {}
                }
            }
            RunProgress::StepStarted { target } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(target.to_string());
                }
            }
            RunProgress::StepFinished { target, outcome } => {
                let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
                let total = self.total.load(Ordering::Relaxed);
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                let detail = match outcome {
                    StepOutcome::Materialized(m) => {
                        let rows = m.rows.map_or_else(String::new, |r| format!("{r} rows, "));
                        let unchanged = if m.changed { "" } else { ", data unchanged" };
                        let warnings = m.checks.iter().filter(|c| !c.passed).count();
                        let warnings =
                            if warnings > 0 { format!(", {warnings} check warning(s)") } else { String::new() };
                        format!("materialized ({rows}{} ms{unchanged}{warnings})", m.duration.as_millis())
                    }
                    StepOutcome::Skipped(SkipReason::UpstreamUnchanged) => {
                        "skipped: upstream data unchanged".to_owned()
                    }
                    StepOutcome::Skipped(SkipReason::UpstreamFailed { upstream }) => {
                        format!("skipped: upstream {upstream} failed")
                    }
                    StepOutcome::Failed { error, .. } => format!("FAILED: {error}"),
                };
                let failed = matches!(outcome, StepOutcome::Failed { .. });
                if failed || (self.bar.is_none() && !self.quiet) {
                    self.line(format!("[{done}/{total}] {target} {detail}"));
                }
            }
        }
    }
}
