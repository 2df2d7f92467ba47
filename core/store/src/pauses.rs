//! Named points between the statements of the store's write transactions
//! where a test can pause one transaction while another one runs (built
//! with the `test-support` feature only; otherwise every point is a no-op
//! that compiles to nothing). The store's interleaving tests use them to
//! run a lease expiry at each point of a step's end, and the reverse.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a test does when the current task reaches a point: it gets the
/// point's name and the returned future is awaited before the transaction
/// goes on.
pub type PauseHook = Arc<dyn Fn(&'static str) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[cfg(feature = "test-support")]
tokio::task_local! {
    static HOOK: PauseHook;
}

/// Runs `work` with `hook` called at every pause point that `work` (this
/// task only, not tasks it spawns) reaches.
#[cfg(feature = "test-support")]
pub async fn with_pauses<T>(hook: PauseHook, work: impl Future<Output = T>) -> T {
    HOOK.scope(hook, work).await
}

/// A pause point (see the module docs).
#[cfg_attr(not(feature = "test-support"), allow(unused_variables))]
#[inline]
pub(crate) async fn point(name: &'static str) {
    #[cfg(feature = "test-support")]
    if let Ok(hook) = HOOK.try_with(Arc::clone) {
        hook(name).await;
    }
}
