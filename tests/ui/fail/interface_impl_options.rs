#[uactor::interface]
pub trait Feline {
    fn greet(&self) -> String;
}

#[derive(Default)]
pub struct Cat;

#[uactor::actor]
impl Cat {}

#[uactor::actor(proxies(Toy))]
impl Feline for Cat {
    #[uactor(skip)]
    fn greet(&self) -> String {
        "meow".to_owned()
    }
}

pub trait Named<T> {
    fn name(&self) -> T;
}

#[uactor::actor]
impl Named<String> for Cat {
    fn name(&self) -> String {
        "cat".to_owned()
    }
}

fn main() {}
