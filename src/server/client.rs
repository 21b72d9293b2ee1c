//! Clients: each connection's private state, and the registry of every connection
//! that CLIENT LIST / KILL and INFO read.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

/// What other tasks may see of a connection: what CLIENT LIST prints, and the signal
/// that CLIENT KILL, CLIENT UNBLOCK, PUBLISH and shutdown raise.
#[derive(Debug)]
pub struct ClientHandle {
    /// CLIENT ID: unique, increasing.
    pub id: u64,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our side of the connection.
    pub laddr: SocketAddr,
    /// When the connection was accepted.
    pub created: Instant,
    /// CLIENT SETNAME and SETINFO's values, boxed while any is set (see
    /// [`ClientNames`]): read them with [`ClientHandle::names`].
    names: Mutex<Option<Box<ClientNames>>>,
    /// The selected database.
    pub db: AtomicUsize,
    /// 2 or 3.
    pub resp: AtomicU8,
    /// Name of the last command run (`client|list` form).
    pub last_cmd: Mutex<&'static str>,
    /// Milliseconds since `created` of the last read from the client.
    pub last_active_ms: AtomicU64,
    /// CLIENT NO-EVICT.
    pub no_evict: AtomicBool,
    /// Blocked in a command such as XREAD BLOCK.
    pub blocked: AtomicBool,
    /// Bytes waiting in the query buffer.
    pub qbuf: AtomicUsize,
    /// Bytes waiting in the output buffer.
    pub omem: AtomicUsize,
    /// Raised to close the connection, end its blocked command, or write its
    /// pub/sub messages.
    pub signal: super::Signal,
    /// CLIENT UNBLOCK's request, read by the blocked connection when the signal
    /// says so.
    pub unblock: Mutex<Option<Unblock>>,
    /// Pub/sub messages waiting to be written, and the output limit's bookkeeping.
    pub outbox: super::Outbox,
    /// Channels subscribed to (CLIENT LIST `sub`).
    pub sub_channels: AtomicUsize,
    /// Patterns subscribed to (CLIENT LIST `psub`).
    pub sub_patterns: AtomicUsize,
    /// Commands queued after MULTI, -1 outside a transaction (CLIENT LIST `multi`).
    pub multi: AtomicI64,
    /// Bytes the queued commands hold (CLIENT LIST `multi-mem`).
    pub multi_mem: AtomicUsize,
}

/// What a client says of itself: CLIENT SETNAME (or HELLO SETNAME) and CLIENT
/// SETINFO. Few clients set any of it, so a handle holds it boxed, and only while
/// something is set: three inline slots cost every connection 120 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientNames {
    /// CLIENT SETNAME / HELLO SETNAME.
    pub name: Option<Bytes>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Bytes>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Bytes>,
}

/// The classes of client that CLIENT LIST/KILL TYPE and the output limits know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Any client that is not subscribed.
    Normal,
    /// A replica (ringbus has none).
    Replica,
    /// A master (ringbus has none).
    Master,
    /// A client subscribed to a channel or pattern.
    PubSub,
}

/// How CLIENT UNBLOCK answers a blocked client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// As if its timeout had passed.
    Timeout,
    /// With `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

impl ClientHandle {
    /// Marks the client parked in a blocking command or not (INFO
    /// `blocked_clients`, CLIENT LIST's `b` flag).
    ///
    /// Only the client's own flag is written: a shared count would be one more
    /// cache line that every blocking command on every core writes twice (a
    /// fan-out reader blocks once per delivery). INFO counts the flags instead.
    pub fn set_blocked(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::Relaxed);
    }

    /// True when subscribed to a channel or pattern.
    pub fn is_subscribed(&self) -> bool {
        self.sub_channels.load(Ordering::Relaxed) + self.sub_patterns.load(Ordering::Relaxed) > 0
    }

    /// The client's class, as Redis's `getClientType`.
    pub fn client_type(&self) -> ClientType {
        if self.is_subscribed() {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }

    /// Seconds since the connection was accepted.
    pub fn age_secs(&self) -> u64 {
        self.created.elapsed().as_secs()
    }

    /// Seconds since the client last sent anything.
    pub fn idle_secs(&self) -> u64 {
        let now = self.created.elapsed().as_millis() as u64;
        now.saturating_sub(self.last_active_ms.load(Ordering::Relaxed)) / 1000
    }

    /// Marks the connection active now: it sent bytes. As Redis (which stamps
    /// `lastinteraction` when it reads from the socket), once per read rather than
    /// per command, so a pipelined batch reads the clock once.
    pub fn mark_active(&self) {
        self.last_active_ms
            .store(self.created.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The client's name and library, as CLIENT SETNAME and SETINFO left them.
    pub fn names(&self) -> ClientNames {
        self.names.lock().as_deref().cloned().unwrap_or_default()
    }

    /// Changes the client's name or library; the box is freed when nothing is set.
    pub fn edit_names(&self, edit: impl FnOnce(&mut ClientNames)) {
        let mut slot = self.names.lock();
        let mut names = slot.take().map(|boxed| *boxed).unwrap_or_default();
        edit(&mut names);
        *slot = (names != ClientNames::default()).then(|| Box::new(names));
    }

    /// Records `cmd` as the last command (CLIENT LIST `cmd=`).
    pub fn set_last_command(&self, cmd: &'static str) {
        *self.last_cmd.lock() = cmd;
    }

    /// The line CLIENT LIST and CLIENT INFO print for this client (Redis 7.2 fields,
    /// so `lib-name`/`lib-ver` are there; buffers we do not have report 0).
    pub fn info_line(&self) -> String {
        let names = self.names();
        let name = names.name.unwrap_or_default();
        let lib_name = names.lib_name.unwrap_or_default();
        let lib_ver = names.lib_ver.unwrap_or_default();
        let blocked = self.blocked.load(Ordering::Relaxed);
        let multi = self.multi.load(Ordering::Relaxed);
        let mut flags = String::new();
        if self.is_subscribed() {
            flags.push('P');
        }
        if multi >= 0 {
            flags.push('x');
        }
        if blocked {
            flags.push('b');
        }
        if self.no_evict.load(Ordering::Relaxed) {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let qbuf = self.qbuf.load(Ordering::Relaxed);
        let omem = self.omem.load(Ordering::Relaxed) + self.outbox.queued();
        let multi_mem = self.multi_mem.load(Ordering::Relaxed);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem={} rbs=16384 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.id,
            String::from_utf8_lossy(&name),
            self.age_secs(),
            self.idle_secs(),
            flags,
            self.db.load(Ordering::Relaxed),
            self.sub_channels.load(Ordering::Relaxed),
            self.sub_patterns.load(Ordering::Relaxed),
            multi,
            qbuf,
            multi_mem,
            omem,
            qbuf + omem + multi_mem,
            self.last_cmd.lock(),
            self.resp.load(Ordering::Relaxed),
            String::from_utf8_lossy(&lib_name),
            String::from_utf8_lossy(&lib_ver),
        )
    }
}

/// Every connected client, by id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
    /// The server's shutdown token: a client registered after it was cancelled is
    /// killed at once.
    shutdown: CancellationToken,
}

impl ClientRegistry {
    /// A registry for a server that shuts down with `shutdown`; the server kills
    /// every client ([`ClientRegistry::kill_all`]) when it does, so a connection
    /// watches its own signal only (a shared token's lock, taken by every
    /// connection at every wait, is contended).
    pub fn new(shutdown: CancellationToken) -> Self {
        ClientRegistry {
            shutdown,
            ..Self::default()
        }
    }

    /// Registers a new connection and returns its handle.
    pub fn register(&self, addr: SocketAddr, laddr: SocketAddr) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let handle = Arc::new(ClientHandle {
            id,
            addr,
            laddr,
            created: Instant::now(),
            names: Mutex::new(None),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            last_cmd: Mutex::new("NULL"),
            last_active_ms: AtomicU64::new(0),
            no_evict: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            qbuf: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            signal: super::Signal::default(),
            unblock: Mutex::new(None),
            outbox: super::Outbox::default(),
            sub_channels: AtomicUsize::new(0),
            sub_patterns: AtomicUsize::new(0),
            multi: AtomicI64::new(-1),
            multi_mem: AtomicUsize::new(0),
        });
        self.clients.lock().insert(id, Arc::clone(&handle));
        // A connection admitted as the server shuts down closes at once.
        if self.shutdown.is_cancelled() {
            handle.signal.kill();
        }
        handle
    }

    /// Removes a closed connection.
    pub fn unregister(&self, id: u64) {
        self.clients.lock().remove(&id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every client, by id.
    pub fn snapshot(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().cloned().collect()
    }

    /// The client with `id`, if connected.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).cloned()
    }

    /// INFO `blocked_clients`: the clients parked in a blocking command now.
    pub fn blocked(&self) -> usize {
        self.clients
            .lock()
            .values()
            .filter(|c| c.blocked.load(Ordering::Relaxed))
            .count()
    }

    /// Closes the clients that have sent nothing for longer than `timeout` (the
    /// `timeout` setting), as Redis's `clientsCronHandleTimeout`: blocked and
    /// subscribed clients are left alone. Returns how many were asked to close.
    pub fn close_idle(&self, timeout: std::time::Duration) -> usize {
        let limit = timeout.as_millis() as u64;
        let mut closed = 0;
        for c in self.snapshot() {
            if c.blocked.load(Ordering::Relaxed) || c.is_subscribed() || c.signal.is_killed() {
                continue;
            }
            let now = c.created.elapsed().as_millis() as u64;
            if now.saturating_sub(c.last_active_ms.load(Ordering::Relaxed)) > limit {
                tracing::debug!(client = c.id, addr = %c.addr, "closing idle client");
                c.signal.kill();
                closed += 1;
            }
        }
        closed
    }

    /// Asks every connection to close (shutdown).
    pub fn kill_all(&self) {
        for c in self.clients.lock().values() {
            c.signal.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> Arc<ClientHandle> {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("an address");
        ClientRegistry::new(CancellationToken::new()).register(addr, addr)
    }

    #[test]
    fn names_are_boxed_only_while_one_is_set() {
        let h = handle();
        assert_eq!(h.names(), ClientNames::default());
        h.edit_names(|n| n.lib_name = Some(Bytes::from_static(b"redis-py")));
        h.edit_names(|n| n.name = Some(Bytes::from_static(b"agent-1")));
        let names = h.names();
        assert_eq!(names.name.as_deref(), Some(&b"agent-1"[..]));
        assert_eq!(names.lib_name.as_deref(), Some(&b"redis-py"[..]));
        assert_eq!(names.lib_ver, None);
        assert!(
            h.info_line().contains(" name=agent-1 "),
            "{}",
            h.info_line()
        );
        h.edit_names(|n| n.name = None);
        assert!(h.names.lock().is_some(), "the library name is still set");
        h.edit_names(|n| n.lib_name = None);
        assert!(h.names.lock().is_none(), "nothing set, nothing held");
    }

    #[test]
    fn a_client_handle_stays_small() {
        // Every connection holds one for as long as it is connected; what few
        // clients use belongs behind a box (as the names are).
        let size = std::mem::size_of::<ClientHandle>();
        assert!(size <= 296, "ClientHandle grew to {size} bytes");
    }
}
