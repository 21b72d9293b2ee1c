//! The store: synchronous, knows nothing of sockets, unit-tested without a network.

mod append;
pub mod bell;
pub mod cell;
pub mod counters;
pub mod gate;
pub mod groups;
pub mod keyspace;
pub mod reply_cache;
pub mod sessions;
pub mod settings;
pub mod stream;
pub mod tracks;

pub use keyspace::{Db, ExpireCondition, ExpireOutcome, Lookup, RenameOutcome, WatchFlag};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::thread_slot::Replicated;
use parking_lot::RwLockReadGuard;

pub use append::{AppendRequest, Appended, TrimSpec};
pub use bell::Bell;
pub use cell::{CellGuard, CellState, StreamCell, Wakeups};
pub use counters::{EndReason, StoreCounters, TrackCounters, OTHER_TRACK};
pub use gate::{defer_wakeups, DeferredWakeups, ExclusiveGate, Gate};
pub use sessions::{SessionInfo, SessionState, TrackInfo};
pub use settings::StoreSettings;

/// What a key holds: always a stream in ringbus.
#[derive(Debug, Clone)]
pub enum Value {
    /// A capped stream.
    Stream(Arc<StreamCell>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Stream(_) => "stream",
        }
    }

    /// The stream.
    pub fn stream(&self) -> &Arc<StreamCell> {
        match self {
            Value::Stream(cell) => cell,
        }
    }
}

/// All databases of one broker.
#[derive(Debug)]
pub struct Store {
    dbs: Box<[Db<Value>]>,
    /// Per database: the sessions that have streams, keyed by session id.
    sessions: Box<[Db<Arc<SessionState>>]>,
    /// Read on every append (a key's track and capacity), so kept per thread: see
    /// [`Replicated`].
    settings: Replicated<StoreSettings>,
    /// [`StoreSettings::ages_entries`] of the settings in force, so that a lookup
    /// need not take the settings lock (which every connection shares) to learn
    /// that nothing ages out, the usual case.
    aging: AtomicBool,
    /// Appends, overwrites, age-outs, expiries, sessions ended, and what each track
    /// holds, for INFO, metrics and `maxmemory`. Its track slots are the tracks
    /// configured when the store was made (see [`counters`]).
    pub counters: StoreCounters,
    /// Makes EXEC atomic: see [`gate`].
    pub gate: Gate,
}

impl Store {
    /// A store with `databases` empty databases and `settings`.
    pub fn new(databases: usize, settings: StoreSettings) -> Self {
        let n = databases.max(1);
        let counters = StoreCounters::new(settings.tracks.iter().map(|t| t.name.as_str()));
        Store {
            dbs: (0..n).map(|_| Db::default()).collect(),
            sessions: (0..n).map(|_| Db::default()).collect(),
            aging: AtomicBool::new(settings.ages_entries()),
            settings: Replicated::new(settings),
            counters,
            gate: Gate::default(),
        }
    }

    /// The WATCH touch hook for a change to the stream at `key` in database `db` that
    /// the keyspace does not see itself (content changes): clients watching the key
    /// will have their EXEC aborted. Nearly free when nobody watches. See
    /// [`keyspace::WatchFlag`]'s module for where it must be called.
    pub fn touch(&self, db: usize, key: &[u8]) {
        self.db(db).touch(key);
    }

    /// The settings in force. Hold the guard briefly.
    pub fn settings(&self) -> RwLockReadGuard<'_, StoreSettings> {
        self.settings.read()
    }

    /// True when some track drops entries past a maximum age (a lock-free read).
    pub(crate) fn ages_entries(&self) -> bool {
        self.aging.load(Ordering::Acquire)
    }

    /// Applies new settings (CONFIG SET). Streams take a changed capacity on their
    /// next append.
    pub fn set_settings(&self, settings: StoreSettings) {
        let aging = settings.ages_entries();
        self.settings.set(settings);
        self.aging.store(aging, Ordering::Release);
    }

    /// Database `index`. Callers validate the index (SELECT) before they get here.
    pub fn db(&self, index: usize) -> &Db<Value> {
        &self.dbs[index.min(self.dbs.len() - 1)]
    }

    /// Number of databases.
    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Every database with its index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Db<Value>)> {
        self.dbs.iter().enumerate()
    }
}

/// Milliseconds since the Unix epoch: the clock for expiries and stream ids.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Where a lookup gets the time it judges expiry and max age by: a fixed time in
/// Unix milliseconds (`u64`), or [`SystemClock`], read only when asked. Most keys
/// have no expiry and most tracks no max age, so most lookups never ask; a blocked
/// reader looks its stream up twice per delivery, and the two clock reads were
/// about 2 % of the server's CPU in the fan-out probe.
pub trait Clock: Copy {
    /// Milliseconds since the Unix epoch.
    fn now_ms(self) -> u64;
}

impl Clock for u64 {
    fn now_ms(self) -> u64 {
        self
    }
}

/// The system clock, read each time a lookup needs the time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(self) -> u64 {
        now_ms()
    }
}

/// Wakes every reader blocked on a stream that was just removed from the keyspace
/// (DEL, FLUSH, expiry, RENAME over it, SESSION.END), so it can re-check and answer
/// as Redis answers a deleted key.
pub fn release(value: &Value) {
    let wake = value.stream().lock().take_waiters();
    wake.ring();
}
