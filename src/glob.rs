//! Redis's glob matching (`stringmatchlen` in redis/src/util.c), used by KEYS, SCAN
//! MATCH, CONFIG GET, COMMAND LIST and PSUBSCRIBE.
//!
//! Ported rather than taken from a glob crate because clients depend on Redis's exact
//! dialect: `[^...]` negation, `\` escapes inside and outside classes, reversed ranges,
//! no path-separator rules, and the early cut-off that keeps `a*a*a*...b` patterns
//! from taking exponential time.

/// True when `text` matches the glob `pattern`; `nocase` folds ASCII case.
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, text, nocase, &mut skip_longer)
}

/// The byte at `i`, or 0 past the end (the C code reads the NUL terminator there).
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(p: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    while pi < p.len() && si < s.len() {
        match p[pi] {
            b'*' => {
                while pi + 1 < p.len() && p[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true;
                }
                while si < s.len() {
                    if match_impl(&p[pi + 1..], &s[si..], nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // Nothing after this star matched anywhere in the rest of the text:
                // no earlier star can do better by matching a longer prefix.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                pi += 1;
                let negate = at(p, pi) == b'^';
                if negate {
                    pi += 1;
                }
                let c = s[si];
                let mut hit = false;
                loop {
                    if at(p, pi) == b'\\' && p.len() - pi >= 2 {
                        pi += 1;
                        if p[pi] == c {
                            hit = true;
                        }
                    } else if at(p, pi) == b']' {
                        break;
                    } else if pi >= p.len() {
                        // Unterminated class: step back so the shared advance below
                        // lands on the end of the pattern.
                        pi -= 1;
                        break;
                    } else if p.len() - pi >= 3 && p[pi + 1] == b'-' {
                        let (mut start, mut end) = (p[pi], p[pi + 2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, ch) =
                            (fold(start, nocase), fold(end, nocase), fold(c, nocase));
                        pi += 2;
                        if ch >= start && ch <= end {
                            hit = true;
                        }
                    } else if fold(p[pi], nocase) == fold(c, nocase) {
                        hit = true;
                    }
                    pi += 1;
                }
                if negate {
                    hit = !hit;
                }
                if !hit {
                    return false;
                }
                si += 1;
            }
            ch => {
                let ch = if ch == b'\\' && p.len() - pi >= 2 {
                    pi += 1;
                    p[pi]
                } else {
                    ch
                };
                if fold(ch, nocase) != fold(s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == s.len() {
            while at(p, pi) == b'*' {
                pi += 1;
            }
            break;
        }
    }
    pi >= p.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn redis_glob_dialect() {
        // As in C: the loop never runs on an empty text, so `*` does not match "";
        // KEYS and SCAN treat a lone `*` as "everything" before calling this.
        assert!(!m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed range");
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("[\\]]", "]"));
        assert!(m("sess:*:conversation", "sess:{abc}:conversation"));
        assert!(!m("a", ""));
        assert!(!m("", "a"));
        assert!(m("", ""));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(!m("[abc", "d"));
        assert!(m("[abc", "a"));
    }

    #[test]
    fn case_folding() {
        assert!(matches(b"MAX*", b"maxmemory", true));
        assert!(!matches(b"MAX*", b"maxmemory", false));
        assert!(matches(b"[A-C]x", b"bx", true));
    }

    #[test]
    fn pathological_patterns_finish() {
        let text = "a".repeat(64);
        let pat = format!("{}b", "a*".repeat(32));
        assert!(!m(&pat, &text));
    }
}
