//! The expansion names everything by its full path: it compiles where no
//! prelude is in scope (tarpc's `proc_macro_hygene.rs`).
#![no_implicit_prelude]

mod actors {
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct Point {
        pub x: i32,
        pub y: i32,
    }

    // Names the generated code uses, defined here to catch unqualified uses.
    #[allow(dead_code)]
    pub struct Option;
    #[allow(dead_code)]
    pub struct Result;
    #[allow(dead_code)]
    pub struct Ok;
    #[allow(dead_code)]
    pub struct Client;
    #[allow(dead_code)]
    pub trait Default {}

    pub struct Plane {
        points: ::std::vec::Vec<Point>,
    }

    #[::uactor::actor]
    impl Plane {
        pub fn new(first: Point) -> ::core::result::Result<Self, ::std::string::String> {
            ::core::result::Result::Ok(Plane {
                points: ::std::vec![first],
            })
        }

        pub fn add(&mut self, point: Point, call: u8, result: u8, method: u8) -> usize {
            let _ = (call, result, method);
            self.points.push(point);
            self.points.len()
        }

        pub fn last(&self) -> ::core::option::Option<Point> {
            self.points.last().map(|point| Point {
                x: point.x,
                y: point.y,
            })
        }

        fn shutdown(&mut self) {}
    }

    #[derive(::core::default::Default)]
    pub struct Nothing;

    #[::uactor::actor(proxies(Tally))]
    impl Nothing {}

    pub struct Tally {
        count: u64,
    }

    #[::uactor::remote]
    impl Tally {
        pub fn add(&mut self, point: Point, by: u64) -> ::core::option::Option<u64> {
            let _ = point;
            self.count += by;
            ::core::option::Option::Some(self.count)
        }

        pub fn later(&self) -> ::uactor::AsyncResult<u64> {
            let count = self.count;
            ::uactor::spawn_blocking(move || count)
        }
    }

    #[::uactor::interface]
    pub trait Shape {
        fn area(&self, scale: u8) -> ::core::result::Result<u64, ::std::string::String>;
        fn name(&self) -> ::std::string::String {
            ::std::string::String::new()
        }
    }

    #[::uactor::actor]
    impl Shape for Plane {
        fn area(&self, scale: u8) -> ::core::result::Result<u64, ::std::string::String> {
            ::core::result::Result::Ok(
                self.points.len() as u64 * <u64 as ::core::convert::From<u8>>::from(scale),
            )
        }
    }
}

fn main() {
    ::uactor::init();
    let _: fn(actors::Point) -> ::uactor::Result<actors::PlaneProxy> = actors::Plane::spawn;
    let _: fn() -> ::uactor::Result<actors::NothingProxy> = actors::Nothing::spawn;
    let _: fn(actors::PlaneProxy) -> actors::ShapeProxy = ::core::convert::Into::into;
    let _: fn(
        &actors::TallyProxy,
    ) -> ::uactor::Method<(actors::Point, u64), ::core::option::Option<u64>> =
        actors::TallyProxy::add_ref;
}
