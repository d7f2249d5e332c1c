pub struct NotSerde;

#[derive(Default)]
pub struct Source;

#[uactor::actor]
impl Source {
    pub fn make(&self) -> Vec<NotSerde> {
        Vec::new()
    }
}

fn main() {}
