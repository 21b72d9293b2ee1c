//! Server counters that INFO reports and CONFIG RESETSTAT clears, and that
//! `/metrics` exports: the one source of truth for both.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::commands::{CommandIndex, CommandSpec};

/// Why the listener refused a connection (the `reason` label of
/// `ringbus_rejected_connections_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// `maxclients` connections were open.
    MaxClients,
    /// Protected mode: no password set and the client is not on loopback.
    ProtectedMode,
}

impl RejectReason {
    /// Every reason, in label order.
    pub const ALL: [RejectReason; 2] = [RejectReason::MaxClients, RejectReason::ProtectedMode];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::MaxClients => "maxclients",
            RejectReason::ProtectedMode => "protected_mode",
        }
    }
}

/// Calls, time and errors of one command (INFO commandstats).
#[derive(Debug, Default)]
pub struct CommandStat {
    /// Times it ran.
    pub calls: AtomicU64,
    /// Microseconds spent in it.
    pub usec: AtomicU64,
    /// Refused before running (arity, auth, ...).
    pub rejected: AtomicU64,
    /// Ran and replied with an error.
    pub failed: AtomicU64,
}

/// Global counters, all relaxed atomics: exact totals, no ordering needed.
#[derive(Debug)]
pub struct Stats {
    /// Connections accepted.
    pub connections_received: AtomicU64,
    /// Commands run.
    pub commands_processed: AtomicU64,
    /// Connections refused, by [`RejectReason`] (index = position in its `ALL`).
    rejected: [AtomicU64; 2],
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Error replies sent.
    pub error_replies: AtomicU64,
    /// Channels with at least one subscriber now (maintained by pub/sub).
    pub pubsub_channels: AtomicU64,
    /// Messages published (maintained by pub/sub).
    pub pubsub_messages: AtomicU64,
    /// Clients disconnected for passing their `client-output-buffer-limit`
    /// (INFO `client_output_buffer_limit_disconnections`, as Redis 7.4 names it).
    pub output_buffer_limit_disconnections: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    index: CommandIndex,
    commands: Vec<CommandStat>,
}

impl Stats {
    /// Counters for every command in `specs` (subcommands included), all zero.
    pub fn new(specs: &'static [CommandSpec]) -> Self {
        let index = CommandIndex::new(specs);
        let commands = (0..index.len()).map(|_| CommandStat::default()).collect();
        Stats {
            connections_received: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            rejected: Default::default(),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            pubsub_channels: AtomicU64::new(0),
            pubsub_messages: AtomicU64::new(0),
            output_buffer_limit_disconnections: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            index,
            commands,
        }
    }

    /// The numbering of the command table these counters follow (shared with the
    /// metric handles).
    pub fn index(&self) -> &CommandIndex {
        &self.index
    }

    /// The counters of command `name` (`client|list` form).
    pub fn command(&self, name: &str) -> Option<&CommandStat> {
        self.commands.get(self.index.by_name(name)?)
    }

    /// The counters of `spec`, found without a lookup by name (the request path).
    #[inline]
    pub fn command_of(&self, spec: &CommandSpec) -> Option<&CommandStat> {
        self.commands.get(self.index.of(spec)?)
    }

    /// The counters of the command numbered `i` in [`index`](Self::index).
    pub fn command_at(&self, i: usize) -> Option<&CommandStat> {
        self.commands.get(i)
    }

    /// Counts a refused connection.
    pub fn reject(&self, reason: RejectReason) {
        self.rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Connections refused for `reason`.
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason as usize].load(Ordering::Relaxed)
    }

    /// Connections refused for any reason (INFO `rejected_connections`).
    pub fn rejected_connections(&self) -> u64 {
        RejectReason::ALL.iter().map(|r| self.rejected(*r)).sum()
    }

    /// Counts an error reply under its code (`ERR`, `WRONGTYPE`, ...).
    pub fn record_error(&self, code: &str) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let mut errors = self.errors.lock();
        // Redis caps the distinct codes it tracks at 128 so clients cannot grow it.
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < 128 {
            errors.insert(code.to_string(), 1);
        }
    }

    /// Error counts by code, sorted.
    pub fn errors(&self) -> Vec<(String, u64)> {
        self.errors
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Commands that ran at least once or were refused, sorted by name.
    pub fn commands(&self) -> Vec<(&'static str, &CommandStat)> {
        let mut v: Vec<_> = self
            .commands
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.calls.load(Ordering::Relaxed) > 0
                    || s.rejected.load(Ordering::Relaxed) > 0
                    || s.failed.load(Ordering::Relaxed) > 0
            })
            .map(|(i, s)| (self.index.spec(i).name, s))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for a in [
            &self.connections_received,
            &self.commands_processed,
            &self.rejected[0],
            &self.rejected[1],
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.error_replies,
            &self.pubsub_messages,
            &self.output_buffer_limit_disconnections,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
        for s in &self.commands {
            for a in [&s.calls, &s.usec, &s.rejected, &s.failed] {
                a.store(0, Ordering::Relaxed);
            }
        }
    }
}
