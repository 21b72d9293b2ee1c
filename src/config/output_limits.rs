//! `client-output-buffer-limit`: how much unsent output a client may pile up before
//! it is disconnected, per client class, with Redis's syntax, defaults and errors.

use super::parse::memtoull;
use super::values::Problem;

/// The limit of one client class. A limit of 0 is no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OutputLimit {
    /// Disconnect as soon as the pending output exceeds this many bytes.
    pub hard_bytes: u64,
    /// Disconnect when the pending output stays above this many bytes...
    pub soft_bytes: u64,
    /// ...for this many seconds.
    pub soft_seconds: u64,
}

impl OutputLimit {
    /// True when neither limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.hard_bytes == 0 && (self.soft_bytes == 0 || self.soft_seconds == 0)
    }
}

/// The limits of every client class Redis has. Subscribed clients are `pubsub`;
/// `replica` is accepted and kept for compatibility (ringbus has no replicas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimits {
    /// Every other client (default: no limit).
    pub normal: OutputLimit,
    /// Replicas (default `256mb 64mb 60`); unused.
    pub replica: OutputLimit,
    /// Clients subscribed to a channel or pattern (default `32mb 8mb 60`).
    pub pubsub: OutputLimit,
}

impl Default for OutputLimits {
    fn default() -> Self {
        const MB: u64 = 1024 * 1024;
        OutputLimits {
            normal: OutputLimit::default(),
            replica: OutputLimit {
                hard_bytes: 256 * MB,
                soft_bytes: 64 * MB,
                soft_seconds: 60,
            },
            pubsub: OutputLimit {
                hard_bytes: 32 * MB,
                soft_bytes: 8 * MB,
                soft_seconds: 60,
            },
        }
    }
}

const WRONG_COUNT: &str = "Wrong number of arguments in buffer limit configuration.";
const BAD_CLASS: &str = "Invalid client class specified in buffer limit configuration.";
const BAD_NUMBER: &str =
    "Error in hard, soft or soft_seconds setting in buffer limit configuration.";

/// The class named `name` as Redis's `getClientTypeByName` reads it (master refused).
fn class_mut<'a>(limits: &'a mut OutputLimits, name: &str) -> Option<&'a mut OutputLimit> {
    match name.to_ascii_lowercase().as_str() {
        "normal" => Some(&mut limits.normal),
        "slave" | "replica" => Some(&mut limits.replica),
        "pubsub" => Some(&mut limits.pubsub),
        _ => None,
    }
}

/// Applies `class hard soft seconds [class hard soft seconds ...]` to `limits`; the
/// classes not named keep their limits. All or nothing, with Redis's errors.
pub(crate) fn apply(limits: &mut OutputLimits, value: &str) -> Result<(), Problem> {
    let words: Vec<&str> = value.split_whitespace().collect();
    if words.len() % 4 != 0 {
        return Err(Problem::Redis(WRONG_COUNT));
    }
    let mut next = *limits;
    for group in words.chunks(4) {
        let Some(class) = class_mut(&mut next, group[0]) else {
            return Err(Problem::Redis(BAD_CLASS));
        };
        let mut numbers = [0u64; 3];
        for (slot, word) in numbers.iter_mut().zip(&group[1..]) {
            *slot = memtoull(word).ok_or(Problem::Redis(BAD_NUMBER))?;
        }
        // Redis reads the seconds with strtoll after the memtoull check: the digits.
        let seconds = group[3]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .fold(0u64, |n, d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            });
        *class = OutputLimit {
            hard_bytes: numbers[0],
            soft_bytes: numbers[1],
            soft_seconds: seconds,
        };
    }
    *limits = next;
    Ok(())
}

/// `normal H S N slave H S N pubsub H S N`, in bytes, as CONFIG GET shows it.
pub(crate) fn render(limits: &OutputLimits) -> String {
    let one = |name: &str, l: &OutputLimit| {
        format!(
            "{name} {} {} {}",
            l.hard_bytes, l.soft_bytes, l.soft_seconds
        )
    };
    format!(
        "{} {} {}",
        one("normal", &limits.normal),
        one("slave", &limits.replica),
        one("pubsub", &limits.pubsub)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_partial_updates_as_redis() {
        let mut l = OutputLimits::default();
        assert_eq!(
            render(&l),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(apply(&mut l, "normal 1mb 2kb 10"), Ok(()));
        assert_eq!(apply(&mut l, "REPLICA 1 2 3"), Ok(()));
        assert_eq!(apply(&mut l, ""), Ok(()));
        assert_eq!(
            render(&l),
            "normal 1048576 2048 10 slave 1 2 3 pubsub 33554432 8388608 60"
        );
        let before = l;
        assert_eq!(
            apply(&mut l, "pubsub 100 50"),
            Err(Problem::Redis(WRONG_COUNT))
        );
        assert_eq!(
            apply(&mut l, "master 1 2 3"),
            Err(Problem::Redis(BAD_CLASS))
        );
        assert_eq!(
            apply(&mut l, "pubsub 1 1 1 normal a 1 1"),
            Err(Problem::Redis(BAD_NUMBER))
        );
        assert_eq!(
            apply(&mut l, "normal 1 1 -1"),
            Err(Problem::Redis(BAD_NUMBER))
        );
        assert_eq!(l, before, "all or nothing");
        assert!(l.pubsub.soft_seconds == 60 && !l.pubsub.is_unlimited());
        assert!(OutputLimits::default().normal.is_unlimited());
    }
}
