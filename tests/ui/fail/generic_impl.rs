#[derive(Default)]
pub struct Holder<T>(T);

#[uactor::actor]
impl<T> Holder<T> {
    pub fn ping(&self) -> bool {
        true
    }
}

fn main() {}
