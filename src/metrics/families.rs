//! The metric families read from atomics at scrape time: their names, help text and
//! units, and how each is read.
//!
//! Counters are carried over as the difference since the previous scrape, so the
//! exported series only grow (as Prometheus expects) even after CONFIG RESETSTAT
//! zeroes INFO's figures: after a reset, what was counted since is added. Until a
//! RESETSTAT, INFO and `/metrics` show the same numbers.
//!
//! To add a family read from the store (see also `src/store/counters.rs`): add a
//! line to [`TRACK_FAMILIES`] when it is per track, or to [`STORE_FAMILIES`]
//! otherwise. Its HELP line is written from the table; nothing else changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{Counter, Gauge, Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::PrometheusRecorder;

use crate::server::{RejectReason, ServerState};
use crate::store::{EndReason, Store, TrackCounters};

/// Counter or gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

/// One family: name (with its unit and `_total` suffix), kind, unit, help text.
#[derive(Debug, Clone, Copy)]
struct Family {
    name: &'static str,
    kind: Kind,
    unit: Option<Unit>,
    help: &'static str,
}

const fn counter(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: Kind::Counter,
        unit: None,
        help,
    }
}

const fn gauge(name: &'static str, unit: Option<Unit>, help: &'static str) -> Family {
    Family {
        name,
        kind: Kind::Gauge,
        unit,
        help,
    }
}

/// Reads one per-track figure.
type TrackField = fn(&TrackCounters) -> &AtomicU64;
/// Reads one store-wide figure.
type StoreFigure = fn(&Store) -> u64;

/// Per-track families (label `track`: each track configured at start, and `other`).
const TRACK_FAMILIES: &[(Family, TrackField)] = &[
    (
        counter(
            "ringbus_events_appended_total",
            "Entries appended to the streams of a track.",
        ),
        |t| &t.appended,
    ),
    (
        counter(
            "ringbus_events_overwritten_total",
            "Entries a full ring dropped to make room (or a lowered capacity removed): raise the track's capacity when this grows.",
        ),
        |t| &t.overwritten,
    ),
    (
        counter(
            "ringbus_events_expired_total",
            "Entries removed for being older than the track's max age.",
        ),
        |t| &t.aged_out,
    ),
    (
        gauge(
            "ringbus_buffered_events",
            Some(Unit::Count),
            "Entries held now by the streams of a track.",
        ),
        |t| &t.events,
    ),
    (
        gauge(
            "ringbus_buffered_bytes",
            Some(Unit::Bytes),
            "Bytes held now by the streams of a track, keys and bookkeeping included.",
        ),
        |t| &t.bytes,
    ),
];

/// Store-wide families with no label.
const STORE_FAMILIES: &[(Family, StoreFigure)] = &[
    (
        gauge(
            "ringbus_streams",
            Some(Unit::Count),
            "Streams (keys) in every database.",
        ),
        |s| s.iter().map(|(_, db)| db.len() as u64).sum(),
    ),
    (
        gauge(
            "ringbus_sessions",
            Some(Unit::Count),
            "Sessions with at least one stream, in every database.",
        ),
        |s| s.sessions_total() as u64,
    ),
    (
        counter(
            "ringbus_expired_keys_total",
            "Keys removed because their TTL passed.",
        ),
        |s| s.counters.expired_keys.load(Ordering::Relaxed),
    ),
    (
        counter(
            "ringbus_pending_overwritten_total",
            "Consumer-group entries delivered but not acknowledged that a full ring overwrote: those consumers lost them.",
        ),
        |s| s.counters.pending_overwritten.load(Ordering::Relaxed),
    ),
];

const SESSIONS_ENDED: Family = counter(
    "ringbus_sessions_ended_total",
    "Sessions ended, by reason: command (SESSION.END, FLUSH, DEL of the last track), idle (session-idle-timeout), expire (TTL of the last track).",
);
const COMMANDS: Family = counter(
    "ringbus_commands_total",
    "Commands run, by command (as INFO commandstats calls).",
);
const COMMAND_ERRORS: Family = counter(
    "ringbus_command_errors_total",
    "Commands that replied with an error, by command and kind: rejected before running (arity, auth, OOM) or failed while running.",
);
const ERROR_REPLIES: Family = counter(
    "ringbus_error_replies_total",
    "Error replies sent, by error code (as INFO errorstats).",
);
const REJECTED: Family = counter(
    "ringbus_rejected_connections_total",
    "Connections refused, by reason (maxclients, protected_mode).",
);
const CONNECTIONS: Family = counter(
    "ringbus_connections_received_total",
    "Connections accepted.",
);
const CLIENTS: Family = gauge(
    "ringbus_connected_clients",
    Some(Unit::Count),
    "Client connections open now.",
);
const BLOCKED: Family = gauge(
    "ringbus_blocked_clients",
    Some(Unit::Count),
    "Clients blocked now in a blocking command (XREAD BLOCK).",
);
const NET_IN: Family = counter("ringbus_net_input_bytes_total", "Bytes read from clients.");
const NET_OUT: Family = counter(
    "ringbus_net_output_bytes_total",
    "Bytes written to clients.",
);
const PUBSUB_CHANNELS: Family = gauge(
    "ringbus_pubsub_channels",
    Some(Unit::Count),
    "Pub/sub channels with at least one subscriber.",
);
const PUBSUB_MESSAGES: Family = counter(
    "ringbus_pubsub_messages_total",
    "Pub/sub messages published.",
);
const USED_MEMORY: Family = gauge(
    "ringbus_used_memory_bytes",
    Some(Unit::Bytes),
    "Memory the stored data uses (INFO used_memory), the figure maxmemory limits.",
);
const MAXMEMORY: Family = gauge(
    "ringbus_maxmemory_bytes",
    Some(Unit::Bytes),
    "The maxmemory setting in bytes; 0 means no limit.",
);
const BUILD_INFO: Family = gauge(
    "ringbus_build_info",
    None,
    "Always 1; the version label says which ringbus is running.",
);

/// Every family with a fixed description (the per-track and store tables too).
fn all() -> impl Iterator<Item = Family> {
    TRACK_FAMILIES
        .iter()
        .map(|(f, _)| *f)
        .chain(STORE_FAMILIES.iter().map(|(f, _)| *f))
        .chain([
            SESSIONS_ENDED,
            COMMANDS,
            COMMAND_ERRORS,
            ERROR_REPLIES,
            REJECTED,
            CONNECTIONS,
            CLIENTS,
            BLOCKED,
            NET_IN,
            NET_OUT,
            PUBSUB_CHANNELS,
            PUBSUB_MESSAGES,
            USED_MEMORY,
            MAXMEMORY,
            BUILD_INFO,
        ])
}

/// Writes every family's HELP text and unit into `recorder`.
pub(super) fn describe(recorder: &PrometheusRecorder) {
    for f in all() {
        let name = KeyName::from_const_str(f.name);
        let help = SharedString::const_str(f.help);
        match f.kind {
            Kind::Counter => recorder.describe_counter(name, f.unit, help),
            Kind::Gauge => recorder.describe_gauge(name, f.unit, help),
        }
    }
}

const METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// The handles registered so far, with each counter's value at the last scrape.
#[derive(Default)]
pub(super) struct Scrape {
    counters: HashMap<Key, (Counter, u64)>,
    gauges: HashMap<Key, Gauge>,
}

impl Scrape {
    fn counter(&mut self, rec: &PrometheusRecorder, f: &Family, labels: Vec<Label>, value: u64) {
        let key = Key::from_parts(f.name, labels);
        let (handle, last) = match self.counters.get_mut(&key) {
            Some(entry) => entry,
            None => self
                .counters
                .entry(key.clone())
                .or_insert_with(|| (rec.register_counter(&key, &METADATA), 0)),
        };
        // A value below the last one means CONFIG RESETSTAT ran in between.
        let delta = value.checked_sub(*last).unwrap_or(value);
        handle.increment(delta);
        *last = value;
    }

    fn gauge(&mut self, rec: &PrometheusRecorder, f: &Family, labels: Vec<Label>, value: f64) {
        let key = Key::from_parts(f.name, labels);
        match self.gauges.get(&key) {
            Some(handle) => handle.set(value),
            None => {
                let handle = rec.register_gauge(&key, &METADATA);
                handle.set(value);
                self.gauges.insert(key, handle);
            }
        }
    }

    fn value(&mut self, rec: &PrometheusRecorder, f: &Family, labels: Vec<Label>, value: u64) {
        match f.kind {
            Kind::Counter => self.counter(rec, f, labels, value),
            Kind::Gauge => self.gauge(rec, f, labels, value as f64),
        }
    }

    /// Copies every counter and gauge of `server` into the recorder.
    pub(super) fn sync(&mut self, rec: &PrometheusRecorder, server: &ServerState) {
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let store = &server.store;
        for track in store.counters.tracks() {
            for (f, field) in TRACK_FAMILIES {
                let labels = vec![Label::new("track", track.name.clone())];
                self.value(rec, f, labels, ld(field(track)));
            }
        }
        for (f, read) in STORE_FAMILIES {
            self.value(rec, f, Vec::new(), read(store));
        }
        for reason in EndReason::ALL {
            let labels = vec![Label::new("reason", reason.label())];
            let n = store.counters.sessions_ended(reason);
            self.counter(rec, &SESSIONS_ENDED, labels, n);
        }

        let stats = &server.stats;
        for (name, s) in stats.commands() {
            let command = || Label::new("command", name);
            self.counter(rec, &COMMANDS, vec![command()], ld(&s.calls));
            for (kind, n) in [("rejected", ld(&s.rejected)), ("failed", ld(&s.failed))] {
                let labels = vec![command(), Label::new("kind", kind)];
                self.counter(rec, &COMMAND_ERRORS, labels, n);
            }
        }
        for (code, n) in stats.errors() {
            self.counter(rec, &ERROR_REPLIES, vec![Label::new("code", code)], n);
        }
        for reason in RejectReason::ALL {
            let labels = vec![Label::new("reason", reason.label())];
            self.counter(rec, &REJECTED, labels, stats.rejected(reason));
        }
        self.counter(
            rec,
            &CONNECTIONS,
            Vec::new(),
            ld(&stats.connections_received),
        );
        self.counter(rec, &NET_IN, Vec::new(), ld(&stats.net_input_bytes));
        self.counter(rec, &NET_OUT, Vec::new(), ld(&stats.net_output_bytes));
        self.counter(
            rec,
            &PUBSUB_MESSAGES,
            Vec::new(),
            ld(&stats.pubsub_messages),
        );
        self.gauge(
            rec,
            &PUBSUB_CHANNELS,
            Vec::new(),
            ld(&stats.pubsub_channels) as f64,
        );
        self.gauge(rec, &CLIENTS, Vec::new(), server.clients.len() as f64);
        self.gauge(rec, &BLOCKED, Vec::new(), server.clients.blocked() as f64);
        self.gauge(rec, &USED_MEMORY, Vec::new(), server.used_memory() as f64);
        self.gauge(rec, &MAXMEMORY, Vec::new(), server.maxmemory() as f64);
        let version = vec![Label::new("version", env!("CARGO_PKG_VERSION"))];
        self.gauge(rec, &BUILD_INFO, version, 1.0);
    }
}

/// Appends the standard `process_*` families, which carry fractional seconds the
/// `metrics` counters cannot hold, in the names and words of Prometheus's own
/// client libraries.
pub(super) fn write_process(out: &mut String) {
    use super::process;
    use std::fmt::Write as _;
    let (user, system) = process::cpu_seconds();
    let families: [(&str, &str, &str, f64); 6] = [
        (
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            user + system,
        ),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            process::resident_bytes() as f64,
        ),
        (
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            process::virtual_bytes() as f64,
        ),
        (
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            process::open_fds() as f64,
        ),
        (
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            process::max_fds() as f64,
        ),
        (
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            process::start_time_seconds(),
        ),
    ];
    for (name, kind, help, value) in families {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n\n"
        );
    }
}
