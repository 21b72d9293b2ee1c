//! Random differential test: seeded random scripts of stream and consumer-group
//! commands, valid and not, sent to `redis-server` 7.0.15 and to ringbus in RESP2 and
//! RESP3, through the same machinery as the hand-written scripts (see
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
//! Replies that depend on time (idle times, delivery times) are compared by shape only,
//! and IDs are always explicit (`ms-seq` or `ms-*`), never `*`.

use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};

use crate::differential::{parse_script, run_script, Proto, Script, Servers};

/// Seeds run by default: enough to cover every command form, quick enough for CI.
const DEFAULT_SEEDS: u64 = 40;

/// Commands per script.
const COMMANDS: usize = 250;

/// The keys scripts use: streams of two sessions' default tracks, whose ring capacity
/// (1000) a script never reaches, and a ring of 3 (`ring3`, see `Servers::start`).
const KEYS: [&str; 4] = ["s1:conversation", "s2:conversation", "s1:insights", RING3];

/// A ring of 3 entries: every append to it says `MAXLEN 3`, so Redis trims exactly
/// the entries the ring overwrites, and what groups and readers see of entries that
/// are gone is compared too. Its groups read with NOACK and XCLAIM never FORCEs, so
/// their pending lists stay empty: ringbus bounds a pending list by the ring's
/// capacity, which Redis does not (README, "Consumer groups on a ring").
const RING3: &str = "s3:ring3";

const GROUPS: [&str; 2] = ["g1", "g2"];
const CONSUMERS: [&str; 3] = ["alice", "bob", "carol"];

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

/// A script generator. Stream IDs follow a clock that moves forward as entries are
/// added, so most appends succeed and most ranges and reads find entries, with a
/// share of IDs that are too small, malformed or out of range.
struct Gen {
    rng: TestRng,
    /// The highest millisecond part an append has used so far.
    clock: u64,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Gen {
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
            clock: 1,
        }
    }

    /// A whole script of `n` commands, one per line.
    fn script(&mut self, n: usize) -> String {
        let mut text = String::new();
        // Commands left in the open transaction, if one is open.
        let mut in_multi: Option<u32> = None;
        // Whether a command queued in it is compared by shape: then so is EXEC's reply.
        let mut multi_shape = false;
        for _ in 0..n {
            match in_multi {
                Some(0) => {
                    text.push_str(self.pick(&["EXEC", "EXEC", "EXEC", "DISCARD"]));
                    if multi_shape {
                        text.push_str(" #! shape");
                    }
                    text.push('\n');
                    in_multi = None;
                    multi_shape = false;
                    continue;
                }
                Some(left) => in_multi = Some(left - 1),
                None if self.chance(0.03) => {
                    text.push_str("MULTI\n");
                    in_multi = Some(self.rng.random_range(1..=4));
                    continue;
                }
                None => {}
            }
            let (mut args, mut directive) = self.command();
            if directive == Some("sorted") && in_multi.is_some() {
                // EXEC's reply would hold it unsorted.
                args = vec!["DBSIZE".into()];
                directive = None;
            }
            // Now and then a command loses its tail: arity and syntax errors, and
            // which of two problems is reported first.
            if args.len() > 1 && self.chance(0.06) {
                let keep = self.rng.random_range(1..args.len());
                args.truncate(keep);
            }
            text.push_str(&args.join(" "));
            if let Some(directive) = directive {
                text.push_str(" #! ");
                text.push_str(directive);
                multi_shape |= directive == "shape" && in_multi.is_some();
            }
            text.push('\n');
        }
        text
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.random_range(0..from.len())]
    }

    fn key(&mut self) -> String {
        self.pick(&KEYS).to_string()
    }

    fn group(&mut self) -> String {
        if self.chance(0.05) {
            "nogroup".into()
        } else {
            self.pick(&GROUPS).to_string()
        }
    }

    fn consumer(&mut self) -> String {
        self.pick(&CONSUMERS).to_string()
    }

    /// An ID near the entries that exist: `ms-seq`, sometimes just `ms`.
    fn near_id(&mut self) -> String {
        let ms = self.rng.random_range(0..=self.clock + 1);
        if self.chance(0.2) {
            ms.to_string()
        } else {
            format!("{ms}-{}", self.rng.random_range(0..3u64))
        }
    }

    /// An ID for an argument that takes one: mostly near the entries, sometimes one
    /// of the forms that must be refused or that sit at the limits.
    fn id(&mut self) -> String {
        if self.chance(0.1) {
            self.pick(&[
                "0",
                "0-0",
                "0-1",
                "abc",
                "1-x",
                "-1",
                "1--1",
                "1-",
                "-",
                "+",
                "$",
                ">",
                "*",
                "18446744073709551615-18446744073709551615",
                "18446744073709551615",
                "18446744073709551616",
                "1-18446744073709551616",
                "3.5",
            ])
            .to_string()
        } else {
            self.near_id()
        }
    }

    /// A range bound: `-`, `+`, an ID, or an exclusive `(` ID.
    fn bound(&mut self, low: bool) -> String {
        let r: f64 = self.rng.random();
        if r < 0.25 {
            if low { "-" } else { "+" }.into()
        } else if r < 0.4 {
            format!("({}", self.near_id())
        } else if r < 0.45 {
            if low { "+" } else { "-" }.into()
        } else {
            self.id()
        }
    }

    /// A count or length argument, now and then one that is refused.
    fn count(&mut self) -> String {
        if self.chance(0.1) {
            self.pick(&["-1", "abc", "0", "9223372036854775808", "1.5", "\"\""])
                .to_string()
        } else {
            self.rng.random_range(0..8u32).to_string()
        }
    }

    /// The ID of a new entry: usually past the clock, sometimes `ms-*`, sometimes one
    /// that is too small or malformed.
    fn new_id(&mut self) -> String {
        let r: f64 = self.rng.random();
        if r < 0.6 {
            self.clock += self.rng.random_range(0..3u64);
            format!("{}-{}", self.clock, self.rng.random_range(0..3u64))
        } else if r < 0.85 {
            self.clock += self.rng.random_range(0..2u64);
            format!("{}-*", self.clock)
        } else {
            // `*` takes the time for its ID, which differs between the servers.
            match self.id() {
                id if id == "*" => "0-*".into(),
                id => id,
            }
        }
    }

    fn fields(&mut self, args: &mut Vec<String>) {
        let pairs = self.rng.random_range(1..=3);
        for i in 0..pairs {
            args.push(self.pick(&["role", "data", "f", "role"]).to_string());
            if i + 1 < pairs || !self.chance(0.05) {
                args.push(
                    self.pick(&["user", "assistant", "v", "\"\"", "42"])
                        .to_string(),
                );
            }
        }
    }

    /// Sometimes `BLOCK ms` for XREAD and XREADGROUP: short enough that a read with
    /// nothing to return times out (a null reply either way) well inside the
    /// differential's reply timeout, or refused. Never `BLOCK 0`, which would wait
    /// for good.
    fn block(&mut self, args: &mut Vec<String>) {
        if self.chance(0.2) {
            args.push("BLOCK".into());
            args.push(self.pick(&["1", "1", "10", "-1", "x", "1.5"]).into());
        }
    }

    /// `MAXLEN|MINID [=|~] threshold [LIMIT n]`, for XADD and XTRIM.
    fn trim(&mut self, args: &mut Vec<String>) {
        let minid = self.chance(0.4);
        args.push(if minid { "MINID" } else { "MAXLEN" }.into());
        let approx = self.chance(0.3);
        let r: f64 = self.rng.random();
        if r < 0.3 {
            args.push(if approx { "~" } else { "=" }.into());
        } else if approx {
            args.push("~".into());
        }
        args.push(if minid { self.id() } else { self.count() });
        if self.chance(0.15) {
            args.push("LIMIT".into());
            args.push(self.count());
        }
    }

    /// `NX|XX|GT|LT` now and then, for the EXPIRE family.
    fn expire_condition(&mut self, args: &mut Vec<String>) {
        if self.chance(0.3) {
            args.push(self.pick(&["NX", "XX", "GT", "LT", "nx", "BAD"]).into());
            if self.chance(0.15) {
                args.push(self.pick(&["XX", "GT", "NX"]).into());
            }
        }
    }

    /// One command and how its reply is compared: a directive (`shape`, `sorted`)
    /// or `None` for byte for byte.
    fn command(&mut self) -> (Vec<String>, Option<&'static str>) {
        let mut a: Vec<String> = Vec::new();
        let mut shape = false;
        let mut sorted = false;
        let key = self.key();
        let ring = key == RING3;
        let r = self.rng.random_range(0..114u32);
        match r {
            0..=27 => {
                a.extend(["XADD".into(), key]);
                if self.chance(0.1) {
                    a.push("NOMKSTREAM".into());
                }
                if ring {
                    a.extend(["MAXLEN".into(), "3".into()]);
                } else if self.chance(0.15) {
                    self.trim(&mut a);
                }
                a.push(self.new_id());
                self.fields(&mut a);
            }
            28..=35 => {
                let rev = self.chance(0.4);
                a.push(if rev { "XREVRANGE" } else { "XRANGE" }.into());
                a.push(key);
                let (lo, hi) = (self.bound(true), self.bound(false));
                if rev {
                    a.extend([hi, lo]);
                } else {
                    a.extend([lo, hi]);
                }
                if self.chance(0.5) {
                    a.push("COUNT".into());
                    a.push(self.count());
                }
            }
            36..=38 => a.extend(["XLEN".into(), key]),
            39..=42 => {
                a.extend(["XDEL".into(), key]);
                for _ in 0..self.rng.random_range(1..=3) {
                    a.push(self.id());
                }
            }
            43..=45 => {
                a.extend(["XTRIM".into(), key]);
                self.trim(&mut a);
            }
            46..=51 => {
                a.push("XREAD".into());
                if self.chance(0.4) {
                    a.push("COUNT".into());
                    a.push(self.count());
                }
                self.block(&mut a);
                a.push("STREAMS".into());
                let n = self.rng.random_range(1..=2);
                let mut keys = vec![key];
                if n == 2 {
                    keys.push(self.key());
                }
                // `+` is Redis 7.4's "the last entry", which ringbus accepts and
                // 7.0.15 refuses (README); the other forms are 7.0's.
                let mut ids: Vec<String> = (0..n)
                    .map(|_| match self.id() {
                        id if id == "+" => "$".into(),
                        id => id,
                    })
                    .collect();
                if self.chance(0.05) {
                    ids.pop();
                }
                a.extend(keys);
                a.extend(ids);
            }
            52..=57 => {
                let create = r <= 55;
                let sub = if create { "CREATE" } else { "SETID" };
                a.extend(["XGROUP".into(), sub.into(), key, self.group()]);
                a.push(if self.chance(0.3) {
                    "$".into()
                } else {
                    self.id()
                });
                if create && self.chance(0.4) {
                    a.push("MKSTREAM".into());
                }
                if self.chance(0.2) {
                    a.push("ENTRIESREAD".into());
                    a.push(self.count());
                }
            }
            58 => a.extend(["XGROUP".into(), "DESTROY".into(), key, self.group()]),
            59..=60 => {
                let sub = self.pick(&["CREATECONSUMER", "DELCONSUMER"]);
                a.extend([
                    "XGROUP".into(),
                    sub.into(),
                    key,
                    self.group(),
                    self.consumer(),
                ]);
            }
            61..=70 => {
                a.extend([
                    "XREADGROUP".into(),
                    "GROUP".into(),
                    self.group(),
                    self.consumer(),
                ]);
                if self.chance(0.4) {
                    a.push("COUNT".into());
                    a.push(self.count());
                }
                if self.chance(0.15) || ring {
                    a.push("NOACK".into());
                }
                self.block(&mut a);
                a.push("STREAMS".into());
                a.push(key);
                a.push(if self.chance(0.6) {
                    ">".into()
                } else {
                    self.id()
                });
            }
            71..=75 => {
                a.extend(["XACK".into(), key, self.group()]);
                for _ in 0..self.rng.random_range(1..=3) {
                    a.push(self.id());
                }
            }
            76..=79 => {
                a.extend(["XPENDING".into(), key, self.group()]);
                if self.chance(0.5) {
                    // The extended form reports idle times.
                    shape = true;
                    if self.chance(0.2) {
                        a.push("IDLE".into());
                        a.push(self.pick(&["0", "100000", "-5", "x"]).into());
                    }
                    a.push(self.bound(true));
                    a.push(self.bound(false));
                    a.push(self.count());
                    if self.chance(0.3) {
                        a.push(self.consumer());
                    }
                }
            }
            80..=84 => {
                a.extend([
                    "XCLAIM".into(),
                    key,
                    self.group(),
                    self.consumer(),
                    self.pick(&["0", "0", "100000", "-1", "x"]).into(),
                ]);
                for _ in 0..self.rng.random_range(1..=2) {
                    a.push(self.id());
                }
                if self.chance(0.3) {
                    a.push("JUSTID".into());
                }
                if self.chance(0.15) && !ring {
                    a.push("FORCE".into());
                }
                if self.chance(0.1) {
                    a.push("RETRYCOUNT".into());
                    a.push(self.count());
                }
            }
            85..=88 => {
                a.extend([
                    "XAUTOCLAIM".into(),
                    key,
                    self.group(),
                    self.consumer(),
                    self.pick(&["0", "0", "100000", "-1"]).into(),
                    self.bound(true),
                ]);
                if self.chance(0.4) {
                    a.push("COUNT".into());
                    a.push(self.count());
                }
                if self.chance(0.3) {
                    a.push("JUSTID".into());
                }
            }
            89..=90 => {
                // Reports the radix tree's internals and times; the shape still
                // shows the fields and the entries' layout.
                shape = true;
                a.extend(["XINFO".into(), "STREAM".into(), key]);
                if self.chance(0.3) {
                    a.push("FULL".into());
                }
            }
            91..=92 => a.extend(["XINFO".into(), "GROUPS".into(), key]),
            93 => {
                shape = true;
                a.extend(["XINFO".into(), "CONSUMERS".into(), key, self.group()]);
            }
            94..=95 => {
                a.extend(["XSETID".into(), key, self.id()]);
                if self.chance(0.3) {
                    a.push("ENTRIESADDED".into());
                    a.push(self.count());
                }
                if self.chance(0.2) {
                    a.push("MAXDELETEDID".into());
                    a.push(self.id());
                }
            }
            96..=97 => {
                a.push(self.pick(&["DEL", "UNLINK", "EXISTS"]).into());
                a.push(key);
                if self.chance(0.4) {
                    a.push(self.key());
                }
            }
            98 => a.extend(["TYPE".into(), key]),
            // Keys' lifetimes: only ones far off (or already past, which deletes),
            // so nothing expires while a script runs.
            99..=100 => {
                let ms = self.chance(0.3);
                a.push(if ms { "PEXPIRE" } else { "EXPIRE" }.into());
                a.push(key);
                let n = self.pick(&["100000", "5000000", "0", "-1", "x", "1.5"]);
                a.push(if ms && n.len() > 2 {
                    format!("{n}000")
                } else {
                    n.into()
                });
                self.expire_condition(&mut a);
            }
            101 => {
                let ms = self.chance(0.3);
                a.push(if ms { "PEXPIREAT" } else { "EXPIREAT" }.into());
                a.push(key);
                let at = self.pick(&["4102444800", "4102444801", "1", "0", "-5"]);
                a.push(if ms { format!("{at}000") } else { at.into() });
                self.expire_condition(&mut a);
            }
            102..=103 => {
                // Relative lifetimes count down between the two servers' replies.
                shape = true;
                a.push(
                    self.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"])
                        .into(),
                );
                a.push(key);
            }
            104 => a.extend(["PERSIST".into(), key]),
            105..=106 => {
                // Not to or from the ring of 3: renamed, a stream takes the
                // capacity of its new track in ringbus and keeps every entry in
                // Redis.
                if !ring {
                    let to = match self.key() {
                        k if k == RING3 => "s2:insights".to_string(),
                        k => k,
                    };
                    a.push(self.pick(&["RENAME", "RENAMENX"]).into());
                    a.extend([key, to]);
                } else {
                    a.extend(["EXISTS".into(), key]);
                }
            }
            107 => {
                a.extend(["KEYS".into(), "*".into()]);
                sorted = true;
            }
            108 => a.push("DBSIZE".into()),
            109..=110 => {
                // Then a transaction of this connection's own: a key it changed
                // after WATCH aborts it.
                if self.chance(0.7) {
                    a.extend(["WATCH".into(), key]);
                } else {
                    a.push("UNWATCH".into());
                }
            }
            111 => a.extend(["PUBLISH".into(), key, "hello".into()]),
            _ => a.extend(["XLEN".into(), key]),
        }
        let directive = match (shape, sorted) {
            (true, _) => Some("shape"),
            (_, true) => Some("sorted"),
            _ => None,
        };
        (a, directive)
    }
}

#[test]
fn scripts_are_repeatable_and_parse() {
    let one = Gen::new(7).script(COMMANDS);
    assert_eq!(one, Gen::new(7).script(COMMANDS));
    assert_ne!(one, Gen::new(8).script(COMMANDS));
    let steps = parse_script(&one).expect("generated scripts parse");
    assert_eq!(steps.len(), COMMANDS);
}
