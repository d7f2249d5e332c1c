//! Callbacks: method handles (`proxy.m_ref()`, a `uactor::Method<Args, R>`)
//! and whole proxies travel to another actor, which calls back.

use std::time::Duration;

use uactor::{Method, Proxy, Shared};

/// Calls back whatever it is handed.
#[derive(Debug, Default)]
pub struct Caller;

#[uactor::actor]
impl Caller {
    /// Calls `target` with "ping" (Python uActor's `target('ping')`).
    pub fn send(&self, target: Method<(String,), String>) -> uactor::Result<String> {
        target.call(("ping".to_string(),))
    }

    /// Calls `target` twice with `by`.
    pub fn add_twice(&self, target: Method<(i64,), i64>, by: i64) -> uactor::Result<i64> {
        target.call((by,))?;
        target.call((by,))
    }

    /// Calls a whole proxy it was given.
    pub fn send_to(&self, target: ReceiverProxy) -> uactor::Result<String> {
        target.receive("ping".to_string())
    }

    /// Passes a handle on to another actor: it travels twice.
    pub fn relay(
        &self,
        via: CallerProxy,
        target: Method<(String,), String>,
    ) -> uactor::Result<String> {
        via.send(target)?
    }
}

/// Answers pings and remembers them.
#[derive(Debug, Default)]
pub struct Receiver {
    received: Vec<String>,
}

#[uactor::actor]
impl Receiver {
    /// "pong" for "ping", "error" for anything else.
    pub fn receive(&mut self, value: String) -> String {
        self.received.push(value.clone());
        if value == "ping" {
            "pong".into()
        } else {
            "error".into()
        }
    }

    /// Every value received so far.
    pub fn received(&self) -> Vec<String> {
        self.received.clone()
    }

    /// Echoes `value` after a short wait, concurrently.
    pub async fn slow_echo(&self, value: String) -> String {
        uactor::sleep(Duration::from_millis(20)).await;
        value
    }

    /// A new tally, handed out by proxy.
    pub fn tally(&self) -> uactor::Result<TallyProxy> {
        uactor::proxy(&Shared::new(Tally { count: 0 }))
    }
}

/// A count kept in an actor.
#[derive(Debug)]
pub struct Tally {
    count: i64,
}

#[uactor::remote]
impl Tally {
    /// Adds `by`.
    pub fn add(&mut self, by: i64) -> i64 {
        self.count += by;
        self.count
    }
}

#[test]
fn python_uactors_callback_example_pings_and_pongs() {
    let a = Caller::spawn().unwrap();
    let b = Receiver::spawn().unwrap();
    assert_eq!(a.send(b.receive_ref()).unwrap().unwrap(), "pong");
    assert_eq!(a.send_to(b.clone()).unwrap().unwrap(), "pong");
    assert_eq!(b.received().unwrap(), ["ping", "ping"]);
}

#[test]
fn a_handle_is_called_here_too_and_reports_its_address() {
    let b = Receiver::spawn().unwrap();
    let receive = b.receive_ref();
    assert_eq!(receive.call(("nope".to_owned(),)).unwrap(), "error");
    assert_eq!(receive.address(), b.address());
    assert_eq!(receive.clone().call(("ping".to_owned(),)).unwrap(), "pong");
    assert!(format!("{receive:?}").contains("Method"));
}

#[test]
fn a_handle_travels_through_two_actors() {
    let first = Caller::spawn().unwrap();
    let second = Caller::spawn().unwrap();
    let b = Receiver::spawn().unwrap();
    assert_eq!(
        first.relay(second, b.receive_ref()).unwrap().unwrap(),
        "pong"
    );
    assert_eq!(b.received().unwrap(), ["ping"]);
}

#[test]
fn a_handle_on_an_async_method_gives_the_final_value() {
    let b = Receiver::spawn().unwrap();
    let echo: Method<(String,), String> = b.slow_echo_ref();
    assert_eq!(echo.call(("hello".to_owned(),)).unwrap(), "hello");
    let started = echo.start(("later".to_owned(),)).unwrap();
    assert_eq!(started.get().unwrap(), "later");
    assert_eq!(
        futures::executor::block_on(echo.call_async(("future".to_owned(),))).unwrap(),
        "future"
    );
}

#[test]
fn a_handle_on_an_object_method_mutates_the_object_in_its_actor() {
    let a = Caller::spawn().unwrap();
    let b = Receiver::spawn().unwrap();
    let tally = b.tally().unwrap();
    assert_eq!(a.add_twice(tally.add_ref(), 5).unwrap().unwrap(), 10);
    assert_eq!(
        tally.add(1).unwrap(),
        11,
        "the object in `b` was changed by `a`"
    );
}

#[test]
fn the_owners_handle_keeps_the_actor_alive() {
    let b = Receiver::spawn().unwrap();
    let pid = b.pid();
    let receive = b.receive_ref();
    drop(b);
    assert_eq!(receive.call(("ping".to_owned(),)).unwrap(), "pong");
    drop(receive);
    assert!(
        tests::wait_gone(pid, Duration::from_secs(10)).is_some(),
        "the actor outlived its last owner"
    );
}

#[test]
fn a_handle_that_travelled_is_a_reference_not_an_owner() {
    let a = Caller::spawn().unwrap();
    let b = Receiver::spawn().unwrap();
    assert_eq!(a.send(b.receive_ref()).unwrap().unwrap(), "pong");
    // `a` dropped its copy; `b` still serves its owner.
    assert_eq!(b.receive("ping".into()).unwrap(), "pong");
    Proxy::shutdown(&b).unwrap();
}
