//! The script generator: seeded, so a seed always makes the same script.

use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// The keys scripts use: streams of two sessions' default tracks, whose ring capacity
/// (1000) a script never reaches, and a ring of 3 (`ring3`, see `Servers::start`).
const KEYS: [&str; 4] = ["s1:conversation", "s2:conversation", "s1:insights", RING3];

/// A ring of 3 entries: every append to it says `MAXLEN 3`, so Redis trims exactly
/// the entries the ring overwrites, and what groups and readers see of entries that
/// are gone is compared too. Its groups read with NOACK and XCLAIM never FORCEs, so
/// their pending lists stay empty: ringbus bounds a pending list by the ring's
/// capacity, which Redis does not (README, "Consumer groups on a ring").
pub(super) const RING3: &str = "s3:ring3";

const GROUPS: [&str; 2] = ["g1", "g2"];
const CONSUMERS: [&str; 3] = ["alice", "bob", "carol"];

/// A script generator. Stream IDs follow a clock that moves forward as entries are
/// added, so most appends succeed and most ranges and reads find entries, with a
/// share of IDs that are too small, malformed or out of range.
pub(super) struct Gen {
    pub(super) rng: TestRng,
    /// The highest millisecond part an append has used so far.
    clock: u64,
}

impl Gen {
    pub(super) fn new(seed: u64) -> Gen {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Gen {
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
            clock: 1,
        }
    }

    /// A whole script of `n` commands, one per line.
    pub(super) fn script(&mut self, n: usize) -> String {
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
            // Now and then a second client runs the command: between the first's
            // WATCH and EXEC, or while its transaction queues, or reading as
            // another consumer.
            let other = self.chance(0.12);
            if other {
                text.push_str("@b ");
            }
            text.push_str(&args.join(" "));
            if let Some(directive) = directive {
                text.push_str(" #! ");
                text.push_str(directive);
                multi_shape |= directive == "shape" && in_multi.is_some() && !other;
            }
            text.push('\n');
        }
        text
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    pub(super) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.random_range(0..from.len())]
    }

    pub(super) fn key(&mut self) -> String {
        self.pick(&KEYS).to_string()
    }

    pub(super) fn group(&mut self) -> String {
        if self.chance(0.05) {
            "nogroup".into()
        } else {
            self.pick(&GROUPS).to_string()
        }
    }

    pub(super) fn consumer(&mut self) -> String {
        self.pick(&CONSUMERS).to_string()
    }

    /// An ID near the entries that exist: `ms-seq`, sometimes just `ms`.
    pub(super) fn near_id(&mut self) -> String {
        let ms = self.rng.random_range(0..=self.clock + 1);
        if self.chance(0.2) {
            ms.to_string()
        } else {
            format!("{ms}-{}", self.rng.random_range(0..3u64))
        }
    }

    /// An ID for an argument that takes one: mostly near the entries, sometimes one
    /// of the forms that must be refused or that sit at the limits.
    pub(super) fn id(&mut self) -> String {
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
    pub(super) fn bound(&mut self, low: bool) -> String {
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
    pub(super) fn count(&mut self) -> String {
        if self.chance(0.1) {
            self.pick(&["-1", "abc", "0", "9223372036854775808", "1.5", "\"\""])
                .to_string()
        } else {
            self.rng.random_range(0..8u32).to_string()
        }
    }

    /// The ID of a new entry: usually past the clock, sometimes `ms-*`, sometimes one
    /// that is too small or malformed.
    pub(super) fn new_id(&mut self) -> String {
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

    pub(super) fn fields(&mut self, args: &mut Vec<String>) {
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
    pub(super) fn block(&mut self, args: &mut Vec<String>) {
        if self.chance(0.2) {
            args.push("BLOCK".into());
            args.push(self.pick(&["1", "1", "10", "-1", "x", "1.5"]).into());
        }
    }

    /// `MAXLEN|MINID [=|~] threshold [LIMIT n]`, for XADD and XTRIM.
    pub(super) fn trim(&mut self, args: &mut Vec<String>) {
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
    pub(super) fn expire_condition(&mut self, args: &mut Vec<String>) {
        if self.chance(0.3) {
            args.push(self.pick(&["NX", "XX", "GT", "LT", "nx", "BAD"]).into());
            if self.chance(0.15) {
                args.push(self.pick(&["XX", "GT", "NX"]).into());
            }
        }
    }
}
