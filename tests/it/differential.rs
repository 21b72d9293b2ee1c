//! Differential tests: the command scripts in `tests/differential/*.txt` are sent to a
//! real `redis-server` (7.0.15) and to ringbus, in RESP2 and in RESP3, and the raw reply
//! bytes must be identical after a few explicit normalisations. The script format is
//! described in `tests/differential/README.md`.
//!
//! Without `redis-server` on PATH the test is skipped, unless `RINGBUS_REQUIRE_REDIS=1`.

mod redis;
mod resp;
mod run;
mod script;

use std::fmt::Write as _;
use std::time::Instant;

use crate::support::{start_with, test_config};

pub(crate) use redis::RedisServer;
use redis::{find_on_path, redis_version};
pub(crate) use run::run_script;
use script::{load_scripts, script_dir};
pub(crate) use script::{parse_script, Proto, Script};

/// The Redis version the scripts are written against.
const EXPECTED_REDIS_VERSION: &str = "7.0.15";

#[tokio::test]
async fn differential_against_redis() {
    let Some(servers) = Servers::start().await else {
        return;
    };
    let started = Instant::now();
    let scripts = load_scripts();
    assert!(
        !scripts.is_empty(),
        "no scripts in {}",
        script_dir().display()
    );
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for script in &scripts {
        for proto in [Proto::Resp2, Proto::Resp3] {
            compared += run_script(
                script,
                proto,
                servers.redis.addr,
                servers.ringbus.local_addr(),
                &mut mismatches,
            )
            .await;
        }
    }
    println!(
        "differential: redis-server {} vs ringbus, {} files, {compared} replies compared, \
         {} mismatches, {:.1?}",
        servers.redis_version,
        scripts.len(),
        mismatches.len(),
        started.elapsed()
    );
    servers.fail_on(&mismatches);
}

/// A `redis-server` and a ringbus to send the same commands to.
pub(crate) struct Servers {
    pub(crate) redis: RedisServer,
    pub(crate) ringbus: ringbus::server::RunningServer,
    /// What the real server says its version is.
    pub(crate) redis_version: String,
}

impl Servers {
    /// Starts both servers, or returns `None` (after saying so) when `redis-server` is
    /// not on PATH and `RINGBUS_REQUIRE_REDIS=1` does not require it.
    pub(crate) async fn start() -> Option<Servers> {
        let Some(bin) = find_on_path("redis-server") else {
            if std::env::var("RINGBUS_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!(
                    "differential: redis-server not found on PATH, and RINGBUS_REQUIRE_REDIS=1 \
                     requires it (install redis-server 7.0.15)"
                );
            }
            println!(
                "differential: redis-server not found, skipped (set RINGBUS_REQUIRE_REDIS=1 to require it)"
            );
            return None;
        };
        let redis = RedisServer::start(&bin).await;
        let mut config = test_config();
        // Keys `<session>:ring3` are rings of 3 entries: scripts append to them with
        // `MAXLEN 3`, so Redis trims exactly what the ring overwrites.
        config.tracks.push(ringbus::config::TrackSpec {
            name: "ring3".into(),
            capacity: 3,
            max_age: None,
        });
        let ringbus = start_with(config).await;
        let redis_version = redis_version(redis.addr).await;
        Some(Servers {
            redis,
            ringbus,
            redis_version,
        })
    }

    /// Panics with every mismatch, if there are any.
    pub(crate) fn fail_on(&self, mismatches: &[String]) {
        if mismatches.is_empty() {
            return;
        }
        let mut report = format!(
            "differential: {} mismatches between redis-server {} and ringbus:\n\n",
            mismatches.len(),
            self.redis_version
        );
        if self.redis_version != EXPECTED_REDIS_VERSION {
            let _ = writeln!(
                report,
                "(note: the scripts are written for redis-server {EXPECTED_REDIS_VERSION})\n"
            );
        }
        for m in mismatches {
            let _ = writeln!(report, "{m}");
        }
        panic!("{report}");
    }
}
