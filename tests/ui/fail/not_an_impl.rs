#[uactor::actor]
pub struct Counter {
    n: i64,
}

#[uactor::actor]
fn free() {}

fn main() {}
