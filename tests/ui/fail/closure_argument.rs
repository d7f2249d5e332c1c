//! Closures and function pointers are code, which no other process can run:
//! they are refused with what to pass instead, not with serde's errors.

#[derive(Default)]
pub struct Events;

#[uactor::actor]
impl Events {
    pub fn on_event(&self, _callback: Box<dyn Fn(u32) -> u32 + Send>) {}

    pub fn handler(&self) -> fn(u32) -> u32 {
        |event| event
    }
}

fn main() {}
