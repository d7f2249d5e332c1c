#[derive(Default)]
pub struct Store;

#[uactor::actor(proxies(Data))]
impl Store {
    pub fn get(&self) -> u8 {
        1
    }
}

fn main() {}
