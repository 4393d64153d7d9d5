//! Recently served pages of the change feed, encoded, so that the same page asked by many
//! devices is read and encoded once. When a lead imports thousands of replies, every
//! watching agent hears the same `head` events and pulls from the same cursors: a hundred
//! agents ask the same pages within moments of each other.
//!
//! A page is a pure function of the library at one head (every change of a library's
//! items moves its head), so it is kept under (library, `since`, `limit`, head) and is
//! never stale: a request is answered from here only when the library is still at that
//! head, after the caller's right to read it was checked. Memory is bounded: at most
//! [`MAX_BYTES`] of pages, the oldest dropped first; a page larger than a quarter of that
//! is not kept.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

/// Most bytes of pages kept.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// (library, since, limit, head).
pub type Key = (Uuid, i64, usize, i64);

#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<Key, Arc<[u8]>>,
    /// Keys, oldest first.
    order: VecDeque<Key>,
    bytes: usize,
}

impl PageCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &Key) -> Option<Arc<[u8]>> {
        self.lock().pages.get(key).cloned()
    }

    pub fn put(&self, key: Key, page: Arc<[u8]>) {
        if page.len() > MAX_BYTES / 4 {
            return;
        }
        let mut c = self.lock();
        if c.pages.contains_key(&key) {
            return;
        }
        while c.bytes + page.len() > MAX_BYTES {
            let Some(old) = c.order.pop_front() else {
                break;
            };
            if let Some(p) = c.pages.remove(&old) {
                c.bytes -= p.len();
            }
        }
        c.bytes += page.len();
        c.order.push_back(key);
        c.pages.insert(key, page);
    }

    /// Bytes kept now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_kept_by_head_and_the_oldest_go_first_past_the_limit() {
        let cache = PageCache::default();
        let lib = Uuid::now_v7();
        let page: Arc<[u8]> = vec![b'x'; MAX_BYTES / 4].into();
        cache.put((lib, 0, 1000, 7), page.clone());
        assert_eq!(cache.get(&(lib, 0, 1000, 7)).as_deref(), Some(&page[..]));
        // Another head, cursor or limit is another page.
        assert!(cache.get(&(lib, 0, 1000, 8)).is_none());
        assert!(cache.get(&(lib, 1, 1000, 7)).is_none());
        assert!(cache.get(&(lib, 0, 999, 7)).is_none());
        for head in 8..12 {
            cache.put((lib, 0, 1000, head), page.clone());
        }
        assert!(cache.bytes() <= MAX_BYTES);
        assert!(cache.get(&(lib, 0, 1000, 7)).is_none(), "the oldest went");
        assert!(cache.get(&(lib, 0, 1000, 11)).is_some());
        // Too large to keep.
        let huge: Arc<[u8]> = vec![b'y'; MAX_BYTES / 4 + 1].into();
        cache.put((lib, 5, 1000, 20), huge);
        assert!(cache.get(&(lib, 5, 1000, 20)).is_none());
    }
}
