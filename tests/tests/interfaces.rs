//! Interfaces (Python uActor's inheritance): a `#[uactor::interface]` trait's
//! proxy reaches every actor whose impl of it is marked `#[uactor::actor]`.

use std::time::Duration;

use uactor::{Error, Proxy};

/// What cats and tigers have in common.
#[uactor::interface]
pub trait Feline {
    /// Says hello from the actor's process.
    fn greet(&self) -> String;

    /// Renames the cat; the actor's state changes.
    fn rename(&mut self, name: String) -> String;

    /// Provided by the trait: served for every implementor that keeps it.
    fn legs(&self) -> u8 {
        4
    }

    /// Runs concurrently in the actor.
    fn nap(&self, ms: u64) -> uactor::AsyncResult<u64>;
}

/// A cat, with a name.
#[derive(Debug)]
pub struct Cat {
    name: String,
}

#[uactor::actor]
impl Cat {
    /// A cat called `name`.
    pub fn new(name: String) -> Self {
        Cat { name }
    }

    /// The cat's name.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// An interface proxy to this very actor.
    pub fn as_feline(&self) -> uactor::Result<FelineProxy> {
        uactor::this::<Cat>().map(FelineProxy::from)
    }
}

#[uactor::actor]
impl Feline for Cat {
    fn greet(&self) -> String {
        format!("[{}] Meow, I'm {}.", std::process::id(), self.name)
    }

    fn rename(&mut self, name: String) -> String {
        std::mem::replace(&mut self.name, name)
    }

    fn nap(&self, ms: u64) -> uactor::AsyncResult<u64> {
        uactor::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(ms));
            ms
        })
    }
}

/// A tiger that counts its renamings.
#[derive(Debug, Default)]
pub struct Tiger {
    renamed: u32,
}

#[uactor::actor]
impl Tiger {
    /// How many times it was renamed.
    pub fn renamed(&self) -> u32 {
        self.renamed
    }
}

#[uactor::actor]
impl Feline for Tiger {
    fn greet(&self) -> String {
        format!("[{}] Roar.", std::process::id())
    }

    fn rename(&mut self, _name: String) -> String {
        self.renamed += 1;
        "Tiger".to_owned()
    }

    fn legs(&self) -> u8 {
        3
    }

    fn nap(&self, ms: u64) -> uactor::AsyncResult<u64> {
        uactor::spawn_blocking(move || ms)
    }
}

/// An actor that implements no interface, and hands itself out untyped.
#[derive(Debug, Default)]
pub struct Dog;

#[uactor::actor]
impl Dog {
    /// Woof.
    pub fn bark(&self) -> String {
        "Woof".to_owned()
    }

    /// A proxy to this actor that does not say its type.
    pub fn untyped(&self) -> uactor::Result<uactor::objects::AnyProxy> {
        uactor::objects::proxy_as(self, "actor")
    }
}

/// Holds interface proxies it was given, in another process.
#[derive(Debug, Default)]
pub struct Keeper {
    felines: Vec<FelineProxy>,
}

#[uactor::actor]
impl Keeper {
    /// Keeps `feline`; returns how many it holds.
    pub fn adopt(&mut self, feline: FelineProxy) -> usize {
        self.felines.push(feline);
        self.felines.len()
    }

    /// Greets every feline it holds.
    pub fn greet_all(&self) -> uactor::Result<Vec<String>> {
        self.felines.iter().map(FelineProxy::greet).collect()
    }
}

fn cat_and_tiger() -> (CatProxy, TigerProxy) {
    (
        Cat::spawn("Mr. Whiskers".into()).unwrap(),
        Tiger::spawn().unwrap(),
    )
}

#[test]
fn one_vec_holds_cats_and_tigers_and_each_answers_from_its_process() {
    let (cat, tiger) = cat_and_tiger();
    let (cat_pid, tiger_pid) = (cat.pid(), tiger.pid());
    let felines: Vec<FelineProxy> = vec![cat.into(), tiger.into()];
    let greetings: Vec<String> = felines
        .iter()
        .map(|feline| feline.greet().unwrap())
        .collect();
    assert_eq!(
        greetings,
        [
            format!("[{cat_pid}] Meow, I'm Mr. Whiskers."),
            format!("[{tiger_pid}] Roar.")
        ]
    );
    assert_eq!(felines[0].pid(), cat_pid);
    assert_eq!(felines[1].pid(), tiger_pid);
    assert_eq!(uactor::typeid(&felines[0]), "actor");
}

#[test]
fn provided_methods_and_mutations_reach_the_right_actor() {
    let (cat, tiger) = cat_and_tiger();
    let feline_cat: FelineProxy = cat.clone().into();
    let feline_tiger: FelineProxy = tiger.clone().into();
    assert_eq!(feline_cat.legs().unwrap(), 4, "the trait's own method");
    assert_eq!(feline_tiger.legs().unwrap(), 3, "the tiger's override");
    assert_eq!(feline_cat.rename("Tom".into()).unwrap(), "Mr. Whiskers");
    assert_eq!(
        cat.name().unwrap(),
        "Tom",
        "the actor's own proxy sees the change"
    );
    feline_tiger.rename("x".into()).unwrap();
    feline_tiger.rename("y".into()).unwrap();
    assert_eq!(tiger.renamed().unwrap(), 2);
}

#[test]
fn deferred_interface_methods_run_concurrently() {
    let (cat, _tiger) = cat_and_tiger();
    let feline: FelineProxy = cat.into();
    let first = feline.nap(300).unwrap();
    let second = feline.nap(300).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(first.get().unwrap() + second.get().unwrap(), 600);
    assert!(
        started.elapsed() < Duration::from_millis(580),
        "{:?}: the naps overlapped",
        started.elapsed()
    );
}

#[test]
fn the_async_twin_and_method_handles_go_through_the_interface() {
    let (cat, _tiger) = cat_and_tiger();
    let feline: FelineProxy = cat.into();
    let greeting = futures::executor::block_on(feline.to_async().greet()).unwrap();
    assert!(greeting.ends_with("Meow, I'm Mr. Whiskers."), "{greeting}");
    let rename = feline.rename_ref();
    assert_eq!(rename.call(("Felix".to_owned(),)).unwrap(), "Mr. Whiskers");
    assert!(feline.greet().unwrap().ends_with("I'm Felix."));
}

#[test]
fn interface_proxies_travel_to_other_actors() {
    let (cat, tiger) = cat_and_tiger();
    let keeper = Keeper::spawn().unwrap();
    assert_eq!(keeper.adopt(cat.clone().into()).unwrap(), 1);
    assert_eq!(keeper.adopt(tiger.clone().into()).unwrap(), 2);
    let greetings = keeper.greet_all().unwrap().unwrap();
    assert_eq!(greetings.len(), 2);
    assert!(
        greetings[0].contains("Meow") && greetings[1].contains("Roar"),
        "{greetings:?}"
    );
    // Made inside the actor, from itself.
    let itself = cat.as_feline().unwrap();
    assert_eq!(itself.pid(), cat.pid());
    assert!(itself.greet().unwrap().contains("Mr. Whiskers"));
}

#[test]
fn an_actor_without_the_interface_answers_with_error_proxy() {
    let dog = Dog::spawn().unwrap();
    let feline: FelineProxy = dog.untyped().unwrap().downcast().unwrap();
    match feline.greet() {
        Err(Error::Proxy { message }) => {
            assert!(
                message.contains("does not implement the interface `Feline`"),
                "{message}"
            );
        }
        other => panic!("expected Error::Proxy, got {other:?}"),
    }
    assert_eq!(dog.bark().unwrap(), "Woof", "the actor keeps serving");
}

#[test]
fn an_interface_proxy_made_from_the_owner_owns_the_actor() {
    let (cat, _tiger) = cat_and_tiger();
    let pid = cat.pid();
    let feline: FelineProxy = cat.into();
    // The actor's own proxy is gone; the interface proxy keeps it alive.
    assert!(feline.greet().unwrap().contains(&pid.to_string()));
    Proxy::shutdown(&feline).unwrap();
    assert!(matches!(
        feline.greet(),
        Err(Error::Closed | Error::ActorDied { .. })
    ));
    assert!(!tests::alive(pid), "the actor's process is gone");
}
