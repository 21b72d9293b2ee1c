//! Unit tests of the keyspace.
use super::*;

fn key(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn db_with(keys: &[&str]) -> Db<u32> {
    let db = Db::default();
    for (i, k) in keys.iter().enumerate() {
        db.get_or_insert_with(&key(k), 0, || i as u32);
    }
    db
}

#[tokio::test]
async fn creating_a_key_rings_readers_waiting_for_it() {
    let db = db_with(&["here"]);
    let bell = Arc::new(Bell::new());
    assert_eq!(db.value_or_wait(&key("here"), &bell, 0), Some(0));
    assert_eq!(db.value_or_wait(&key("later"), &bell, 0), None);
    db.get_or_insert_with(&key("later"), 0, || 5);
    tokio::time::timeout(std::time::Duration::from_secs(1), bell.rung())
        .await
        .expect("rung");
    let gone = Arc::new(Bell::new());
    assert_eq!(db.value_or_wait(&key("never"), &gone, 0), None);
    drop(gone);
    db.prune_waiters();
    assert!(db.shards.iter().all(|s| s.read().pending.is_empty()));
}

#[test]
fn insert_get_remove() {
    let db = db_with(&["a", "b"]);
    assert_eq!(db.len(), 2);
    assert_eq!(db.get(b"a", 0), Lookup::Found(0));
    let (v, created, _) = db.get_or_insert_with(&key("a"), 0, || 9);
    assert_eq!((v, created), (0, false));
    assert_eq!(db.remove(b"a", 0), Some(0));
    assert_eq!(db.remove(b"a", 0), None);
    assert_eq!(db.get(b"a", 0), Lookup::Missing);
    assert_eq!(db.len(), 1);
}

#[test]
fn expiry_is_lazy_and_swept() {
    let db = db_with(&["a", "b", "c"]);
    assert_eq!(
        db.expire(b"a", 100, ExpireCondition::ALWAYS, 0),
        ExpireOutcome::Set
    );
    assert_eq!(
        db.expire(b"b", 200, ExpireCondition::ALWAYS, 0),
        ExpireOutcome::Set
    );
    assert_eq!(db.expiring_len(), 2);
    assert_eq!(db.expires_at(b"a", 50), Some(Some(100)));
    assert_eq!(db.get(b"a", 100), Lookup::Expired(0));
    assert_eq!(db.len(), 2);
    let swept = db.sweep_expired(250, 10);
    assert_eq!(swept.len(), 1);
    assert_eq!(swept[0].0, key("b"));
    assert_eq!(db.len(), 1);
    assert_eq!(db.expiring_len(), 0);
}

#[test]
fn expire_conditions() {
    let nx = ExpireCondition {
        nx: true,
        ..Default::default()
    };
    let xx = ExpireCondition {
        xx: true,
        ..Default::default()
    };
    let gt = ExpireCondition {
        gt: true,
        ..Default::default()
    };
    let lt = ExpireCondition {
        lt: true,
        ..Default::default()
    };
    let always = ExpireCondition::ALWAYS;
    let db = db_with(&["k"]);
    assert_eq!(db.expire(b"k", 100, xx, 0), ExpireOutcome::Unchanged);
    assert_eq!(
        db.expire(b"k", 100, gt, 0),
        ExpireOutcome::Unchanged,
        "no ttl = infinite"
    );
    assert_eq!(db.expire(b"k", 100, nx, 0), ExpireOutcome::Set);
    assert_eq!(db.expire(b"k", 200, nx, 0), ExpireOutcome::Unchanged);
    assert_eq!(db.expire(b"k", 50, gt, 0), ExpireOutcome::Unchanged);
    assert_eq!(db.expire(b"k", 150, gt, 0), ExpireOutcome::Set);
    assert_eq!(db.expire(b"k", 120, lt, 0), ExpireOutcome::Set);
    assert_eq!(db.expires_at(b"k", 0), Some(Some(120)));
    assert!(db.persist(b"k", 0));
    assert!(!db.persist(b"k", 0));
    assert_eq!(db.expire(b"k", 10, lt, 20), ExpireOutcome::Deleted(0));
    assert_eq!(
        db.expire(b"missing", 10, always, 0),
        ExpireOutcome::Unchanged
    );
}

#[test]
fn rename_moves_value_and_expiry() {
    let db = db_with(&["a", "b"]);
    db.expire(b"a", 500, ExpireCondition::ALWAYS, 0);
    assert_eq!(
        db.rename(b"a", &key("b"), true, 0),
        RenameOutcome::DestinationExists
    );
    assert_eq!(
        db.rename(b"a", &key("b"), false, 0),
        RenameOutcome::Renamed(Some(1))
    );
    assert_eq!(db.get(b"b", 0), Lookup::Found(0));
    assert_eq!(db.expires_at(b"b", 0), Some(Some(500)));
    assert_eq!(db.len(), 1);
    assert_eq!(
        db.rename(b"a", &key("c"), false, 0),
        RenameOutcome::NoSuchKey
    );
    assert_eq!(
        db.rename(b"b", &key("b"), false, 0),
        RenameOutcome::Renamed(None)
    );
    // Across many names, so both the same-shard and cross-shard paths run.
    for i in 0..64 {
        let to = key(&format!("n{i}"));
        let from = if i == 0 {
            key("b")
        } else {
            key(&format!("n{}", i - 1))
        };
        assert_eq!(db.rename(&from, &to, true, 0), RenameOutcome::Renamed(None));
    }
    assert_eq!(db.get(b"n63", 0), Lookup::Found(0));
    assert_eq!(db.len(), 1);
    assert_eq!(db.expiring_len(), 1);
}

#[test]
fn scan_returns_each_key_once_across_changes() {
    let names: Vec<String> = (0..1000).map(|i| format!("key:{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let db = db_with(&refs);
    let mut seen = std::collections::HashMap::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        cursor = db.scan(cursor, 7, |k, _| *seen.entry(k.to_vec()).or_insert(0) += 1);
        // Churn: add and remove other keys while iterating.
        db.get_or_insert_with(&key(&format!("new:{round}")), 0, || 0);
        db.remove(format!("new:{}", round / 2).as_bytes(), 0);
        round += 1;
        if cursor == 0 {
            break;
        }
    }
    for n in &names {
        assert_eq!(seen.get(n.as_bytes()), Some(&1), "{n}");
    }
}

#[test]
fn clear_returns_values() {
    let db = db_with(&["a", "b", "c"]);
    let mut vals = db.clear(0);
    vals.sort();
    assert_eq!(vals, vec![0, 1, 2]);
    assert!(db.is_empty());
}

#[test]
fn keys_longer_than_the_inline_room_work_alike() {
    let long = format!("{}:conversation", "7f9c2ba4-e88f-4b1c-9e1d-5d0b1e2a3c4d");
    let short = "s:conversation";
    assert!(long.len() > 24 && short.len() <= 24);
    let db = db_with(&[&long, short]);
    assert_eq!(db.get(long.as_bytes(), 0), Lookup::Found(0));
    assert_eq!(db.get(&long.as_bytes()[..24], 0), Lookup::Missing);
    // Renames move a key between the inline and the heap forms.
    let renamed = format!("{long}:x");
    assert!(matches!(
        db.rename(short.as_bytes(), &key(&renamed), false, 0),
        RenameOutcome::Renamed(None)
    ));
    assert!(matches!(
        db.rename(long.as_bytes(), &key("t"), false, 0),
        RenameOutcome::Renamed(None)
    ));
    assert_eq!(db.get(renamed.as_bytes(), 0), Lookup::Found(1));
    assert_eq!(db.get(b"t", 0), Lookup::Found(0));
    let mut keys = Vec::new();
    db.for_each(|k, _, _| keys.push(k.to_vec()));
    keys.sort();
    assert_eq!(keys, vec![renamed.into_bytes(), b"t".to_vec()]);
}
