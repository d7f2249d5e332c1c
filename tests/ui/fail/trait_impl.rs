//! `#[uactor::actor]` on an impl of a trait that is not marked
//! `#[uactor::interface]`: the trait has no proxy, and the error names the
//! one the attribute on the trait would generate.

#[derive(Default)]
pub struct Cat;

#[uactor::actor]
impl Cat {}

pub trait Feline {
    fn greet(&self) -> String;
}

#[uactor::actor]
impl Feline for Cat {
    fn greet(&self) -> String {
        "meow".to_owned()
    }
}

fn main() {}
