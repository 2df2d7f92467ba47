//! Run progress on stderr, read from the event log (so steps executed by
//! other processes show too): an indicatif bar on a terminal, plain lines
//! otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use cairn_engine::EventFollower;
use cairn_store::{EventFilter, EventKind, MetadataStore, RunId, StoredEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::cli::GlobalArgs;

/// How often the event log is read while a run goes on.
const INTERVAL: Duration = Duration::from_millis(100);

/// Reports a run's progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    total: usize,
    done: usize,
}

impl Progress {
    /// A bar when stderr is a terminal and `--no-progress` is off; plain
    /// lines otherwise; nothing but failures with `--quiet`.
    pub fn new(global: &GlobalArgs, run: RunId, total: usize) -> Self {
        let bar = (!global.no_progress && !global.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("run {run}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if bar.is_none() && !global.quiet {
            eprintln!("run {run}: {total} materializations planned");
        }
        Self { bar, quiet: global.quiet, total, done: 0 }
    }

    /// Follows the run's events until `stop` is cancelled, then reads what
    /// is left and removes the bar.
    pub async fn follow(mut self, store: MetadataStore, run: RunId, stop: CancellationToken) {
        let mut follower = EventFollower::new(store, EventFilter { run: Some(run), ..EventFilter::default() }, 0);
        loop {
            let stopping = stop.is_cancelled();
            match follower.next_batch().await {
                Ok(events) => events.iter().for_each(|event| self.show(event)),
                Err(error) => tracing::warn!("cannot follow the run's events: {error}"),
            }
            if stopping {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.cancelled() => {}
            }
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn show(&mut self, event: &StoredEvent) {
        let subject = match (&event.asset, &event.partition) {
            (Some(asset), Some(partition)) => format!("{asset}[{partition}]"),
            (Some(asset), None) => asset.to_string(),
            _ => String::new(),
        };
        let data = |field: &str| event.data.as_ref().and_then(|d| d.get(field)).cloned();
        let detail = match event.kind {
            EventKind::StepStart => {
                if let Some(bar) = &self.bar {
                    bar.set_message(subject);
                }
                return;
            }
            EventKind::AssetMaterialization => {
                let rows = data("rows").and_then(|r| r.as_i64()).map_or_else(String::new, |r| format!("{r} rows, "));
                let ms = data("duration_ms").and_then(|d| d.as_i64()).unwrap_or(0);
                let unchanged =
                    if data("changed").and_then(|c| c.as_bool()) == Some(false) { ", data unchanged" } else { "" };
                format!("materialized ({rows}{ms} ms{unchanged})")
            }
            EventKind::StepSkipped => event.message.clone(),
            EventKind::StepFailure => format!("FAILED: {}", event.message.lines().next().unwrap_or_default()),
            EventKind::StepCanceled => "canceled".to_owned(),
            EventKind::EngineEvent => {
                self.line(format!("{subject} {}", event.message));
                return;
            }
            _ => return,
        };
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        let failed = event.kind == EventKind::StepFailure;
        if failed || (self.bar.is_none() && !self.quiet) {
            self.line(format!("[{}/{}] {subject} {detail}", self.done, self.total));
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None if !self.quiet => eprintln!("{text}"),
            None => {}
        }
    }
}
