//! Generated names follow the user's and never warn: the handle of `m` is
//! `m_ref` (`pid__ref` for `pid_`), and a proxy named after a type that
//! allows a lower-case name compiles under `#![deny(warnings)]` too.
#![deny(warnings)]

#[derive(Default)]
#[allow(non_camel_case_types)]
pub struct raw_counter;

#[uactor::actor]
impl raw_counter {
    pub fn pid_(&self) -> u32 {
        7
    }

    #[allow(non_snake_case)]
    pub fn Total(&self) -> u64 {
        0
    }
}

#[uactor::interface]
pub trait Tally {
    fn count_(&self) -> u64;
}

#[derive(Default)]
pub struct Table;

#[uactor::remote]
impl Table {
    pub fn len_(&self) -> usize {
        0
    }
}

fn main() {
    uactor::init();
    let _: fn(&raw_counterProxy) -> uactor::Result<u32> = raw_counterProxy::pid_;
    let _: fn(&raw_counterProxy) -> uactor::Method<(), u32> = raw_counterProxy::pid__ref;
    let _: fn(&raw_counterProxy) -> uactor::Method<(), u64> = raw_counterProxy::Total_ref;
    let _: fn(&raw_counterProxy) -> u32 = raw_counterProxy::pid;
    let _: fn(&TallyProxy) -> uactor::Method<(), u64> = TallyProxy::count__ref;
    let _: fn(&TableProxy) -> uactor::Method<(), usize> = TableProxy::len__ref;
}
