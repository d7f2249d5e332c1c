//! The expansion is clean under strict lints: a crate that denies warnings
//! can use `#[uactor::actor]`.
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic
)]

/// The actors, in a module: `unreachable_pub` looks at the generated items.
pub mod inner {
    /// A counter.
    #[derive(Debug)]
    pub struct Counter {
        n: i64,
    }

    #[uactor::actor]
    impl Counter {
        /// Starts at `start`.
        pub fn new(start: i64) -> Self {
            Counter { n: start }
        }

        /// Adds `by`.
        pub fn add(&mut self, by: i64) -> i64 {
            self.n += by;
            self.n
        }

        /// Nothing to say.
        pub fn touch(&self) {}

        fn shutdown(&mut self) {
            self.n = 0;
        }
    }

    /// Built with `Default`, with no methods.
    #[derive(Debug, Default)]
    pub struct Idle;

    #[uactor::actor(proxies(Tally))]
    impl Idle {}

    /// A count kept in an actor.
    #[derive(Debug)]
    pub struct Tally {
        count: u64,
    }

    #[uactor::remote]
    impl Tally {
        /// Adds `by`.
        pub fn add(&mut self, by: u64) -> u64 {
            self.count += by;
            self.count
        }
    }

    /// Nothing inside.
    #[derive(Debug)]
    pub struct Empty;

    #[uactor::remote]
    impl Empty {}

    /// Things with an area.
    #[uactor::interface]
    pub trait Shape {
        /// The area.
        fn area(&self) -> u64;
    }

    /// Nothing to implement.
    #[uactor::interface]
    pub trait Marker {}

    #[uactor::actor]
    impl Shape for Counter {
        fn area(&self) -> u64 {
            self.n.unsigned_abs()
        }
    }

    #[uactor::actor]
    impl Marker for Idle {}
}

fn main() {
    uactor::init();
    let _: fn(i64) -> uactor::Result<inner::CounterProxy> = inner::Counter::spawn;
    let _: fn() -> uactor::Result<inner::IdleProxy> = inner::Idle::spawn;
    let _: fn(inner::CounterProxy) -> inner::ShapeProxy = Into::into;
    let _: fn(inner::IdleProxy) -> inner::MarkerProxy = Into::into;
}
