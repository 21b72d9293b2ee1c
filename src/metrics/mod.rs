//! Prometheus metrics: the handles, the scrape, and the `/metrics` endpoint.
//!
//! One source of truth: counters live as atomics in the server's [`Stats`], the
//! store's [`StoreCounters`](crate::store::StoreCounters) and the client registry,
//! which INFO reads too. At each scrape [`Metrics::render`] copies them into the
//! `metrics` crate's handles (`families.rs`) and renders the text with
//! `metrics-exporter-prometheus`. The one figure recorded on the request path is
//! the per-command duration histogram (`durations.rs`): one per command of the
//! table, numbered by [`CommandIndex`], so recording
//! is an index into a vector, with no label built and no name looked up per call.
//!
//! Each server has its own recorder (none is installed globally), so several
//! servers in one process, as in tests or an embedding application, keep apart.
//!
//! [`Stats`]: crate::server::Stats

mod durations;
mod families;
mod http;
pub mod process;

pub use http::serve;

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusRecorder;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
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
    /// The duration histogram of every numbered command.
    durations: durations::Durations,
    /// The scrape-time handles; also serialises concurrent scrapes.
    scrape: Mutex<families::Scrape>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("durations", &COMMAND_DURATION)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Handles for every command of `index`, with the families described (HELP
    /// text and unit) once.
    pub fn new(index: &CommandIndex) -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        families::describe(&recorder);
        let handle = recorder.handle();
        Metrics {
            handle,
            durations: durations::Durations::new(
                (0..index.len()).map(|i| index.spec(i).name).collect(),
            ),
            scrape: Mutex::new(families::Scrape::default()),
            recorder,
        }
    }

    /// Records that command number `command` ran for `elapsed`.
    #[inline]
    pub fn observe(&self, command: usize, elapsed: Duration) {
        self.durations.record(command, elapsed);
    }

    /// The Prometheus text exposition of every family, read from `server`'s
    /// counters now.
    pub fn render(&self, server: &ServerState) -> String {
        let mut text = {
            let mut scrape = self.scrape.lock();
            scrape.sync(&self.recorder, server);
            self.handle.render()
        };
        self.durations.write(&mut text);
        families::write_process(&mut text);
        text
    }
}
