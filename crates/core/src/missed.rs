//! When a search in the panel "found nothing": the panel searches on every keystroke, so
//! a search is judged when it ends — the query is cleared, the panel is hidden or opened
//! again — by what its last query found. A reply fired in between means the agent found
//! what they wanted. The query then goes to `Store::record_missed_search`, which keeps
//! only short searches without numbers or e-mail addresses.

/// Follows one panel's searches.
#[derive(Debug, Default)]
pub struct MissTracker {
    /// The last non-empty query and whether it found nothing.
    last: Option<(String, bool)>,
}

impl MissTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The panel searched `query` and found `hits` replies. A query cleared to nothing
    /// ends the search before it: its query when that found nothing.
    pub fn searched(&mut self, query: &str, hits: usize) -> Option<String> {
        let query = query.trim();
        if query.is_empty() {
            return self.ended();
        }
        self.last = Some((query.to_string(), hits == 0));
        None
    }

    /// A reply was fired: the search found what it was for.
    pub fn fired(&mut self) {
        self.last = None;
    }

    /// The search ended (the panel hid or opened anew): its query, when the last one
    /// found nothing.
    pub fn ended(&mut self) -> Option<String> {
        match self.last.take() {
            Some((query, true)) => Some(query),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_query_of_a_search_that_found_nothing_counts() {
        let mut t = MissTracker::new();
        // Typed letter by letter: the prefixes found replies, the whole did not.
        assert_eq!(t.searched("保", 5), None);
        assert_eq!(t.searched("保修", 2), None);
        assert_eq!(t.searched("保修卡", 0), None);
        assert_eq!(t.searched("保修卡丢了", 0), None);
        assert_eq!(t.searched("", 20).as_deref(), Some("保修卡丢了"));
        assert_eq!(t.ended(), None, "counted once");

        // Rephrased until something was found, then fired: nothing to count.
        t.searched("专票", 0);
        t.searched("发票", 3);
        assert_eq!(t.ended(), None);
        t.searched("开票 抬头", 0);
        t.fired();
        assert_eq!(t.ended(), None);

        // The panel hidden on a search that found nothing.
        t.searched("  能开专票吗 ", 0);
        assert_eq!(t.ended().as_deref(), Some("能开专票吗"));
        assert_eq!(t.searched("", 0), None);
    }
}
