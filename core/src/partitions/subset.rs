//! Partition subsets as ranges of consecutive keys.
//!
//! A run, a backfill or a status bar never lists 26,280 hourly keys one by
//! one: it names ranges of consecutive keys of one partitions definition
//! (`2013-01-01..2013-03-31`). A [`KeyRange`] is inclusive at both ends and
//! its keys are consecutive in the definition's key order, like Dagster's
//! `PartitionKeyRange`.

use serde::{Deserialize, Serialize};

use super::PartitionKey;

/// An inclusive range of consecutive partition keys of one definition, as
/// Dagster's `PartitionKeyRange`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyRange {
    /// First key, included.
    pub start: PartitionKey,
    /// Last key, included.
    pub end: PartitionKey,
}

impl KeyRange {
    /// A range of one key.
    pub fn single(key: PartitionKey) -> Self {
        Self { start: key.clone(), end: key }
    }
}

impl std::fmt::Display for KeyRange {
    /// `2013-01-05` for one key, `2013-01-01..2013-01-31` for more.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end { write!(f, "{}", self.start) } else { write!(f, "{}..{}", self.start, self.end) }
    }
}

/// Groups the positions `selected` (indices into `keys`, in any order,
/// duplicates allowed) into ranges of consecutive keys, in key order.
/// Positions out of bounds are ignored.
pub fn ranges_of_positions(keys: &[PartitionKey], selected: impl IntoIterator<Item = usize>) -> Vec<KeyRange> {
    counted_ranges_of_positions(keys, selected).into_iter().map(|(range, _)| range).collect()
}

/// As [`ranges_of_positions`], with the number of keys in each range.
pub fn counted_ranges_of_positions(
    keys: &[PartitionKey],
    selected: impl IntoIterator<Item = usize>,
) -> Vec<(KeyRange, usize)> {
    let mut positions: Vec<usize> = selected.into_iter().filter(|&p| p < keys.len()).collect();
    positions.sort_unstable();
    positions.dedup();
    let mut ranges = Vec::new();
    let mut iter = positions.into_iter();
    let Some(first) = iter.next() else { return ranges };
    let (mut start, mut end) = (first, first);
    let mut push = |start: usize, end: usize| {
        ranges.push((KeyRange { start: keys[start].clone(), end: keys[end].clone() }, end + 1 - start));
    };
    for position in iter {
        if position == end + 1 {
            end = position;
        } else {
            push(start, end);
            (start, end) = (position, position);
        }
    }
    push(start, end);
    ranges
}

/// Runs of consecutive keys sharing one value: `value(i)` for each
/// position `i` of `keys`, merged where neighbours are equal. The runs
/// cover every key, in order.
pub fn runs_of<T: PartialEq>(keys: &[PartitionKey], value: impl FnMut(usize) -> T) -> Vec<(KeyRange, T)> {
    counted_runs_of(keys, value).into_iter().map(|(range, value, _)| (range, value)).collect()
}

/// As [`runs_of`], with the number of keys in each run.
pub fn counted_runs_of<T: PartialEq>(
    keys: &[PartitionKey],
    mut value: impl FnMut(usize) -> T,
) -> Vec<(KeyRange, T, usize)> {
    let mut runs: Vec<(usize, usize, T)> = Vec::new();
    for position in 0..keys.len() {
        let current = value(position);
        match runs.last_mut() {
            Some((_, end, last)) if *last == current => *end = position,
            _ => runs.push((position, position, current)),
        }
    }
    runs.into_iter()
        .map(|(start, end, value)| {
            (KeyRange { start: keys[start].clone(), end: keys[end].clone() }, value, end + 1 - start)
        })
        .collect()
}

/// Positions (into `keys`) of the keys inside `ranges`. A range whose start
/// or end is not in `keys` (the definition changed since it was stored)
/// contributes nothing; a reversed range contributes nothing.
pub fn positions_in_ranges(keys: &[PartitionKey], ranges: &[KeyRange]) -> Vec<usize> {
    let position = |key: &PartitionKey| keys.binary_search(key).ok().or_else(|| keys.iter().position(|k| k == key));
    let mut positions = Vec::new();
    for range in ranges {
        if let (Some(start), Some(end)) = (position(&range.start), position(&range.end))
            && start <= end
        {
            positions.extend(start..=end);
        }
    }
    positions.sort_unstable();
    positions.dedup();
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<PartitionKey> {
        names.iter().map(|n| PartitionKey::new(n).unwrap()).collect()
    }

    #[test]
    fn consecutive_positions_merge_into_ranges() {
        let all = keys(&["a", "b", "c", "d", "e", "f"]);
        let ranges = ranges_of_positions(&all, [4, 0, 1, 2, 2]);
        let shown: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a..c", "e"]);
        let counts: Vec<usize> = counted_ranges_of_positions(&all, [4, 0, 1, 2, 9]).iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [3, 1]);
        assert!(ranges_of_positions(&all, []).is_empty());
        assert_eq!(positions_in_ranges(&all, &ranges), [0, 1, 2, 4]);
    }

    #[test]
    fn runs_cover_every_key_in_order() {
        let all = keys(&["a", "b", "c", "d"]);
        let runs = runs_of(&all, |i| i == 2);
        let shown: Vec<(String, bool)> = runs.iter().map(|(r, v)| (r.to_string(), *v)).collect();
        assert_eq!(shown, [("a..b".to_owned(), false), ("c".to_owned(), true), ("d".to_owned(), false)]);
        let counts: Vec<usize> = counted_runs_of(&all, |i| i == 2).iter().map(|(_, _, n)| *n).collect();
        assert_eq!(counts, [2, 1, 1]);
        assert!(runs_of(&[], |_| 0).is_empty());
    }

    #[test]
    fn ranges_naming_unknown_or_reversed_keys_select_nothing() {
        let all = keys(&["a", "b", "c"]);
        let unknown = KeyRange { start: PartitionKey::new("a").unwrap(), end: PartitionKey::new("z").unwrap() };
        let reversed = KeyRange { start: PartitionKey::new("c").unwrap(), end: PartitionKey::new("a").unwrap() };
        assert!(positions_in_ranges(&all, &[unknown, reversed]).is_empty());
    }
}
