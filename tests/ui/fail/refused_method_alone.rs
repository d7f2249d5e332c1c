//! A refused method is the only error: the rest of the actor is generated,
//! so the crate's uses of `spawn`, the proxy and its other methods compile.

#[derive(Default)]
pub struct Greeter;

#[uactor::actor]
impl Greeter {
    pub fn greet(&self, name: &str) -> String {
        format!("Hello, {name}!")
    }

    pub fn count(&self) -> u32 {
        1
    }
}

fn use_proxy(greeter: &GreeterProxy) -> uactor::Result<u32> {
    let _: uactor::future::CallFuture<u32> = greeter.to_async().count();
    let _: uactor::Method<(), u32> = greeter.count_ref();
    greeter.count()
}

fn main() -> uactor::Result<()> {
    uactor::init();
    let greeter = Greeter::spawn()?;
    let _ = Greeter::spawn_with(&uactor::Options::new())?;
    use_proxy(&greeter)?;
    greeter.shutdown()
}
