//! Observability: an actor's counters (`uactor::observe::stats`), the actors a
//! process owns (`uactor::observe::actors`), and, with the `tracing` feature, one
//! trace across the caller's and the actor's processes.

use std::time::{Duration, Instant};

use uactor::observe::ActorState;
use uactor::{Error, Exit};

/// An actor whose counters the tests read.
#[derive(Debug, Default)]
pub struct Watched {
    calls: u64,
}

#[uactor::actor]
impl Watched {
    /// Counts one call.
    pub fn touch(&mut self) -> u64 {
        self.calls += 1;
        self.calls
    }

    /// Panics.
    pub fn explode(&self) -> u64 {
        panic!("on purpose")
    }

    /// Shadows nothing: stats are a frame of their own, not a method.
    pub fn stats(&self) -> String {
        "the actor's own".to_owned()
    }

    /// Stays in flight for `ms` milliseconds.
    pub async fn linger(&self, ms: u64) -> u64 {
        uactor::sleep(Duration::from_millis(ms)).await;
        ms
    }

    /// Keeps `megabytes` of touched memory for good.
    pub fn allocate(&mut self, megabytes: usize) -> usize {
        let block = vec![1u8; megabytes << 20];
        let touched = block.iter().step_by(4096).map(|&byte| byte as usize).sum();
        std::mem::forget(block);
        touched
    }
}

#[test]
fn stats_count_calls_and_panics_and_are_not_a_method() {
    let watched = Watched::spawn_with(&tests::quiet()).unwrap();
    for _ in 0..5 {
        watched.touch().unwrap();
    }
    assert!(matches!(watched.explode(), Err(Error::Remote { .. })));
    assert_eq!(
        watched.stats().unwrap(),
        "the actor's own",
        "the actor's method wins on the proxy"
    );
    let stats = uactor::observe::stats(&watched).unwrap();
    assert_eq!(stats.pid, watched.pid());
    assert_eq!(
        stats.calls, 7,
        "five touches, one panic, one `stats` method: {stats:?}"
    );
    assert_eq!(
        (stats.errors, stats.panics, stats.in_flight),
        (0, 1, 0),
        "{stats:?}"
    );
    assert_eq!(stats.connections, 1, "the owner's: {stats:?}");
    assert!(stats.uptime > Duration::ZERO);
    let later = uactor::observe::stats(&watched).unwrap();
    assert!(later.uptime > stats.uptime);
    assert_eq!(later.calls, stats.calls, "asking for stats is not a call");
}

#[test]
fn stats_see_async_calls_in_flight_and_resident_memory_grow() {
    let watched = Watched::spawn().unwrap();
    let before = uactor::observe::stats(&watched)
        .unwrap()
        .resident_memory
        .expect("Linux reports VmRSS");
    let lingering = watched.linger(2_000).unwrap();
    let stats = uactor::observe::stats(&watched).unwrap();
    assert_eq!(stats.in_flight, 1, "{stats:?}");
    assert_eq!(lingering.get().unwrap(), 2_000);
    assert_eq!(uactor::observe::stats(&watched).unwrap().in_flight, 0);
    watched.allocate(64).unwrap();
    let after = uactor::observe::stats(&watched)
        .unwrap()
        .resident_memory
        .unwrap();
    assert!(
        after >= before + (60 << 20),
        "resident memory grew from {before} to {after} bytes"
    );
}

#[test]
fn actors_lists_what_this_process_owns_and_how_it_ended() {
    let first = Watched::spawn().unwrap();
    let second = Watched::spawn().unwrap();
    let state = |pid: u32| {
        uactor::observe::actors()
            .into_iter()
            .find(|actor| actor.pid == pid)
            .map(|actor| (actor.name, actor.state))
    };
    let (name, running) = state(first.pid()).expect("listed");
    assert!(name.ends_with("::Watched"), "{name}");
    assert_eq!(running, ActorState::Running);
    assert_eq!(
        state(second.pid()).map(|(_, state)| state),
        Some(ActorState::Running)
    );

    first.shutdown().unwrap();
    assert_eq!(
        state(first.pid()).map(|(_, state)| state),
        Some(ActorState::Exited {
            status: Exit::Code(0)
        })
    );

    tests::kill9(second.pid());
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(second.pid()).map(|(_, state)| state) == Some(ActorState::Running) {
        assert!(Instant::now() < deadline, "the reaper did not see the kill");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        state(second.pid()).map(|(_, state)| state),
        Some(ActorState::Exited {
            status: Exit::Signal(9)
        })
    );

    let pids = (first.pid(), second.pid());
    drop((first, second));
    assert_eq!(
        (state(pids.0), state(pids.1)),
        (None, None),
        "dropped owners are not listed"
    );
}

#[test]
fn a_proxy_that_does_not_own_its_actor_is_not_listed() {
    let owner = Watched::spawn().unwrap();
    // The process tree's key: the one the owner holds.
    let reference =
        uactor::net::connect_with::<Watched>(&owner.address(), &uactor::Options::new()).unwrap();
    assert_eq!(reference.touch().unwrap(), 1);
    let listed = uactor::observe::actors()
        .into_iter()
        .filter(|actor| actor.pid == owner.pid())
        .count();
    assert_eq!(listed, 1);
}

#[cfg(feature = "tracing")]
pub mod tracing_across_processes {
    //! One trace across the caller's and the actor's processes.

    use std::sync::{Mutex, PoisonError};

    /// What this process's fmt layer printed.
    static PRINTED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    struct Capture;

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            PRINTED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn install() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("uactor=info")
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(|| Capture)
            .try_init();
    }

    uactor::on_actor_start!(install);

    fn printed() -> String {
        String::from_utf8_lossy(&PRINTED.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    /// An actor whose process records what its fmt layer prints.
    #[derive(Debug, Default)]
    pub struct Traced;

    #[uactor::actor]
    impl Traced {
        /// Its pid.
        pub fn hello(&self) -> u32 {
            std::process::id()
        }

        /// What the actor's fmt layer has printed so far.
        pub fn printed(&self) -> String {
            printed()
        }
    }

    /// The value of `field=` in `line`.
    fn field<'l>(line: &'l str, name: &str) -> Option<&'l str> {
        let start = line.find(&format!(" {name}="))? + name.len() + 2;
        line[start..].split(['}', ' ']).next()
    }

    #[test]
    fn the_serve_span_continues_the_callers_trace() {
        install();
        let traced = Traced::spawn().unwrap();
        assert_eq!(traced.hello().unwrap(), traced.pid());
        let caller = printed();
        let call = caller
            .lines()
            .find(|line| line.contains("call{") && line.contains("method=\"hello\""))
            .unwrap_or_else(|| panic!("no call span closed in the caller:\n{caller}"));
        let (trace_id, span_id) = (
            field(call, "trace_id").unwrap(),
            field(call, "span_id").unwrap(),
        );
        assert_eq!(trace_id.len(), 16, "{call}");

        let actor = traced.printed().unwrap();
        let serve = actor
            .lines()
            .find(|line| line.contains("serve{") && line.contains("method=\"hello\""))
            .unwrap_or_else(|| panic!("no serve span closed in the actor:\n{actor}"));
        assert_eq!(field(serve, "trace_id"), Some(trace_id), "{serve}");
        assert_eq!(field(serve, "parent_id"), Some(span_id), "{serve}");
        assert!(caller.contains("spawn{"), "{caller}");
    }
}
