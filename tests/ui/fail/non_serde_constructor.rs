pub struct NotSerde;

pub struct Built;

#[uactor::actor]
impl Built {
    pub fn new(_seed: NotSerde) -> Self {
        Built
    }
}

pub struct Pair;

#[uactor::actor]
impl Pair {
    pub fn new(_count: u32, _seed: NotSerde) -> Self {
        Pair
    }
}

fn main() {}
