pub struct Odd;

#[uactor::actor]
impl Odd {
    pub fn new() -> Option<Self> {
        Some(Odd)
    }

    fn shutdown(&mut self, _code: i32) {}
}

fn main() {}
