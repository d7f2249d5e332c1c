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
            ::core::result::Result::Ok(Plane { points: ::std::vec![first] })
        }

        pub fn add(&mut self, point: Point, call: u8, result: u8, method: u8) -> usize {
            let _ = (call, result, method);
            self.points.push(point);
            self.points.len()
        }

        pub fn last(&self) -> ::core::option::Option<Point> {
            self.points.last().map(|point| Point { x: point.x, y: point.y })
        }

        fn shutdown(&mut self) {}
    }

    #[derive(::core::default::Default)]
    pub struct Nothing;

    #[::uactor::actor]
    impl Nothing {}
}

fn main() {
    ::uactor::init();
    let _: fn(actors::Point) -> ::uactor::Result<actors::PlaneProxy> = actors::Plane::spawn;
    let _: fn() -> ::uactor::Result<actors::NothingProxy> = actors::Nothing::spawn;
}
