//! The listener's table of connections: a slab of entries keyed by small integers (the key goes
//! into the epoll token and the timer entries), plus the keep-alive list threaded through the
//! entries themselves, oldest first, so the oldest idle connection is found and unlinked in O(1)
//! without allocating.
//!
//! Generic over what an entry holds, so the list is tested without a core.

use slab::Slab;

const NIL: usize = usize::MAX;

/// One connection's place in the table.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    /// Changes whenever the key is reused, so stale epoll events and worker results are told
    /// from current ones. Never 0.
    pub(crate) gen: u32,
    /// What the listener keeps about the connection.
    pub(crate) value: T,
    prev: usize,
    next: usize,
    in_keepalive: bool,
}

/// The connections one listener loop knows, and the keep-alive list among them.
#[derive(Debug)]
pub(crate) struct Table<T> {
    slots: Slab<Slot<T>>,
    next_gen: u32,
    head: usize,
    tail: usize,
    keepalive: usize,
}

impl<T> Table<T> {
    /// An empty table.
    pub(crate) fn new() -> Self {
        Table {
            slots: Slab::new(),
            next_gen: 1,
            head: NIL,
            tail: NIL,
            keepalive: 0,
        }
    }

    /// Adds a connection; returns its key and generation.
    pub(crate) fn insert(&mut self, value: T) -> (usize, u32) {
        let gen = self.next_gen;
        self.next_gen = self.next_gen.checked_add(1).unwrap_or(1);
        let key = self.slots.insert(Slot {
            gen,
            value,
            prev: NIL,
            next: NIL,
            in_keepalive: false,
        });
        (key, gen)
    }

    /// Removes a connection (and unlinks it from the keep-alive list).
    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        if !self.slots.contains(key) {
            return None;
        }
        self.unlink(key);
        Some(self.slots.remove(key).value)
    }

    /// The entry at `key` when its generation is `gen`.
    pub(crate) fn get_mut(&mut self, key: usize, gen: u32) -> Option<&mut T> {
        self.slots
            .get_mut(key)
            .filter(|s| s.gen == gen)
            .map(|s| &mut s.value)
    }

    /// The entry at `key`, whatever its generation.
    pub(crate) fn at(&self, key: usize) -> Option<&Slot<T>> {
        self.slots.get(key)
    }

    /// The entry at `key`, whatever its generation.
    pub(crate) fn at_mut(&mut self, key: usize) -> Option<&mut Slot<T>> {
        self.slots.get_mut(key)
    }

    /// Number of connections.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Keys of every connection (allocates: for shutdown only).
    pub(crate) fn keys(&self) -> Vec<usize> {
        self.slots.iter().map(|(k, _)| k).collect()
    }

    /// Appends `key` to the keep-alive list (the newest end); no-op when already there.
    pub(crate) fn keepalive_push(&mut self, key: usize) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        if slot.in_keepalive {
            return;
        }
        slot.in_keepalive = true;
        slot.prev = self.tail;
        slot.next = NIL;
        if self.tail == NIL {
            self.head = key;
        } else {
            self.slots[self.tail].next = key;
        }
        self.tail = key;
        self.keepalive += 1;
    }

    /// Takes `key` out of the keep-alive list; no-op when it is not there.
    pub(crate) fn unlink(&mut self, key: usize) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        if !slot.in_keepalive {
            return;
        }
        slot.in_keepalive = false;
        let (prev, next) = (slot.prev, slot.next);
        slot.prev = NIL;
        slot.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
        self.keepalive -= 1;
    }

    /// The connection that has waited longest in keep-alive.
    pub(crate) fn keepalive_oldest(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Number of connections in the keep-alive list.
    pub(crate) fn keepalive_len(&self) -> usize {
        self.keepalive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(t: &Table<&'static str>) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut k = t.head;
        while k != NIL {
            out.push(t.slots[k].value);
            k = t.slots[k].next;
        }
        out
    }

    #[test]
    fn keepalive_list_is_oldest_first() {
        let mut t: Table<&'static str> = Table::new();
        let (a, _) = t.insert("a");
        let (b, _) = t.insert("b");
        let (c, _) = t.insert("c");
        t.keepalive_push(b);
        t.keepalive_push(a);
        t.keepalive_push(c);
        t.keepalive_push(a);
        assert_eq!(order(&t), ["b", "a", "c"]);
        assert_eq!(t.keepalive_len(), 3);
        assert_eq!(t.keepalive_oldest(), Some(b));
        t.unlink(a);
        assert_eq!(order(&t), ["b", "c"]);
        t.unlink(a);
        assert_eq!(t.keepalive_len(), 2);
        assert_eq!(t.remove(b), Some("b"));
        assert_eq!(order(&t), ["c"]);
        assert_eq!(t.keepalive_oldest(), Some(c));
        t.unlink(c);
        assert_eq!(t.keepalive_oldest(), None);
        assert_eq!(t.keepalive_len(), 0);
        t.keepalive_push(a);
        assert_eq!(order(&t), ["a"]);
    }

    #[test]
    fn reused_keys_get_new_generations() {
        let mut t = Table::new();
        let (k1, g1) = t.insert(1);
        t.remove(k1);
        let (k2, g2) = t.insert(2);
        assert_eq!(k1, k2);
        assert_ne!(g1, g2);
        assert!(t.get_mut(k1, g1).is_none());
        assert_eq!(t.get_mut(k2, g2), Some(&mut 2));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn generations_skip_zero_when_they_wrap() {
        let mut t = Table::new();
        t.next_gen = u32::MAX;
        let (_, g) = t.insert(());
        assert_eq!(g, u32::MAX);
        let (_, g) = t.insert(());
        assert_eq!(g, 1);
    }
}
