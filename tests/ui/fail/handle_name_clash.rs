//! Every exposed method `m` gets a handle `m_ref` on the proxy: a method
//! with that name is refused, naming both, and is the only error.

#[derive(Default)]
pub struct Logger;

#[uactor::actor]
impl Logger {
    pub fn log(&self, line: String) -> usize {
        line.len()
    }

    pub fn log_ref(&self) -> u8 {
        0
    }
}

fn main() -> uactor::Result<()> {
    uactor::init();
    let logger = Logger::spawn()?;
    let _: usize = logger.log("hello".to_owned())?;
    let _: u8 = logger.log_ref()?;
    logger.shutdown()
}
