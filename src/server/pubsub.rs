//! Pub/sub: the server-wide registry of channel and pattern subscribers, and each
//! client's own subscriptions.
//!
//! PUBLISH encodes a message once per protocol and appends it to each receiver's
//! [`Outbox`](super::Outbox), whose connection writes it out; a receiver whose
//! pending output breaks the `pubsub` class of `client-output-buffer-limit` is
//! disconnected, and the others keep receiving. Delivery happens under the
//! registry's read lock, so a client that unsubscribes (write lock) receives
//! nothing for that channel after its confirmation.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use parking_lot::RwLock;

use super::{ClientHandle, SharedState, Stats};
use crate::config::OutputLimit;
use crate::glob;

/// Subscribers of one channel or pattern, by client id.
type Subscribers = HashMap<u64, Arc<ClientHandle>>;

/// Every channel and pattern with its subscribers.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: RwLock<HashMap<Bytes, Subscribers>>,
    patterns: RwLock<HashMap<Bytes, Subscribers>>,
}

/// A message encoded for both protocols, built on first use.
struct Encoded<'a> {
    parts: [&'a [u8]; 3],
    n: usize,
    resp2: Option<BytesMut>,
    resp3: Option<BytesMut>,
}

impl<'a> Encoded<'a> {
    /// `message channel payload`, or `pmessage pattern channel payload`.
    fn new(pattern: Option<&'a [u8]>, channel: &'a [u8], payload: &'a [u8]) -> Self {
        let (parts, n) = match pattern {
            Some(p) => ([p, channel, payload], 3),
            None => ([channel, payload, b""], 2),
        };
        Encoded {
            parts,
            n,
            resp2: None,
            resp3: None,
        }
    }

    fn for_client(&mut self, client: &ClientHandle) -> &[u8] {
        let resp3 = client.resp.load(Ordering::Relaxed) == 3;
        let (slot, head) = if resp3 {
            (&mut self.resp3, b'>')
        } else {
            (&mut self.resp2, b'*')
        };
        let parts = &self.parts[..self.n];
        let kind: &[u8] = if self.n == 3 { b"pmessage" } else { b"message" };
        slot.get_or_insert_with(|| {
            let mut b =
                BytesMut::with_capacity(32 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
            push_header(&mut b, head, parts.len() + 1);
            push_bulk(&mut b, kind);
            for p in parts {
                push_bulk(&mut b, p);
            }
            b
        })
    }
}

fn push_header(b: &mut BytesMut, kind: u8, n: usize) {
    b.put_u8(kind);
    b.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    b.extend_from_slice(b"\r\n");
}

fn push_bulk(b: &mut BytesMut, data: &[u8]) {
    push_header(b, b'$', data.len());
    b.extend_from_slice(data);
    b.extend_from_slice(b"\r\n");
}

impl PubSub {
    /// PUBLISH: delivers `payload` to every subscriber of `channel` and of each
    /// pattern matching it (a client subscribed both ways gets both). Returns the
    /// number of deliveries. Receivers that break `limit` are disconnected.
    pub fn publish(
        &self,
        channel: &[u8],
        payload: &[u8],
        limit: &OutputLimit,
        stats: &Stats,
    ) -> usize {
        stats.pubsub_messages.fetch_add(1, Ordering::Relaxed);
        let mut receivers = 0;
        let deliver = |msg: &mut Encoded<'_>, client: &Arc<ClientHandle>| {
            let pending = client.deliver(msg.for_client(client));
            client.enforce_output_limit(pending, limit, stats, "pubsub");
        };
        {
            let channels = self.channels.read();
            if let Some(subs) = channels.get(channel) {
                let mut msg = Encoded::new(None, channel, payload);
                for client in subs.values() {
                    deliver(&mut msg, client);
                }
                receivers += subs.len();
            }
        }
        let patterns = self.patterns.read();
        for (pattern, subs) in patterns.iter() {
            if glob::matches(pattern, channel, false) {
                let mut msg = Encoded::new(Some(pattern), channel, payload);
                for client in subs.values() {
                    deliver(&mut msg, client);
                }
                receivers += subs.len();
            }
        }
        receivers
    }

    fn add(&self, pattern: bool, name: &Bytes, client: &Arc<ClientHandle>, stats: &Stats) {
        let map = if pattern {
            &self.patterns
        } else {
            &self.channels
        };
        let mut map = map.write();
        let subs = map.entry(name.clone()).or_default();
        if subs.is_empty() && !pattern {
            stats.pubsub_channels.fetch_add(1, Ordering::Relaxed);
        }
        subs.insert(client.id, Arc::clone(client));
    }

    fn remove(&self, pattern: bool, name: &[u8], client: u64, stats: &Stats) {
        let map = if pattern {
            &self.patterns
        } else {
            &self.channels
        };
        let mut map = map.write();
        if let Some(subs) = map.get_mut(name) {
            subs.remove(&client);
            if subs.is_empty() {
                map.remove(name);
                if !pattern {
                    stats.pubsub_channels.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// PUBSUB CHANNELS: channels with subscribers, matching `pattern` if given.
    pub fn channel_names(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.channels
            .read()
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB: subscribers of `channel` (patterns not counted).
    pub fn subscribers(&self, channel: &[u8]) -> usize {
        self.channels.read().get(channel).map_or(0, HashMap::len)
    }

    /// PUBSUB NUMPAT and INFO `pubsub_patterns`: distinct patterns subscribed to.
    pub fn pattern_count(&self) -> usize {
        self.patterns.read().len()
    }
}

/// One client's subscriptions; dropping it (the connection ends) unsubscribes it
/// from everything.
#[derive(Debug)]
pub struct Subscriptions {
    state: SharedState,
    handle: Arc<ClientHandle>,
    /// Allocated by the first subscription: every connection's task holds this
    /// struct, and most connections never subscribe (the sets are 72 bytes).
    sets: Option<Box<Sets>>,
}

#[derive(Debug, Default)]
struct Sets {
    channels: HashSet<Bytes>,
    /// In subscription order, as Redis 7.0 keeps them.
    patterns: Vec<Bytes>,
}

impl Subscriptions {
    /// No subscriptions yet, for `handle`'s connection.
    pub fn new(state: SharedState, handle: Arc<ClientHandle>) -> Self {
        Subscriptions {
            state,
            handle,
            sets: None,
        }
    }

    /// Channels plus patterns (the count subscribe confirmations carry).
    pub fn count(&self) -> usize {
        self.sets
            .as_ref()
            .map_or(0, |s| s.channels.len() + s.patterns.len())
    }

    /// True when subscribed to anything (Redis's `CLIENT_PUBSUB`).
    pub fn active(&self) -> bool {
        self.count() > 0
    }

    fn sets(&mut self) -> &mut Sets {
        self.sets.get_or_insert_with(Box::default)
    }

    fn publish_counts(&self) {
        let (channels, patterns) = self
            .sets
            .as_ref()
            .map_or((0, 0), |s| (s.channels.len(), s.patterns.len()));
        self.handle.sub_channels.store(channels, Ordering::Relaxed);
        self.handle.sub_patterns.store(patterns, Ordering::Relaxed);
    }

    /// SUBSCRIBE one channel (again is a no-op). The name is copied when new: the
    /// subscription outlives the request.
    pub fn subscribe(&mut self, channel: &[u8]) {
        let sets = self.sets();
        if !sets.channels.contains(channel) {
            let channel = Bytes::copy_from_slice(channel);
            sets.channels.insert(channel.clone());
            self.state
                .pubsub
                .add(false, &channel, &self.handle, &self.state.stats);
            self.publish_counts();
        }
    }

    /// UNSUBSCRIBE one channel; false when not subscribed to it.
    pub fn unsubscribe(&mut self, channel: &[u8]) -> bool {
        let had = self
            .sets
            .as_mut()
            .is_some_and(|s| s.channels.remove(channel));
        if had {
            self.state
                .pubsub
                .remove(false, channel, self.handle.id, &self.state.stats);
            self.publish_counts();
        }
        had
    }

    /// PSUBSCRIBE one pattern (again is a no-op). The pattern is copied when new.
    pub fn psubscribe(&mut self, pattern: &[u8]) {
        let sets = self.sets();
        if !sets.patterns.iter().any(|p| p.as_ref() == pattern) {
            let pattern = Bytes::copy_from_slice(pattern);
            sets.patterns.push(pattern.clone());
            self.state
                .pubsub
                .add(true, &pattern, &self.handle, &self.state.stats);
            self.publish_counts();
        }
    }

    /// PUNSUBSCRIBE one pattern; false when not subscribed to it.
    pub fn punsubscribe(&mut self, pattern: &[u8]) -> bool {
        let Some(sets) = self.sets.as_mut() else {
            return false;
        };
        let Some(at) = sets.patterns.iter().position(|p| p.as_ref() == pattern) else {
            return false;
        };
        sets.patterns.remove(at);
        self.state
            .pubsub
            .remove(true, pattern, self.handle.id, &self.state.stats);
        self.publish_counts();
        true
    }

    /// The subscribed channels (any order).
    pub fn channels(&self) -> Vec<Bytes> {
        self.sets
            .as_ref()
            .map_or_else(Vec::new, |s| s.channels.iter().cloned().collect())
    }

    /// The subscribed patterns, in subscription order.
    pub fn patterns(&self) -> Vec<Bytes> {
        self.sets
            .as_ref()
            .map_or_else(Vec::new, |s| s.patterns.clone())
    }

    /// Leaves every channel and pattern (RESET, disconnect), and frees the sets.
    pub fn clear(&mut self) {
        if let Some(sets) = self.sets.take() {
            let Sets { channels, patterns } = *sets;
            for channel in channels {
                self.state
                    .pubsub
                    .remove(false, &channel, self.handle.id, &self.state.stats);
            }
            for pattern in patterns {
                self.state
                    .pubsub
                    .remove(true, &pattern, self.handle.id, &self.state.stats);
            }
        }
        self.publish_counts();
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        if self.active() {
            self.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_encoded_per_protocol() {
        let mut m = Encoded::new(None, b"ch", b"hi");
        let handle = crate::server::ClientRegistry::default().register(
            "127.0.0.1:1".parse().expect("addr"),
            "127.0.0.1:2".parse().expect("addr"),
        );
        assert_eq!(
            m.for_client(&handle),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        handle.resp.store(3, Ordering::Relaxed);
        let mut p = Encoded::new(Some(b"c*"), b"ch", b"");
        assert_eq!(
            p.for_client(&handle),
            b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n"
        );
    }
}
