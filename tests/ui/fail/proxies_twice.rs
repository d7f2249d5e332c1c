//! Each custom typeid is listed once.

pub struct Data;

#[uactor::remote]
impl Data {}

#[derive(Default)]
pub struct Store;

#[uactor::actor(proxies(Data, self::Data))]
impl Store {}

fn main() {}
