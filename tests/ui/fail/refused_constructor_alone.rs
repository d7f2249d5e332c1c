//! A refused constructor is the only error: `spawn` still takes its
//! parameters, so the crate's calls of `spawn` and the proxy compile.

pub struct Named {
    name: String,
}

#[uactor::actor]
impl Named {
    pub fn new(name: &str) -> Self {
        Named {
            name: name.to_owned(),
        }
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }
}

fn main() -> uactor::Result<()> {
    uactor::init();
    let named: NamedProxy = Named::spawn("cat")?;
    let _ = Named::spawn_with(&uactor::Options::new(), "dog")?;
    let _: String = named.name()?;
    named.shutdown()
}
