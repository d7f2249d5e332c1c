//! Shutdown, drop, clones and the shutdown hook.

use std::time::Duration;

use tests::{Counter, Marker, alive, scratch, wait_gone};
use uactor::Error;

#[test]
fn shutdown_ends_and_reaps_the_process_before_it_returns() {
    let counter = Counter::spawn(0).unwrap();
    let pid = counter.pid();
    assert!(alive(pid));
    counter.shutdown().unwrap();
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "not reaped"
    );
    assert_eq!(counter.get(), Err(Error::Closed));
    assert_eq!(
        counter.shutdown(),
        Ok(()),
        "a second shutdown is not an error"
    );
}

#[test]
fn the_shutdown_hook_runs_on_shutdown_and_on_drop() {
    let path = scratch("hook-shutdown");
    let marker = Marker::spawn(path.display().to_string()).unwrap();
    assert!(marker.ping().unwrap());
    marker.shutdown().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "shutdown hook ran");
    let _ = std::fs::remove_file(&path);

    let path = scratch("hook-drop");
    let marker = Marker::spawn(path.display().to_string()).unwrap();
    let pid = marker.pid();
    drop(marker);
    assert!(wait_gone(pid, Duration::from_secs(1)).is_some());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "shutdown hook ran");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn dropping_the_last_owner_ends_the_actor_and_clones_share_ownership() {
    let counter = Counter::spawn(5).unwrap();
    let pid = counter.pid();
    let clone = counter.clone();
    drop(counter);
    assert!(alive(pid), "a clone still owns the actor");
    assert_eq!(clone.add(1).unwrap(), 6);
    let from_thread = std::thread::spawn({
        let clone = clone.clone();
        move || clone.add(1)
    })
    .join()
    .unwrap();
    assert_eq!(from_thread.unwrap(), 7);
    drop(clone);
    assert!(!alive(pid), "the last owner is gone, so is the actor");
}

#[test]
fn thirty_two_actors_spawn_and_shut_down_leaving_no_process() {
    let actors: Vec<_> = (0..32)
        .map(|i| std::thread::spawn(move || Counter::spawn(i)))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap().unwrap())
        .collect();
    let pids: Vec<u32> = actors.iter().map(|actor| actor.pid()).collect();
    let mut unique = pids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 32, "32 distinct processes");
    for (i, actor) in actors.iter().enumerate() {
        assert_eq!(actor.get().unwrap(), i as i64);
    }
    for actor in &actors {
        actor.shutdown().unwrap();
    }
    for pid in pids {
        assert!(!alive(pid), "actor {pid} outlived its shutdown");
    }
}

#[test]
fn a_connected_proxy_is_a_reference_not_an_owner() {
    let options = uactor::Options::new().authkey(b"shared secret");
    let owner = Counter::spawn_with(&options, 1).unwrap();
    let address = owner.address();
    let reference = Counter::connect(&address, b"shared secret").unwrap();
    assert_eq!(reference.pid(), owner.pid());
    assert_eq!(reference.add(1).unwrap(), 2);
    drop(reference);
    assert!(
        alive(owner.pid()),
        "dropping a reference leaves the actor running"
    );
    assert_eq!(owner.get().unwrap(), 2);

    assert!(matches!(
        Counter::connect(&address, b"wrong"),
        Err(Error::Auth { .. })
    ));
    assert!(matches!(
        tests::Marker::connect(&address, b"shared secret"),
        Err(Error::Proxy { .. })
    ));
}
