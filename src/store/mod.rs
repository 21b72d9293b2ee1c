//! The store: synchronous, knows nothing of sockets, unit-tested without a network.

pub mod keyspace;
pub mod stream;
pub mod tracks;

pub use keyspace::{Db, ExpireCondition, ExpireOutcome, Lookup, RenameOutcome};

/// What a key can hold. Streams arrive with the streams capability; until then the
/// keyspace is always empty and every key command answers as Redis does on no keys.
#[derive(Debug, Clone)]
pub enum Value {}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match *self {}
    }
}

/// All databases of one broker.
#[derive(Debug)]
pub struct Store {
    dbs: Box<[Db<Value>]>,
}

impl Store {
    /// A store with `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        Store {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
        }
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
