pub struct NotSerde;

#[derive(Default)]
pub struct Sink;

#[uactor::actor]
impl Sink {
    pub fn take(&self, _value: NotSerde) {}
}

fn main() {}
