//! The embeddable API: the same store the server serves, used directly from Rust.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ringbus::{Broker, StreamId};
//!
//! let broker = Broker::new(&ringbus::config::Config::default());
//! let conversation = broker.session("{chat-42}").track("conversation");
//! let first = conversation.append(&[("role", "user"), ("text", "hello")]).unwrap();
//! conversation.append(&[("role", "agent"), ("text", "hi!")]).unwrap();
//!
//! // A late joiner catches up on everything, then waits for what comes next.
//! let backlog = conversation.read_after(StreamId::MIN, 100);
//! assert_eq!(backlog.len(), 2);
//! assert_eq!(backlog[0].id, first);
//! let last = backlog[1].id;
//! let tail = conversation.clone();
//! tokio::spawn(async move { tail.append(&[("role", "user"), ("text", "bye")]) });
//! let live = conversation.wait_after(last, 10, None).await;
//! assert_eq!(live[0].field("text"), Some(&b"bye"[..]));
//! # }
//! ```
//!
//! A server started with [`crate::server::start_with_broker`] serves the same
//! streams to Redis clients. Every call holds the store's transaction gate while it
//! touches the store, so it never sees, nor lands inside, a client's EXEC.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::config::Config;
use crate::store::stream::{StreamError, StreamId};
use crate::store::tracks::track_key;
use crate::store::{now_ms, AppendRequest, Bell, SessionInfo, Store, StoreSettings, Value};

/// The broker: every database, stream and session. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Broker {
    store: Arc<Store>,
}

/// One entry read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its ID.
    pub id: StreamId,
    /// Field/value pairs, in order.
    pub fields: Vec<(Bytes, Bytes)>,
}

impl Entry {
    /// The value of the first field called `name`.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(f, _)| f.as_ref() == name.as_bytes())
            .map(|(_, v)| v.as_ref())
    }
}

impl Broker {
    /// A broker with the tracks, capacities and databases of `config`.
    pub fn new(config: &Config) -> Self {
        Broker {
            store: Arc::new(Store::new(
                config.databases,
                StoreSettings::from_config(config),
            )),
        }
    }

    /// The store underneath (what the server shares).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Session `id` in database 0.
    pub fn session(&self, id: impl AsRef<[u8]>) -> Session {
        Session {
            store: Arc::clone(&self.store),
            id: Bytes::copy_from_slice(id.as_ref()),
        }
    }

    /// The stream at `key` in database 0, whether or not it names a track.
    pub fn stream(&self, key: impl AsRef<[u8]>) -> Track {
        Track {
            store: Arc::clone(&self.store),
            key: Bytes::copy_from_slice(key.as_ref()),
        }
    }
}

/// A session: the tracks whose keys share its id as prefix.
#[derive(Debug, Clone)]
pub struct Session {
    store: Arc<Store>,
    id: Bytes,
}

impl Session {
    /// Track `name` of this session (key `<id>:<name>`).
    pub fn track(&self, name: &str) -> Track {
        Track {
            store: Arc::clone(&self.store),
            key: track_key(&self.id, name),
        }
    }

    /// Ends the session: every track goes at once. Returns streams removed.
    pub fn end(&self) -> usize {
        let _gate = self.store.gate.shared();
        self.store.end_session(0, &self.id, now_ms())
    }

    /// Length, capacity, IDs and idle time per track; `None` when none holds a stream.
    pub fn info(&self) -> Option<SessionInfo> {
        let _gate = self.store.gate.shared();
        self.store.session_info(0, &self.id, now_ms())
    }
}

/// A handle to one stream (a session's track or a standalone key). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Track {
    store: Arc<Store>,
    key: Bytes,
}

impl Track {
    /// The stream's key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// Appends an entry with an ID from the clock (XADD key * ...); a full ring
    /// overwrites its oldest entry.
    pub fn append<F, V>(&self, fields: &[(F, V)]) -> Result<StreamId, StreamError>
    where
        F: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        // The store takes borrowed slices and copies what it keeps.
        let flat: Vec<&[u8]> = fields
            .iter()
            .flat_map(|(f, v)| [f.as_ref(), v.as_ref()])
            .collect();
        let _gate = self.store.gate.shared();
        let appended = self
            .store
            .append(0, &self.key, AppendRequest::new(&flat), now_ms())?;
        // `create` is true, so the stream exists and the append went in.
        Ok(appended.map_or(StreamId::MIN, |a| a.id))
    }

    /// Entries held now.
    pub fn len(&self) -> u64 {
        let _gate = self.store.gate.shared();
        self.store
            .stream(0, &self.key, now_ms())
            .map_or(0, |c| c.lock().stream.len())
    }

    /// True when the stream holds nothing (or does not exist).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries with `start <= id <= end`, oldest first, at most `count` (XRANGE).
    pub fn range(&self, start: StreamId, end: StreamId, count: Option<usize>) -> Vec<Entry> {
        let _gate = self.store.gate.shared();
        let Some(cell) = self.store.stream(0, &self.key, now_ms()) else {
            return Vec::new();
        };
        let state = cell.lock();
        state
            .stream
            .range(start, end, count, false)
            .map(|e| Entry {
                id: e.id,
                fields: e
                    .fields()
                    .map(|(f, v)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)))
                    .collect(),
            })
            .collect()
    }

    /// Up to `count` entries after `after`, without waiting (XREAD COUNT).
    pub fn read_after(&self, after: StreamId, count: usize) -> Vec<Entry> {
        match after.incr() {
            Some(start) => self.range(start, StreamId::MAX, Some(count)),
            None => Vec::new(),
        }
    }

    /// Like [`read_after`](Self::read_after), but waits until there is at least
    /// one entry or `timeout` passes (then the result is empty). `None` waits forever.
    pub async fn wait_after(
        &self,
        after: StreamId,
        count: usize,
        timeout: Option<Duration>,
    ) -> Vec<Entry> {
        let bell = Arc::new(Bell::new());
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            // Register under the same lock that checks, so no append is missed.
            let gate = self.store.gate.shared();
            let registered = match self.store.db(0).value_or_wait(&self.key, &bell, now_ms()) {
                None => true,
                Some(Value::Stream(cell)) => {
                    let mut state = cell.lock();
                    if state.stream.last_entry().is_some_and(|e| e.id > after) {
                        false
                    } else {
                        state.register(&bell);
                        true
                    }
                }
            };
            drop(gate);
            if !registered {
                let found = self.read_after(after, count);
                if !found.is_empty() {
                    return found;
                }
                continue;
            }
            match deadline {
                Some(at) => {
                    if tokio::time::timeout_at(at, bell.rung()).await.is_err() {
                        return self.read_after(after, count);
                    }
                }
                None => bell.rung().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn append_read_and_wait() {
        let broker = Broker::new(&Config::default());
        let t = broker.session("{s}").track("conversation");
        assert!(t.is_empty());
        let a = t
            .append(&[("role", "user"), ("text", "one")])
            .expect("append");
        let b = t
            .append(&[("role", "agent"), ("text", "two")])
            .expect("append");
        assert!(b > a);
        assert_eq!(t.len(), 2);
        let all = t.range(StreamId::MIN, StreamId::MAX, None);
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(all[1].field("text"), Some(&b"two"[..]));
        assert_eq!(t.read_after(a, 10).len(), 1);
        assert!(t.read_after(b, 10).is_empty());
        // Times out empty.
        let none = t.wait_after(b, 10, Some(Duration::from_millis(20))).await;
        assert!(none.is_empty());
        // Woken by an append from another task.
        let writer = t.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.append(&[("text", "three")])
        });
        let got = t.wait_after(b, 10, Some(Duration::from_secs(5))).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field("text"), Some(&b"three"[..]));
        assert!(task.await.is_ok());
        assert_eq!(broker.session("{s}").end(), 1);
        assert!(broker.session("{s}").info().is_none());
    }

    #[tokio::test]
    async fn waiting_on_a_stream_that_does_not_exist_yet() {
        let broker = Broker::new(&Config::default());
        let t = broker.stream("later");
        let writer = t.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.append(&[("k", "v")])
        });
        let got = t
            .wait_after(StreamId::MIN, 1, Some(Duration::from_secs(5)))
            .await;
        assert_eq!(got.len(), 1);
        assert!(task.await.is_ok());
    }

    #[tokio::test]
    async fn ten_thousand_readers_all_get_one_append() {
        let broker = Broker::new(&Config::default());
        let t = broker.stream("fanout");
        let last = t.append(&[("k", "first")]).expect("append");
        let mut readers = Vec::new();
        for _ in 0..10_000 {
            let r = t.clone();
            readers.push(tokio::spawn(async move {
                r.wait_after(last, 1, Some(Duration::from_secs(30))).await
            }));
        }
        // Let every reader park before the append.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        t.append(&[("k", "second")]).expect("append");
        for r in readers {
            let got = r.await.expect("reader");
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].field("k"), Some(&b"second"[..]));
        }
    }
}
