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

    #[uactor::actor]
    impl Idle {}
}

fn main() {
    uactor::init();
    let _: fn(i64) -> uactor::Result<inner::CounterProxy> = inner::Counter::spawn;
    let _: fn() -> uactor::Result<inner::IdleProxy> = inner::Idle::spawn;
}
