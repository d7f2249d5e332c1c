//! A custom typeid is the type's name: `actor`, `auto` and the built-in
//! typeids are taken.
#![allow(non_camel_case_types)]

pub struct actor;
pub struct auto;
pub struct Event;

#[uactor::remote]
impl actor {}
#[uactor::remote]
impl auto {}
#[uactor::remote]
impl Event {}

#[derive(Default)]
pub struct Store;

#[uactor::actor(proxies(actor, auto, Event))]
impl Store {}

fn main() {}
