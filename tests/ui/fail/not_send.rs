//! An actor moves between the threads of its process, so it must be
//! `Send`; the one error says so, at the actor's impl block.

use std::rc::Rc;

#[derive(Default)]
pub struct Shared {
    count: Rc<u32>,
}

#[uactor::actor]
impl Shared {
    pub fn get(&self) -> u32 {
        *self.count
    }
}

fn main() {}
