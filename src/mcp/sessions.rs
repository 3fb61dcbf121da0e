//! MCP sessions (`Mcp-Session-Id`) seen through toolwall, per adapter: the principal that
//! opened each, and what the front end keeps pending in it (the requests forwarded and not
//! answered yet, answered on whichever stream the server uses: the request's POST, or a GET
//! resuming it). What is pending is the front end's own type `P`: this module only keeps it
//! with its owner, bounded, and drops it when the session ends or is forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Sessions toolwall tracks; past this the least recently used is forgotten (its agent gets
/// 404 and starts a new one, as MCP clients do).
pub const MAX_SESSIONS: usize = 4_096;

/// Sessions by (adapter, session id).
pub struct Sessions<P: ?Sized> {
    map: Mutex<HashMap<(String, String), Session<P>>>,
}

struct Session<P: ?Sized> {
    owner: String,
    pending: Arc<P>,
    used: Instant,
}

/// A session id as seen by one principal.
pub enum Lookup<P: ?Sized> {
    /// This principal's session, and what is pending in it.
    Found(Arc<P>),
    /// Opened by another principal.
    Foreign,
    /// Never opened through toolwall (or ended, or forgotten).
    Unknown,
}

impl<P: ?Sized> Default for Sessions<P> {
    fn default() -> Self {
        Sessions {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<P: ?Sized> Sessions<P> {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), Session<P>>> {
        match self.map.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The session `sid` of `adapter` as `owner` sees it (a found session is marked used).
    pub fn lookup(&self, adapter: &str, sid: &str, owner: &str) -> Lookup<P> {
        let mut map = self.lock();
        match map.get_mut(&(adapter.to_string(), sid.to_string())) {
            Some(s) if s.owner == owner => {
                s.used = Instant::now();
                Lookup::Found(s.pending.clone())
            }
            Some(_) => Lookup::Foreign,
            None => Lookup::Unknown,
        }
    }

    /// Bind a session the server opened to `owner`, with `pending()` as what is pending in
    /// it; false when another principal holds it. At [`MAX_SESSIONS`] the least recently
    /// used session is forgotten (what was pending in it is dropped outside the lock).
    pub fn open(
        &self,
        adapter: &str,
        sid: &str,
        owner: &str,
        pending: impl FnOnce() -> Arc<P>,
    ) -> bool {
        let key = (adapter.to_string(), sid.to_string());
        let evicted = {
            let mut map = self.lock();
            if let Some(s) = map.get(&key) {
                return s.owner == owner;
            }
            let evicted = if map.len() >= MAX_SESSIONS {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, s)| s.used)
                    .map(|(k, _)| k.clone());
                oldest.and_then(|k| map.remove(&k))
            } else {
                None
            };
            map.insert(
                key,
                Session {
                    owner: owner.to_string(),
                    pending: pending(),
                    used: Instant::now(),
                },
            );
            evicted
        };
        drop(evicted); // pending calls' records are written here, outside the lock
        true
    }

    /// End a session (what was pending in it is dropped outside the lock).
    pub fn close(&self, adapter: &str, sid: &str) {
        let removed = self.lock().remove(&(adapter.to_string(), sid.to_string()));
        drop(removed);
    }

    /// Sessions tracked now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pending = Mutex<Vec<u32>>;

    fn found(l: Lookup<Pending>) -> Option<Arc<Pending>> {
        match l {
            Lookup::Found(p) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn sessions_belong_to_their_opener() {
        let s = Sessions::<Pending>::default();
        let (a, b) = ("[null,\"a\"]", "[\"t\",\"b\"]");
        assert!(matches!(s.lookup("crm", "s1", a), Lookup::Unknown));
        assert!(s.open("crm", "s1", a, Arc::default));
        assert!(matches!(s.lookup("crm", "s1", a), Lookup::Found(_)));
        assert!(matches!(s.lookup("crm", "s1", b), Lookup::Foreign));
        // the same id on another adapter is another session
        assert!(matches!(s.lookup("other", "s1", a), Lookup::Unknown));
        // a server handing another principal a held id does not move it
        assert!(!s.open("crm", "s1", b, Arc::default));
        assert!(matches!(s.lookup("crm", "s1", a), Lookup::Found(_)));
        s.close("crm", "s1");
        assert!(matches!(s.lookup("crm", "s1", a), Lookup::Unknown));
        assert!(s.is_empty());
    }

    #[test]
    fn what_is_pending_is_shared_by_the_sessions_streams() {
        let s = Sessions::<Pending>::default();
        assert!(s.open("crm", "s1", "o", Arc::default));
        let one = found(s.lookup("crm", "s1", "o")).expect("found");
        one.lock().expect("lock").push(7);
        let two = found(s.lookup("crm", "s1", "o")).expect("found");
        assert_eq!(*two.lock().expect("lock"), [7]);
        // opening it again (the server repeating its id) keeps what is pending
        assert!(s.open("crm", "s1", "o", Arc::default));
        let three = found(s.lookup("crm", "s1", "o")).expect("found");
        assert!(Arc::ptr_eq(&one, &three));
        // closing drops the session's hold on it
        s.close("crm", "s1");
        assert_eq!(Arc::strong_count(&one), 3);
    }

    #[test]
    fn sessions_are_bounded_and_forget_the_least_recently_used() {
        let s = Sessions::<Pending>::default();
        assert!(s.open("crm", "first", "o", Arc::default));
        assert!(s.open("crm", "second", "o", Arc::default));
        std::thread::sleep(std::time::Duration::from_millis(2));
        // `first` is used again: `second` is now the least recently used
        assert!(found(s.lookup("crm", "first", "o")).is_some());
        for i in 0..MAX_SESSIONS - 1 {
            assert!(s.open("crm", &format!("x{i}"), "o", Arc::default));
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(found(s.lookup("crm", "first", "o")).is_some());
        assert!(matches!(s.lookup("crm", "second", "o"), Lookup::Unknown));
    }
}
