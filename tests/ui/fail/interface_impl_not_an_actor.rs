//! An interface implemented by a type that is not an actor.

#[uactor::interface]
pub trait Feline {
    fn greet(&self) -> String;
}

pub struct Statue;

#[uactor::actor]
impl Feline for Statue {
    fn greet(&self) -> String {
        "...".to_owned()
    }
}

fn main() {}
