#[derive(Default)]
pub struct Store;

#[uactor::actor(exposed(get))]
impl Store {
    pub fn get(&self) -> u8 {
        1
    }
}

#[derive(Default)]
pub struct Other;

#[uactor::actor(proxies)]
impl Other {}

fn main() {}
