//! The host and the client over the in-memory transport: the call path
//! without processes.

use std::thread;
use std::time::{Duration, Instant};

use std::sync::Arc;

use uactor_core::transport::memory::Memory;
use uactor_core::{Actor, Address, Backend, Call, Cell, Error, Proxy, Result};
use uactor_transport::Authkey;

use super::*;
use crate::call::Client;
use crate::options::Options;

/// A hand-written actor: what the macro generates, reduced.
struct Echo {
    calls: u64,
    hook: std::sync::mpsc::Sender<&'static str>,
}

#[derive(Debug, Clone)]
struct EchoProxy;

impl Proxy for EchoProxy {
    type Async = ();
    fn to_async(&self) {}
    fn pid(&self) -> u32 {
        0
    }
    fn address(&self) -> Address {
        Address::Memory(String::new())
    }
    fn shutdown(&self) -> Result<()> {
        Ok(())
    }
    fn stats(&self) -> Result<uactor_core::Stats> {
        Ok(uactor_core::Stats::default())
    }
    fn generation(&self) -> u64 {
        0
    }
    fn from_token(_: uactor_core::Token) -> Result<Self> {
        Ok(EchoProxy)
    }
}

impl Actor for Echo {
    type Proxy = EchoProxy;
    type Cell = uactor_core::MutexCell<Echo>;
    type Args = ();
    const NAME: &'static str = "tests::Echo";

    fn construct(_: ()) -> Result<Self> {
        unreachable!("built by the test")
    }

    fn cell(self) -> Self::Cell {
        uactor_core::MutexCell::new(self)
    }

    fn dispatch(cell: &Arc<Self::Cell>, method: u16, call: &mut Call<'_>) -> Result<()> {
        if method == 4 {
            // Deferred: answers after `ms`, without holding up other calls.
            let ms: u64 = call.args()?;
            let codec = call.codec();
            call.defer(Box::new(move || {
                Box::pin(async move {
                    crate::host::sleep(Duration::from_millis(ms)).await;
                    let mut out = Vec::new();
                    codec.encode(&ms, &mut out)?;
                    Ok(out)
                })
            }));
            return Ok(());
        }
        cell.with(|this| this.serve(method, call))
    }

    fn on_shutdown(&mut self) {
        let _ = self.hook.send("hook ran");
    }

    fn method_name(_: u16) -> Option<&'static str> {
        None
    }
}

impl Echo {
    fn serve(&mut self, method: u16, call: &mut Call<'_>) -> Result<()> {
        self.calls += 1;
        match method {
            0 => {
                let text: String = call.args()?;
                call.reply(&text)
            }
            1 => {
                let ms: u64 = call.args()?;
                thread::sleep(Duration::from_millis(ms));
                call.reply(&ms)
            }
            2 => panic!("echo exploded"),
            3 => call.reply(&self.calls),
            _ => Err(Error::protocol("no such method")),
        }
    }
}

fn serve() -> (Address, Authkey, std::sync::mpsc::Receiver<&'static str>) {
    let authkey = Authkey::new(b"test key").unwrap();
    let (hook, hooked) = std::sync::mpsc::channel();
    let listener = Memory.listen().unwrap();
    let address = listener.address();
    let settings = HostSettings {
        authkey: authkey.clone(),
        served: Echo::NAME,
        serving: super::Serving::of(
            &crate::Options::new()
                .max_frame_size(1 << 20)
                .handshake_timeout(Duration::from_secs(2)),
        ),
    };
    thread::spawn(move || {
        Host::new(
            Box::new(ActorManager::new(Echo { calls: 0, hook })),
            settings,
        )
        .run(listener)
    });
    (address, authkey, hooked)
}

fn connect(address: &Address, authkey: &Authkey, options: &Options) -> Client {
    Client::connect(Echo::NAME, address.clone(), authkey, options).unwrap()
}

#[test]
fn calls_panics_and_shutdown_over_memory() {
    let (address, authkey, hooked) = serve();
    let client = connect(&address, &authkey, &Options::new());
    let other = connect(&address, &authkey, &Options::new());
    assert_eq!(client.call::<_, String>(0, "hello").unwrap(), "hello");
    match client.call::<_, ()>(2, &()) {
        Err(Error::Remote { message }) => assert!(message.contains("echo exploded"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.call::<_, u64>(3, &()).unwrap(),
        3,
        "the actor kept serving"
    );
    assert!(matches!(
        client.call::<_, String>(0, &42u64),
        Err(Error::Codec { .. })
    ));

    client.shutdown().unwrap();
    assert_eq!(
        hooked.recv_timeout(Duration::from_secs(1)).unwrap(),
        "hook ran"
    );
    assert_eq!(client.call::<_, u64>(3, &()), Err(Error::Closed));
    assert_eq!(
        other.call::<_, u64>(3, &()),
        Err(Error::Closed),
        "others are told goodbye"
    );
}

#[test]
fn a_wrong_key_is_refused() {
    let (address, _, _) = serve();
    let wrong = Authkey::new(b"wrong").unwrap();
    let refused = Client::connect(Echo::NAME, address.clone(), &wrong, &Options::new());
    assert!(matches!(refused, Err(Error::Auth { .. })), "{refused:?}");
    let right = Authkey::new(b"test key").unwrap();
    let mistaken = Client::connect("tests::Other", address, &right, &Options::new());
    assert!(matches!(mistaken, Err(Error::Proxy { .. })), "{mistaken:?}");
}

#[test]
fn replies_reach_their_callers_across_threads() {
    let (address, authkey, _) = serve();
    let client = connect(&address, &authkey, &Options::new());
    thread::scope(|scope| {
        for thread in 0..8 {
            let client = &client;
            scope.spawn(move || {
                for call in 0..200 {
                    let text = format!("{thread}-{call}");
                    assert_eq!(client.call::<_, String>(0, &text).unwrap(), text);
                }
            });
        }
    });
}

#[test]
fn a_late_reply_is_never_handed_to_a_later_call() {
    let (address, authkey, _) = serve();
    let client = connect(
        &address,
        &authkey,
        &Options::new().call_timeout(Duration::from_millis(50)),
    );
    let started = Instant::now();
    assert!(matches!(
        client.call::<_, u64>(1, &300u64),
        Err(Error::Timeout { .. })
    ));
    assert!(started.elapsed() < Duration::from_millis(250));
    // The host is still asleep on the first call; this one waits behind it
    // and must get its own reply, not the late one.
    let options = Options::new().call_timeout(Duration::from_secs(2));
    let patient = connect(&address, &authkey, &options);
    assert_eq!(patient.call::<_, String>(0, "mine").unwrap(), "mine");
    assert_eq!(client.call::<_, u64>(1, &1u64).unwrap(), 1);
}

#[test]
fn an_oversized_argument_is_refused_before_it_is_sent() {
    let (address, authkey, _) = serve();
    let client = connect(&address, &authkey, &Options::new().max_frame_size(1024));
    let big = "x".repeat(4096);
    assert!(matches!(
        client.call::<_, String>(0, &big),
        Err(Error::FrameTooLarge { .. })
    ));
    assert_eq!(client.call::<_, String>(0, "small").unwrap(), "small");
}

#[test]
fn deferred_replies_come_back_out_of_order_to_futures_and_handles() {
    let (address, authkey, _) = serve();
    let client = connect(&address, &authkey, &Options::new());
    let started = Instant::now();
    let slow = client.start::<_, u64>(4, &300u64).unwrap();
    let fast = client.start::<_, u64>(4, &10u64).unwrap();
    assert!(!slow.ready());
    assert_eq!(fast.get().unwrap(), 10);
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "the fast one did not wait for the slow one"
    );
    assert!(!slow.wait_timeout(Duration::from_millis(10)).unwrap());
    slow.wait().unwrap();
    assert!(slow.ready());
    assert_eq!(slow.get().unwrap(), 300);

    // Futures, many in flight, each reaching its caller; one dropped early.
    let futures: Vec<_> = (0..50u64)
        .map(|i| client.call_async::<_, u64>(4, i % 5))
        .collect();
    let dropped = client.call_async::<_, u64>(4, 100u64);
    drop(dropped);
    let results = futures::executor::block_on(futures::future::join_all(futures));
    for (i, result) in results.into_iter().enumerate() {
        assert_eq!(result.unwrap(), i as u64 % 5);
    }
    // Blocking calls still work once a reader thread serves the connection.
    assert_eq!(client.call::<_, String>(0, "after").unwrap(), "after");
}

#[test]
fn blocking_callers_pass_the_reading_role_on_and_get_replies_out_of_order() {
    // The first caller reads for everyone and its reply comes first, so the
    // role must pass to one of the callers still waiting; the others'
    // replies come in the opposite order to their calls, each handed to its
    // own caller by whoever reads. The deadline turns a lost wake-up into a
    // failure instead of a hang.
    let (address, authkey, _) = serve();
    let options = Options::new().call_timeout(Duration::from_secs(3));
    let client = connect(&address, &authkey, &options);
    let started = Instant::now();
    thread::scope(|scope| {
        let callers: Vec<_> = (0..8u64)
            .map(|turn| {
                let client = &client;
                let ms = if turn == 0 { 100 } else { (9 - turn) * 100 };
                let caller =
                    scope.spawn(move || (ms, client.call::<_, u64>(4, &ms), started.elapsed()));
                thread::sleep(Duration::from_millis(10));
                caller
            })
            .collect();
        for caller in callers {
            let (ms, answer, at) = caller.join().unwrap();
            assert_eq!(answer, Ok(ms), "the caller of a {ms} ms wait");
            assert!(
                at < Duration::from_millis(ms + 1_000),
                "the caller of a {ms} ms wait was woken only after {at:?}"
            );
        }
    });
}
