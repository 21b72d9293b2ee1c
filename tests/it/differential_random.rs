//! Random differential test: seeded random scripts of commands, mostly streams and
//! consumer groups, valid and not, sent to `redis-server` 7.0.15 and to ringbus in
//! RESP2 and RESP3, through the same machinery as the hand-written scripts (see
//! `tests/differential/README.md`). The hand-written scripts check what someone
//! thought of; these find the argument combinations and orders of checks nobody did.
//!
//! Each seed makes one script. The seeds are fixed, so a CI run is repeatable; more
//! can be asked for, and a failing script written out to become a hand-written one:
//!
//! ```sh
//! RINGBUS_RANDOM_SEEDS=200 RINGBUS_RANDOM_DUMP=/tmp/scripts \
//!     cargo test --test it differential_random -- --nocapture
//! ```
//!
//! Replies that depend on time (idle and delivery times, a lifetime counting down)
//! are compared by shape only, and IDs are always explicit (`ms-seq` or `ms-*`),
//! never `*`. What else is left out, and why: `tests/differential/README.md`.

mod commands;
mod generator;

use crate::differential::{parse_script, run_script, Proto, Script, Servers};
use generator::Gen;

/// Seeds run by default: enough to cover every command form, quick enough for CI.
const DEFAULT_SEEDS: u64 = 40;

/// Commands per script.
const COMMANDS: usize = 250;

#[tokio::test]
async fn differential_random_against_redis() {
    let Some(servers) = Servers::start().await else {
        return;
    };
    let seeds: Vec<u64> = match std::env::var("RINGBUS_RANDOM_SEED") {
        Ok(seed) => vec![seed.parse().expect("RINGBUS_RANDOM_SEED is a whole number")],
        Err(_) => {
            let n = std::env::var("RINGBUS_RANDOM_SEEDS")
                .ok()
                .map(|n| n.parse().expect("RINGBUS_RANDOM_SEEDS is a whole number"))
                .unwrap_or(DEFAULT_SEEDS);
            (1..=n).collect()
        }
    };
    let dump = std::env::var_os("RINGBUS_RANDOM_DUMP").map(std::path::PathBuf::from);
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for &seed in &seeds {
        let text = Gen::new(seed).script(COMMANDS);
        let name = format!("random-{seed}.txt");
        let steps = parse_script(&text)
            .unwrap_or_else(|(line, e)| panic!("{name}:{line}: generated a bad line: {e}"));
        let script = Script { name, steps };
        let before = mismatches.len();
        for proto in [Proto::Resp2, Proto::Resp3] {
            compared += run_script(
                &script,
                proto,
                servers.redis.addr,
                servers.ringbus.local_addr(),
                &mut mismatches,
            )
            .await;
        }
        if let Some(dir) = &dump {
            if mismatches.len() > before {
                std::fs::create_dir_all(dir).expect("RINGBUS_RANDOM_DUMP directory");
                std::fs::write(dir.join(&script.name), &text).expect("writing the script");
            }
        }
    }
    println!(
        "differential_random: redis-server {} vs ringbus, {} seeds of {COMMANDS} commands, \
         {compared} replies compared, {} mismatches (reproduce one with RINGBUS_RANDOM_SEED=N)",
        servers.redis_version,
        seeds.len(),
        mismatches.len()
    );
    servers.fail_on(&mismatches);
}

#[test]
fn scripts_are_repeatable_and_parse() {
    let one = Gen::new(7).script(COMMANDS);
    assert_eq!(one, Gen::new(7).script(COMMANDS));
    assert_ne!(one, Gen::new(8).script(COMMANDS));
    let steps = parse_script(&one).expect("generated scripts parse");
    assert_eq!(steps.len(), COMMANDS);
}
