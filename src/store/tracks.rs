//! Tracks: how a key maps to its session, its track and its capacity.
//!
//! The part of a key after its LAST `:` is the track when it names a configured
//! track, and the part before it (non-empty) is the session id: `{abc}:conversation`
//! is track `conversation` of session `{abc}`. Any other key is a standalone stream
//! with the default capacity. Every stream is capped; none is unbounded.

use std::time::Duration;

use crate::config::TrackSpec;

/// Where a key belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass<'k> {
    /// Track `track` (an index into the table) of session `session`.
    Track {
        /// The session id: everything before the last `:`.
        session: &'k [u8],
        /// Index of the track in [`TrackTable::tracks`].
        track: usize,
    },
    /// A stream that belongs to no session.
    Standalone,
}

/// The configured tracks and the capacity of keys outside them. Borrows the live
/// configuration, so classifying a key on the append path copies nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackTable<'c> {
    tracks: &'c [TrackSpec],
    default_capacity: usize,
}

impl<'c> TrackTable<'c> {
    /// A table of `tracks`; keys in no track get `default_capacity` (at least 1).
    pub fn new(tracks: &'c [TrackSpec], default_capacity: usize) -> Self {
        TrackTable {
            tracks,
            default_capacity: default_capacity.max(1),
        }
    }

    /// The configured tracks, in configuration order.
    pub fn tracks(&self) -> &'c [TrackSpec] {
        self.tracks
    }

    /// Capacity of streams that belong to no track.
    pub fn default_capacity(&self) -> usize {
        self.default_capacity
    }

    /// Classifies `key`.
    pub fn classify<'k>(&self, key: &'k [u8]) -> KeyClass<'k> {
        let Some(colon) = key.iter().rposition(|&b| b == b':') else {
            return KeyClass::Standalone;
        };
        let (session, name) = (&key[..colon], &key[colon + 1..]);
        if session.is_empty() {
            return KeyClass::Standalone;
        }
        match self.tracks.iter().position(|t| t.name.as_bytes() == name) {
            Some(track) => KeyClass::Track { session, track },
            None => KeyClass::Standalone,
        }
    }

    /// The ring capacity of `key`'s stream.
    pub fn capacity(&self, key: &[u8]) -> usize {
        match self.classify(key) {
            KeyClass::Track { track, .. } => self.tracks[track].capacity.max(1),
            KeyClass::Standalone => self.default_capacity,
        }
    }

    /// The max age of `key`'s entries, when its track has one.
    pub fn max_age(&self, key: &[u8]) -> Option<Duration> {
        match self.classify(key) {
            KeyClass::Track { track, .. } => self.tracks[track].max_age,
            KeyClass::Standalone => None,
        }
    }

    /// Every track of `session`: its name and its key `<session>:<name>`.
    pub fn session_keys(&self, session: &[u8]) -> Vec<(&'c str, bytes::Bytes)> {
        self.tracks
            .iter()
            .map(|t| (t.name.as_str(), track_key(session, &t.name)))
            .collect()
    }
}

/// The key of track `name` of `session`: `<session>:<name>`.
pub fn track_key(session: &[u8], name: &str) -> bytes::Bytes {
    let mut key = Vec::with_capacity(session.len() + 1 + name.len());
    key.extend_from_slice(session);
    key.push(b':');
    key.extend_from_slice(name.as_bytes());
    bytes::Bytes::from(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<TrackSpec> {
        vec![
            TrackSpec {
                name: "conversation".into(),
                capacity: 1000,
                max_age: None,
            },
            TrackSpec {
                name: "insights".into(),
                capacity: 50,
                max_age: Some(Duration::from_secs(60)),
            },
        ]
    }

    #[test]
    fn the_last_colon_names_the_track() {
        let specs = specs();
        let t = TrackTable::new(&specs, 7);
        assert_eq!(
            t.classify(b"{abc}:conversation"),
            KeyClass::Track {
                session: b"{abc}",
                track: 0
            }
        );
        assert_eq!(
            t.classify(b"tenant:42:insights"),
            KeyClass::Track {
                session: b"tenant:42",
                track: 1
            }
        );
        assert_eq!(t.classify(b"conversation"), KeyClass::Standalone);
        assert_eq!(t.classify(b":conversation"), KeyClass::Standalone);
        assert_eq!(t.classify(b"abc:other"), KeyClass::Standalone);
        assert_eq!(t.classify(b"abc:conversation:x"), KeyClass::Standalone);
        assert_eq!(
            t.classify(b"abc:Conversation"),
            KeyClass::Standalone,
            "names are exact"
        );
    }

    #[test]
    fn capacity_and_max_age_follow_the_track() {
        let specs = specs();
        let t = TrackTable::new(&specs, 7);
        assert_eq!(t.capacity(b"s:conversation"), 1000);
        assert_eq!(t.capacity(b"s:insights"), 50);
        assert_eq!(t.capacity(b"plain"), 7);
        assert_eq!(t.max_age(b"s:insights"), Some(Duration::from_secs(60)));
        assert_eq!(t.max_age(b"s:conversation"), None);
        assert_eq!(
            t.session_keys(b"{a}"),
            vec![
                (
                    "conversation",
                    bytes::Bytes::from_static(b"{a}:conversation")
                ),
                ("insights", bytes::Bytes::from_static(b"{a}:insights"))
            ]
        );
    }
}
