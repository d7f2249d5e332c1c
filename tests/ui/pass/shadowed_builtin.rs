//! An exposed method named like a built-in takes its place on the proxy;
//! the built-in stays reachable through `uactor::Proxy`.

#[derive(Default)]
pub struct Worker;

#[uactor::actor]
impl Worker {
    /// The worker's own idea of a pid.
    pub fn pid(&self) -> String {
        "worker".to_owned()
    }

    /// An exposed `shutdown` (it is `pub`): not the hook.
    pub fn shutdown(&mut self, code: i32) -> i32 {
        code
    }
}

fn use_proxy(worker: &WorkerProxy) -> uactor::Result<()> {
    let _: String = worker.pid()?;
    let _: u32 = uactor::Proxy::pid(worker);
    let _: i32 = worker.shutdown(3)?;
    uactor::Proxy::shutdown(worker)?;
    let _: uactor::Address = worker.address();
    let copy: WorkerProxy = worker.clone();
    let _ = format!("{copy:?}");
    Ok(())
}

fn main() {
    uactor::init();
    let _ = use_proxy;
    assert_eq!(<Worker as uactor::Actor>::method_name(0), Some("pid"));
    assert_eq!(<Worker as uactor::Actor>::method_name(1), Some("shutdown"));
}
