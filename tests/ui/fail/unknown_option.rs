#[derive(Default)]
pub struct Options;

#[uactor::actor]
impl Options {
    #[uactor(hidden)]
    pub fn get(&self) -> u8 {
        1
    }
}

fn main() {}
