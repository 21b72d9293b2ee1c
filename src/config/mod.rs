//! Configuration: the embedded defaults, the config file, `RINGBUS_*` environment
//! variables and command-line flags, and the run-time `CONFIG GET` / `CONFIG SET` view.
//!
//! Precedence when loading: flag > environment > config file > default.
//!
//! Every setting is one parameter with one set of rules, whatever its source. The
//! names used by `CONFIG GET/SET` and by the config file are:
//!
//! | parameter | flag / env | `CONFIG SET` |
//! |---|---|---|
//! | `port` | `--port` / `RINGBUS_PORT` | immutable |
//! | `bind` | `--bind` / `RINGBUS_BIND` | immutable |
//! | `metrics-addr` | `--metrics-addr` / `RINGBUS_METRICS_ADDR` | immutable |
//! | `tracks` (file: also `track`, repeatable) | `--track` / `RINGBUS_TRACK` | mutable |
//! | `default-capacity` | `--default-capacity` / `RINGBUS_DEFAULT_CAPACITY` | mutable |
//! | `session-idle-timeout` | `--session-idle-timeout` / `RINGBUS_SESSION_IDLE_TIMEOUT` | mutable |
//! | `requirepass` | `--requirepass` / `RINGBUS_REQUIREPASS` | mutable |
//! | `protected-mode` | `--protected-mode` / `RINGBUS_PROTECTED_MODE` | mutable |
//! | `maxclients` | `--maxclients` / `RINGBUS_MAXCLIENTS` | mutable |
//! | `maxmemory` | `--maxmemory` / `RINGBUS_MAXMEMORY` | mutable |
//! | `timeout` | `--timeout` / `RINGBUS_TIMEOUT` | mutable |
//! | `proto-max-bulk-len` | `--proto-max-bulk-len` / `RINGBUS_PROTO_MAX_BULK_LEN` | mutable |
//! | `client-query-buffer-limit` | `--client-query-buffer-limit` / `RINGBUS_CLIENT_QUERY_BUFFER_LIMIT` | mutable |
//! | `client-output-buffer-limit` | `--client-output-buffer-limit` / `RINGBUS_CLIENT_OUTPUT_BUFFER_LIMIT` | mutable (classes not named keep their limits) |
//! | `stream-node-max-entries` | `--stream-node-max-entries` / `RINGBUS_STREAM_NODE_MAX_ENTRIES` | mutable |
//! | `stream-node-max-bytes` | `--stream-node-max-bytes` / `RINGBUS_STREAM_NODE_MAX_BYTES` | mutable |
//! | `databases` | `--databases` / `RINGBUS_DATABASES` | immutable |
//! | `worker-threads` | `--worker-threads` / `RINGBUS_WORKER_THREADS` | immutable |
//! | `log-format` | `--log-format` / `RINGBUS_LOG_FORMAT` | immutable |
//! | `loglevel` (file: also `log-level`) | `--log-level` / `RINGBUS_LOG_LEVEL` | mutable |
//! | `save` | (compatibility; only `""`) | mutable, `""` only |
//! | `appendonly` | (compatibility; only `no`) | mutable, `no` only |
//!
//! The config file path comes from `--config` / `RINGBUS_CONFIG`.

mod cli;
mod file;
mod output_limits;
mod parse;
mod values;

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use cli::command;
pub use output_limits::{OutputLimit, OutputLimits};
use values::{ParamInfo, Problem, PARAMS};

/// One configured track: a named class of streams (`<session>:<name>`) with its own
/// capacity and optional maximum entry age.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackSpec {
    /// The key suffix after the last `:`; non-empty, without `:`, `=`, `,` or whitespace.
    pub name: String,
    /// The number of entries a stream of this track keeps (at least 1).
    pub capacity: usize,
    /// Entries older than this are dropped; `None` keeps them until overwritten.
    pub max_age: Option<Duration>,
}

impl fmt::Display for TrackSpec {
    /// `name=capacity[,max-age=<n>s]`, the syntax that [`TrackSpec::from_str`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.capacity)?;
        if let Some(age) = self.max_age {
            write!(f, ",max-age={}", parse::render_duration(age))?;
        }
        Ok(())
    }
}

impl FromStr for TrackSpec {
    type Err = ConfigError;

    /// Parses `NAME=CAPACITY[,max-age=DURATION]`, as `--track` does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackSpec::parse_spec(s).map_err(|detail| ConfigError::Invalid {
            setting: "--track".to_string(),
            value: s.to_string(),
            detail,
        })
    }
}

/// The log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The whole server configuration. Plain data: [`Config::default`] is the embedded
/// default that `ringbus` serves with no flags, no environment and no config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Addresses to listen on (default `127.0.0.1`).
    pub bind: Vec<IpAddr>,
    /// The Redis port (default 6379; 0 picks a free port).
    pub port: u16,
    /// Where Prometheus scrapes `GET /metrics` (default `127.0.0.1:9379`); `None` = off.
    pub metrics_addr: Option<SocketAddr>,
    /// The configured tracks, names unique (default `conversation=1000`, `insights=1000`).
    pub tracks: Vec<TrackSpec>,
    /// The capacity of a stream whose key names no track (default 1000).
    pub default_capacity: usize,
    /// A session with no append for this long is ended (default 24h); `None` disables.
    pub session_idle_timeout: Option<Duration>,
    /// The password clients must `AUTH` with; `None` accepts loopback clients only.
    pub requirepass: Option<String>,
    /// With no `requirepass`, refuse clients that are not on loopback (Redis's
    /// protected mode).
    pub protected_mode: bool,
    /// The most clients connected at once (default 10000).
    pub maxclients: usize,
    /// A memory limit in bytes; 0 = no limit (the default).
    pub maxmemory: u64,
    /// Idle clients are closed after this long; `None` (the default, `0`) never closes them.
    pub timeout: Option<Duration>,
    /// The largest bulk string a request may carry, in bytes (default 512mb).
    pub proto_max_bulk_len: u64,
    /// The largest unparsed request buffer per client, in bytes (default 1gb).
    pub client_query_buffer_limit: u64,
    /// How much unsent output each class of client may pile up before it is
    /// disconnected (default `normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60`).
    pub client_output_buffer_limit: OutputLimits,
    /// Entries per internal stream node (default 100; 0 = no limit), as Redis.
    pub stream_node_max_entries: usize,
    /// Bytes per internal stream node (default 4096; 0 = no limit), as Redis.
    pub stream_node_max_bytes: u64,
    /// The number of databases, `SELECT 0..databases-1` (default 16).
    pub databases: usize,
    /// Threads that serve clients; 0 (the default) = one per CPU core the process may
    /// use. Read by the `ringbus` binary when it builds its runtime: an application
    /// that embeds the server runs it on a runtime of its own making.
    pub worker_threads: usize,
    /// The config file that was loaded, if any.
    pub config_file: Option<PathBuf>,
    /// The log output format (default text).
    pub log_format: LogFormat,
    /// A tracing `EnvFilter` string. `None` when not configured: the binary then uses
    /// `RUST_LOG`, or `info`. `CONFIG GET loglevel` shows `info` for `None`.
    pub log_level: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            port: 6379,
            metrics_addr: Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9379)),
            tracks: vec![
                TrackSpec {
                    name: "conversation".to_string(),
                    capacity: 1000,
                    max_age: None,
                },
                TrackSpec {
                    name: "insights".to_string(),
                    capacity: 1000,
                    max_age: None,
                },
            ],
            default_capacity: 1000,
            session_idle_timeout: Some(Duration::from_secs(24 * 60 * 60)),
            requirepass: None,
            protected_mode: true,
            maxclients: 10000,
            maxmemory: 0,
            timeout: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: OutputLimits::default(),
            stream_node_max_entries: 100,
            stream_node_max_bytes: 4096,
            databases: 16,
            worker_threads: 0,
            config_file: None,
            log_format: LogFormat::Text,
            log_level: None,
        }
    }
}

/// Why configuration failed: at load time (one line naming the setting and what is
/// accepted), or a `CONFIG SET` refusal (Redis 7.0's exact text, `ERR ...`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// clap's own outcome: `--help`, `--version`, an unknown flag, a missing value.
    /// The binary should call `err.exit()` on it.
    #[error(transparent)]
    Cli(#[from] clap::Error),
    /// A value that a setting does not accept. `setting` is the flag (`--port`), the
    /// environment variable (`RINGBUS_PORT`) or the config file name (`port`).
    #[error("invalid value '{value}' for {setting}: {detail}")]
    Invalid {
        /// Where the value came from, as the user wrote it.
        setting: String,
        /// The refused value.
        value: String,
        /// What is accepted.
        detail: String,
    },
    /// A config file line that could not be used.
    #[error("{}:{line}: {message}", path.display())]
    File {
        /// The config file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong, naming the setting.
        message: String,
    },
    /// The config file could not be read.
    #[error("cannot read config file '{}': {source}", path.display())]
    ReadFile {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `CONFIG SET` with a parameter that does not exist.
    #[error(
        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
        String::from_utf8_lossy(.name)
    )]
    UnknownOption {
        /// The parameter name as the client sent it, up to a NUL (Redis's `%s`).
        name: Vec<u8>,
    },
    /// `CONFIG SET` refused: immutable, duplicate or a bad value.
    #[error("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")]
    SetFailed {
        /// The parameter: as sent for immutable/duplicate, canonical for a bad value.
        name: String,
        /// Redis's reason, e.g. `can't set immutable config`.
        reason: String,
    },
}

impl ConfigError {
    /// The error reply's text as the client receives it: the `Display` text, but
    /// with an unknown parameter's name quoted as sent, UTF-8 or not, as Redis does.
    pub fn reply_text(&self) -> Vec<u8> {
        match self {
            ConfigError::UnknownOption { name } => [
                &b"ERR Unknown option or number of arguments for CONFIG SET - '"[..],
                name,
                b"'",
            ]
            .concat(),
            other => other.to_string().into_bytes(),
        }
    }
}

/// A value from one layer of loading, with the name to blame if it is refused.
pub(crate) fn invalid(setting: &str, value: &str, info: &ParamInfo, p: &Problem) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        value: p.value().unwrap_or(value).to_string(),
        detail: p.detail(info),
    }
}

impl Config {
    /// Loads the configuration from `args` (argv, including argv\[0\]), the process
    /// environment and the config file they name.
    pub fn from_args<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Config::from_args_and_env(args, &|name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// [`Config::from_args`] with the environment read through `env` (for tests and
    /// embedding). An empty variable counts as unset.
    pub fn from_args_and_env<I, T>(
        args: I,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = command().try_get_matches_from(args)?;
        // clap also reads the process environment (so that --help can show it), but
        // only what was typed on the command line is taken from it here.
        let typed = cli::typed(&matches)?;
        let env = |name: &str| env(name).filter(|v| !v.is_empty());

        let mut cfg = Config::default();
        if let Some(path) = typed.config.or_else(|| env(cli::CONFIG_ENV)) {
            let path = PathBuf::from(path);
            file::load(&mut cfg, &path)?;
            cfg.config_file = Some(path);
        }
        for info in PARAMS {
            if let Some(name) = info.env {
                if let Some(value) = env(name) {
                    values::apply(&mut cfg, info.param, &value)
                        .map_err(|p| invalid(name, &value, info, &p))?;
                }
            }
        }
        for (param, given) in typed.given {
            let info = values::info(param);
            let value = given.join(" ");
            values::apply(&mut cfg, param, &value)
                .map_err(|p| invalid(info.flag.unwrap_or(info.name), &value, info, &p))?;
        }
        Ok(cfg)
    }

    /// Checks every invariant that loading enforces, for a `Config` built by hand
    /// (e.g. by an embedding program). The error names the `CONFIG` parameter.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for info in PARAMS {
            let value = values::render(self, info.param);
            let mut scratch = self.clone();
            values::apply(&mut scratch, info.param, &value)
                .map_err(|p| invalid(info.name, &value, info, &p))?;
        }
        Ok(())
    }

    /// `CONFIG GET pattern`: every parameter whose name matches the Redis glob
    /// `pattern` (case-insensitive), with its value rendered as Redis renders it:
    /// numbers and byte sizes in plain decimal, `bind` space-separated, timeouts in
    /// seconds (`0` = disabled), `tracks` as space-separated `name=cap[,max-age=Ns]`,
    /// `requirepass` as the password or empty, `metrics-addr` as `off` when disabled.
    pub fn get(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        self.get_many(&[pattern])
    }

    /// `CONFIG GET pattern [pattern ...]`: like [`Config::get`], each parameter once.
    pub fn get_many(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        PARAMS
            .iter()
            .filter(|info| {
                patterns
                    .iter()
                    .any(|p| crate::glob::matches(p, info.name.as_bytes(), true))
            })
            .map(|info| (info.name, values::render(self, info.param)))
            .collect()
    }

    /// `CONFIG SET name value [name value ...]` with Redis 7.0 semantics: names are
    /// case-insensitive; the first unknown, immutable or repeated name fails the whole
    /// command; then values are applied in order to a copy, and the first bad value
    /// fails the whole command, leaving `self` unchanged. The caller checks the
    /// argument count (an odd count is `ERR syntax error` in Redis) and applies the
    /// changes to the running server afterwards.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), ConfigError> {
        let mut chosen: Vec<(&'static ParamInfo, &[u8])> = Vec::with_capacity(pairs.len());
        for &(name, value) in pairs {
            let shown = || String::from_utf8_lossy(name).into_owned();
            let Some(info) = values::lookup(name) else {
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                return Err(ConfigError::UnknownOption {
                    name: name[..end].to_vec(),
                });
            };
            let refuse = |reason: &str| ConfigError::SetFailed {
                name: shown(),
                reason: reason.to_string(),
            };
            if !info.mutable {
                return Err(refuse("can't set immutable config"));
            }
            if chosen.iter().any(|(c, _)| c.param == info.param) {
                return Err(refuse("duplicate parameter"));
            }
            chosen.push((info, value));
        }
        let mut next = self.clone();
        for (info, value) in chosen {
            values::apply_bytes(&mut next, info.param, value).map_err(|p| {
                ConfigError::SetFailed {
                    name: info.name.to_string(),
                    reason: p.redis_reason(info),
                }
            })?;
        }
        *self = next;
        Ok(())
    }

    /// The names of every `CONFIG` parameter, in `CONFIG GET *` order.
    pub fn parameter_names() -> impl Iterator<Item = &'static str> {
        PARAMS.iter().map(|info| info.name)
    }

    /// Whether `CONFIG SET` may change the parameter `name` (case-insensitive);
    /// `None` when there is no such parameter.
    pub fn is_mutable(name: &str) -> Option<bool> {
        values::lookup(name.as_bytes()).map(|info| info.mutable)
    }
}

#[cfg(test)]
mod tests;
