//! Executor ids, and recognising executors of this machine that died.
//!
//! An executor is `host:pid:nonce` in the store. A step whose lease
//! expired is re-queued by any executor; but a step held by a process of
//! this machine that no longer exists (killed with SIGKILL, crashed) is
//! re-queued at once, without waiting for its lease: `cairn run resume`
//! right after a `kill -9` continues immediately.

use std::sync::atomic::{AtomicU32, Ordering};

use cairn_store::{Lease, MetadataStore};
use chrono::{DateTime, Utc};
use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::error::EngineError;

/// This machine's name (`unknown` if it has none).
pub fn host_name() -> String {
    nix::unistd::gethostname().ok().and_then(|name| name.into_string().ok()).unwrap_or_else(|| "unknown".to_owned())
}

/// A new executor id: `host:pid:nonce`, the nonce telling apart the
/// executors of one process and processes that reuse a pid.
pub fn new_owner_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_nanos());
    let nonce = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(24);
    format!("{}:{}:{nonce:08x}", host_name(), std::process::id())
}

/// The process id of an executor of this machine, from its id.
fn local_pid(owner: &str, host: &str) -> Option<i32> {
    let mut parts = owner.rsplitn(3, ':');
    let _nonce = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    (parts.next()? == host).then_some(pid)
}

/// Whether process `pid` of this machine is gone.
fn is_dead(pid: i32) -> bool {
    matches!(kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// Re-queues at once the running steps held by executors of this machine
/// whose process no longer exists. Returns how many.
///
/// # Errors
/// [`EngineError::Store`] if the store fails.
pub async fn requeue_steps_of_dead_local_owners(
    store: &MetadataStore,
    now: DateTime<Utc>,
) -> Result<usize, EngineError> {
    let host = host_name();
    let mut requeued = 0;
    for step in store.running_steps(None).await? {
        let Some(owner) = step.owner.clone() else { continue };
        let Some(pid) = local_pid(&owner, &host) else { continue };
        if pid == std::process::id() as i32 || !is_dead(pid) {
            continue;
        }
        let lease = Lease { step: step.id, run: step.run_id, owner, attempt: step.attempt };
        if store.expire_lease_of_dead_owner(&lease, now).await? {
            requeued += 1;
        }
    }
    Ok(requeued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_name_host_and_process() {
        let id = new_owner_id();
        assert_eq!(local_pid(&id, &host_name()), Some(std::process::id() as i32));
        assert_ne!(new_owner_id(), id, "two executors of one process differ");
        assert_eq!(local_pid("other-host:12:abc", &host_name()), None);
        assert_eq!(local_pid("garbage", "h"), None);
        assert_eq!(local_pid("h:x:1", "h"), None);
        assert!(!is_dead(std::process::id() as i32));
    }
}
