#[derive(Default)]
pub struct Slow;

#[uactor::actor]
impl Slow {
    pub async fn nap(&self, ms: u64) -> u64 {
        ms
    }
}

fn main() {}
