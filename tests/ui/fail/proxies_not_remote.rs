//! `proxies(...)` lists `#[uactor::remote]` types only.

pub struct Plain;

#[derive(Default)]
pub struct Store;

#[uactor::actor(proxies(Plain))]
impl Store {}

fn main() {}
