//! The commands a script is made of: streams, consumer groups, keys.

use proptest::prelude::RngExt;

use super::generator::{Gen, RING3};

impl Gen {
    /// One command and how its reply is compared: a directive (`shape`, `sorted`)
    /// or `None` for byte for byte.
    pub(super) fn command(&mut self) -> (Vec<String>, Option<&'static str>) {
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
