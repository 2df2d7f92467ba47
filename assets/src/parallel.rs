//! Independent CPU work spread over the machine's cores. Loading a project
//! parses every YAML file and every SQL query, and `cairn validate` plans
//! every query of one level of the graph: each item is independent of the
//! others, and a 10,000-asset project has thousands of them.

/// Most threads [`map_parts`] uses, the calling thread included.
const MAX_THREADS: usize = 8;

/// Stack of each thread [`map_parts`] starts: a Linux main thread's
/// (8 MiB), since SQL parsers and planners recurse on nested expressions.
const STACK_BYTES: usize = 8 << 20;

/// `work` applied to contiguous parts of `items`, the results in the items'
/// order. With one core, or fewer than two parts of `min_per_thread` items,
/// the calling thread does all of it; otherwise the items are split into
/// equal parts, one per core (at most [`MAX_THREADS`]), the calling thread
/// doing the first. `work` returns one result per item of its part.
///
/// A panic in `work` is resumed on the calling thread. A part whose thread
/// cannot be started runs on the calling thread.
pub(crate) fn map_parts<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
    let threads = cores.min(items.len() / min_per_thread.max(1));
    if threads < 2 {
        return work(items);
    }
    let work = &work;
    std::thread::scope(|scope| {
        let mut parts = items.chunks(items.len().div_ceil(threads));
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(scope, move || work(part))
                    .map_err(|_| part)
            })
            .collect();
        let mut results = work(first);
        for other in others {
            results.extend(match other {
                Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(part) => work(part),
            });
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::map_parts;

    #[test]
    fn results_keep_the_items_order_on_any_number_of_threads() {
        let items: Vec<u32> = (0..1_000).collect();
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let doubled = map_parts(&items, 10, |part| {
            threads.lock().unwrap().insert(std::thread::current().id());
            part.iter().map(|i| i * 2).collect()
        });
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(threads.lock().unwrap().len(), cores.min(super::MAX_THREADS), "one part per core");
        // Too few items for two parts: all on the calling thread.
        let caller = std::thread::current().id();
        let small = map_parts(&items[..15], 10, |part| {
            assert_eq!(std::thread::current().id(), caller);
            part.to_vec()
        });
        assert_eq!(small, items[..15].to_vec());
        assert!(map_parts(&[] as &[u32], 10, |part| part.to_vec()).is_empty());
    }

    #[test]
    fn a_panic_in_a_part_reaches_the_caller() {
        let items: Vec<u32> = (0..100).collect();
        let caught = std::panic::catch_unwind(|| {
            map_parts(&items, 1, |part| {
                assert!(!part.contains(&99), "bad item");
                part.to_vec()
            })
        });
        assert!(caught.is_err());
    }
}
