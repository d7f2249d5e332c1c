pub struct Table<T>(Vec<T>);

#[uactor::remote]
impl<T> Table<T> {
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

pub struct Scores(Table<u32>);

#[uactor::remote]
impl Table<u32> {
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }
}

fn main() {}
