#[derive(Default)]
pub struct Greeter;

#[uactor::actor]
impl Greeter {
    pub fn greet(&self, name: &str) -> String {
        format!("Hello, {name}!")
    }

    pub fn name(&self) -> &str {
        "greeter"
    }
}

fn main() {}
