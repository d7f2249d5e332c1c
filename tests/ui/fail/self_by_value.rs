#[derive(Default)]
pub struct Once;

#[uactor::actor]
impl Once {
    pub fn consume(self) -> u8 {
        1
    }

    pub fn boxed(self: Box<Self>) -> u8 {
        2
    }
}

fn main() {}
