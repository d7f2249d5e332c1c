#[derive(Default)]
pub struct Store;

#[uactor::actor]
impl Store {
    pub fn put<T: serde::Serialize>(&self, _value: T) {}

    pub fn put_into(&self, _value: impl Into<String>) {}

    pub fn items(&self) -> impl Iterator<Item = u8> {
        std::iter::empty()
    }
}

fn main() {}
