#[derive(Default)]
pub struct Cat;

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
