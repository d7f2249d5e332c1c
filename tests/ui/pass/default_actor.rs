//! An actor without `new` is built with `Default`, and `spawn` takes nothing.

#[derive(Default)]
pub struct Greeter;

#[uactor::actor]
impl Greeter {
    /// Says hello from the actor's process.
    pub fn hello(&self) -> String {
        format!("Hello from subprocess {}!", std::process::id())
    }
}

fn main() {
    uactor::init();
    let _: fn() -> uactor::Result<GreeterProxy> = Greeter::spawn;
    let _: fn(&uactor::Options) -> uactor::Result<GreeterProxy> = Greeter::spawn_with;
    let _: fn(&GreeterProxy) -> uactor::Result<String> = GreeterProxy::hello;
    // The built-ins, inherent and through the trait.
    let _: fn(&GreeterProxy) -> u32 = GreeterProxy::pid;
    let _: fn(&GreeterProxy) -> uactor::Address = GreeterProxy::address;
    let _: fn(&GreeterProxy) -> uactor::Result<()> = GreeterProxy::shutdown;
    let _: fn(&GreeterProxy) -> u32 = <GreeterProxy as uactor::Proxy>::pid;

    assert!(<Greeter as uactor::Actor>::NAME.ends_with("::Greeter"));
    assert_eq!(<Greeter as uactor::Actor>::method_name(0), Some("hello"));
    assert_eq!(<Greeter as uactor::Actor>::method_name(1), None);
}
