//! An actor with `async fn` methods is shared while they wait, so it must
//! be `Send` and `Sync`; the one error says so, at the actor's impl block.

use std::cell::Cell;

#[derive(Default)]
pub struct Ticker {
    ticks: Cell<u32>,
}

#[uactor::actor]
impl Ticker {
    pub async fn tick(&self) -> u32 {
        self.ticks.set(self.ticks.get() + 1);
        self.ticks.get()
    }
}

fn main() {}
