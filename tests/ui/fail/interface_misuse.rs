#[uactor::interface]
pub struct NotATrait;

#[uactor::interface(name = "x")]
pub trait Generic<T> {
    fn get(&self) -> T;
}

#[uactor::interface]
pub trait Shape {
    fn grow(&self, other: Self) -> bool;
    async fn area(&self) -> f64;
    fn name(&self) -> &str;
    fn consume(self);
}

pub trait Plain {}

pub struct Square;

#[uactor::interface]
impl Plain for Square {}

fn main() {}
