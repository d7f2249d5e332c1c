pub struct NoConstructor {
    n: i64,
}

#[uactor::actor]
impl NoConstructor {
    pub fn get(&self) -> i64 {
        self.n
    }
}

fn main() {}
