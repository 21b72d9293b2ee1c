//! RENAME and RENAMENX on the keyspace: both shards locked in index order, so the
//! move is atomic.

use super::{ring, Db, Key, RenameOutcome, Shard};

impl<V: Clone> Db<V> {
    /// Renames `from` to `to`, keeping the value and its expiry, atomically (both
    /// shards are locked in index order). `nx`: refuse when `to` exists.
    pub fn rename(&self, from: &[u8], to: &[u8], nx: bool, now_ms: u64) -> RenameOutcome<V> {
        let (hf, ht) = (self.hash(from), self.hash(to));
        let (sf, st) = (Self::shard_of(hf), Self::shard_of(ht));
        let mut first = self.shards[sf.min(st)].write();
        let mut second = (sf != st).then(|| self.shards[sf.max(st)].write());
        let (src, dst) = match second.as_deref_mut() {
            None => (&mut *first, None),
            Some(other) if sf < st => (&mut *first, Some(other)),
            Some(other) => (other, Some(&mut *first)),
        };
        rename_in(src, dst, (hf, from), (ht, to), nx, now_ms)
    }
}

fn rename_in<V: Clone>(
    src: &mut Shard<V>,
    mut dst: Option<&mut Shard<V>>,
    (hf, from): (u64, &[u8]),
    (ht, to): (u64, &[u8]),
    nx: bool,
    now_ms: u64,
) -> RenameOutcome<V> {
    match src.find(hf, from) {
        Some(slot) if !slot.expired(now_ms) => {}
        _ => return RenameOutcome::NoSuchKey,
    }
    if from == to {
        return if nx {
            RenameOutcome::DestinationExists
        } else {
            RenameOutcome::Renamed(None)
        };
    }
    let dest_live = {
        let d: &mut Shard<V> = match dst.as_deref_mut() {
            Some(d) => d,
            None => &mut *src,
        };
        match d.find(ht, to) {
            Some(slot) if !slot.expired(now_ms) => true,
            Some(_) => {
                d.take(ht, to);
                false
            }
            None => false,
        }
    };
    if dest_live && nx {
        return RenameOutcome::DestinationExists;
    }
    let Some(mut slot) = src.take(hf, from) else {
        return RenameOutcome::NoSuchKey;
    };
    src.touch(from);
    let d: &mut Shard<V> = match dst {
        Some(d) => d,
        None => src,
    };
    let old = if dest_live {
        d.take(ht, to).map(|s| s.value)
    } else {
        None
    };
    slot.key = Key::from_slice(to);
    ring(d.put(ht, slot));
    RenameOutcome::Renamed(old)
}
