//! Prometheus metrics: the handles, the scrape, and the `/metrics` endpoint.
//!
//! One source of truth: counters live as atomics in the server's [`Stats`], the
//! store's [`StoreCounters`](crate::store::StoreCounters) and the client registry,
//! which INFO reads too. At each scrape [`Metrics::render`] copies them into the
//! `metrics` crate's handles (`families.rs`) and renders the text with
//! `metrics-exporter-prometheus`. The one figure recorded on the request path is
//! the per-command duration histogram: one handle per command of the table,
//! numbered by [`CommandIndex`](crate::commands::CommandIndex), so recording is an
//! index into a vector, with no label built and no name looked up per call.
//!
//! Each server has its own recorder (none is installed globally), so several
//! servers in one process, as in tests or an embedding application, keep apart.
//!
//! [`Stats`]: crate::server::Stats

mod families;
mod http;
pub mod process;

pub use http::serve;

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Histogram, Key, KeyName, Label, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::PrometheusRecorder;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use parking_lot::Mutex;

use crate::commands::CommandIndex;
use crate::server::ServerState;

/// Name of the per-command duration histogram.
pub const COMMAND_DURATION: &str = "ringbus_command_duration_seconds";

/// Upper bounds of the duration histogram's buckets, 10µs to 1s.
pub const DURATION_BUCKETS: [f64; 16] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0,
];

/// A server's metric handles and its Prometheus renderer.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// One histogram per numbered command, registered the first time the command
    /// runs, so a scrape carries only the commands in use rather than ~4000 empty
    /// series.
    durations: Box<[OnceLock<Histogram>]>,
    /// Command names by number, for the label.
    names: Box<[&'static str]>,
    /// The scrape-time handles; also serialises concurrent scrapes.
    scrape: Mutex<families::Scrape>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("commands", &self.durations.len())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Handles for every command of `index`, with the families described (HELP
    /// text and unit) once.
    pub fn new(index: &CommandIndex) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(COMMAND_DURATION.to_string()),
                &DURATION_BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        recorder.describe_histogram(
            KeyName::from_const_str(COMMAND_DURATION),
            Some(Unit::Seconds),
            SharedString::const_str(
                "Time spent running each command, in seconds (not counting time blocked).",
            ),
        );
        families::describe(&recorder);
        let handle = recorder.handle();
        Metrics {
            handle,
            durations: (0..index.len()).map(|_| OnceLock::new()).collect(),
            names: (0..index.len()).map(|i| index.spec(i).name).collect(),
            scrape: Mutex::new(families::Scrape::default()),
            recorder,
        }
    }

    /// Records that command number `command` ran for `elapsed`.
    #[inline]
    pub fn observe(&self, command: usize, elapsed: Duration) {
        let Some(slot) = self.durations.get(command) else {
            return;
        };
        let histogram = slot.get_or_init(|| {
            let key = Key::from_parts(
                COMMAND_DURATION,
                vec![Label::new("command", self.names[command])],
            );
            self.recorder.register_histogram(
                &key,
                &metrics::Metadata::new(module_path!(), metrics::Level::INFO, None),
            )
        });
        histogram.record(elapsed.as_secs_f64());
    }

    /// Folds recorded durations into the histograms so their memory stays bounded
    /// between scrapes (the server's upkeep calls it every second).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text exposition of every family, read from `server`'s
    /// counters now.
    pub fn render(&self, server: &ServerState) -> String {
        let mut text = {
            let mut scrape = self.scrape.lock();
            scrape.sync(&self.recorder, server);
            self.handle.render()
        };
        families::write_process(&mut text);
        text
    }
}
