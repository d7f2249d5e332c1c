//! `async fn` methods and methods returning `uactor::AsyncResult<T>` give a
//! blocking caller a handle at once, and the async twin a future.

#[derive(Default)]
pub struct Slow;

#[uactor::actor]
impl Slow {
    pub async fn nap(&self, ms: u64) -> u64 {
        ms
    }

    pub fn later(&self) -> uactor::AsyncResult<String> {
        uactor::spawn_blocking(|| "done".to_owned())
    }
}

fn use_proxy(slow: &SlowProxy) -> uactor::Result<()> {
    let nap: uactor::AsyncResult<u64> = slow.nap(5)?;
    let _: u64 = nap.get()?;
    let _: uactor::AsyncResult<String> = slow.later()?;
    let _: uactor::future::CallFuture<u64> = slow.to_async().nap(5);
    // A handle waits for the final value.
    let _: uactor::Method<(u64,), u64> = slow.nap_ref();
    Ok(())
}

fn main() {
    uactor::init();
    let _ = use_proxy;
}
