//! Arguments are written one by one wherever a program passes them:
//! `spawn`, `pool`, proxy calls and method handles; the tuple forms of the
//! API contract (`Pool::spawn(n, args)`, a handle's `call((x,))`) still
//! work, and a method named `pool` leaves the shortcut out, unrefused.

pub struct Point {
    x: i64,
    y: i64,
}

#[uactor::actor]
impl Point {
    pub fn new(x: i64, y: i64) -> Self {
        Point { x, y }
    }

    pub fn moved(&self, dx: i64, dy: i64) -> (i64, i64) {
        (self.x + dx, self.y + dy)
    }

    pub fn scaled(&self, by: i64) -> i64 {
        self.x * by
    }

    pub fn origin(&self) -> bool {
        self.x == 0 && self.y == 0
    }

    pub fn label(&self, name: String) -> String {
        name
    }
}

#[derive(Default)]
pub struct Swimmer;

#[uactor::actor]
impl Swimmer {
    /// An exposed method named like the shortcut: the macro leaves
    /// `Swimmer::pool` out.
    pub fn pool(&self) -> String {
        "indoor".to_owned()
    }
}

fn starts() -> uactor::Result<()> {
    let point: PointProxy = Point::spawn(1, 2)?;
    let _: PointProxy = Point::spawn_with(&uactor::Options::new(), 1, 2)?;
    let _: uactor::Pool<Point> = Point::pool(4, 1, 2)?;
    let _: uactor::Pool<Point> = Point::pool_with(&uactor::Options::new(), 4, 1, 2)?;
    let _: uactor::Pool<Point> = uactor::Pool::<Point>::spawn(4, (1, 2))?;
    let _: uactor::Pool<Swimmer> = uactor::Pool::<Swimmer>::spawn(2, ())?;
    let _: String = Swimmer::spawn()?.pool()?;

    let _: (i64, i64) = point.moved(3, 4)?;
    let moved: uactor::Method<(i64, i64), (i64, i64)> = point.moved_ref();
    let _: (i64, i64) = moved.call(3, 4)?;
    let _: uactor::AsyncResult<(i64, i64)> = moved.start(3, 4)?;
    let _: uactor::future::CallFuture<(i64, i64)> = moved.call_async(3, 4);
    let _: (i64, i64) = moved.call_args((3, 4))?;

    let scaled: uactor::Method<(i64,), i64> = point.scaled_ref();
    let _: i64 = scaled.call(2)?;
    let _: i64 = scaled.call((2,))?;
    let _: uactor::AsyncResult<i64> = scaled.start(2)?;
    let _: uactor::future::CallFuture<i64> = scaled.call_async(2);

    let origin: uactor::Method<(), bool> = point.origin_ref();
    let _: bool = origin.call()?;
    let _: uactor::AsyncResult<bool> = origin.start()?;
    let _: uactor::future::CallFuture<bool> = origin.call_async();

    let label: uactor::Method<(String,), String> = point.label_ref();
    let _: String = label.call("x".to_string())?;
    let _: String = label.call(("x".to_string(),))?;
    Ok(())
}

fn main() {
    uactor::init();
    let _ = starts;
}
