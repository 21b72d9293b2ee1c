//! The store's share of the configuration: what shapes streams and sessions.

use std::time::Duration;

use crate::config::{Config, TrackSpec};

use super::stream::NodeLimits;
use super::tracks::TrackTable;

/// Tracks, capacities, node sizes and session idling, as the store applies them.
/// Replaced as a whole when CONFIG SET changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// Configured tracks.
    pub tracks: Vec<TrackSpec>,
    /// Capacity of streams in no track.
    pub default_capacity: usize,
    /// `stream-node-max-entries` / `stream-node-max-bytes`.
    pub node_limits: NodeLimits,
    /// Sessions with no append for this long are ended; `None` never.
    pub session_idle_timeout: Option<Duration>,
}

impl StoreSettings {
    /// The store settings in `config`.
    pub fn from_config(config: &Config) -> Self {
        StoreSettings {
            tracks: config.tracks.clone(),
            default_capacity: config.default_capacity,
            node_limits: NodeLimits {
                max_entries: config.stream_node_max_entries,
                max_bytes: usize::try_from(config.stream_node_max_bytes).unwrap_or(usize::MAX),
            },
            session_idle_timeout: config.session_idle_timeout,
        }
    }

    /// True when some track drops entries past a maximum age.
    pub fn ages_entries(&self) -> bool {
        self.tracks.iter().any(|t| t.max_age.is_some())
    }

    /// The track table over these settings.
    pub fn table(&self) -> TrackTable<'_> {
        TrackTable::new(&self.tracks, self.default_capacity)
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings::from_config(&Config::default())
    }
}
