//! `#[uactor::interface]` and the actors that implement it: their proxies
//! convert into the interface's, which travels and has the built-ins.

#[uactor::interface]
pub trait Feline {
    /// Says hello.
    fn greet(&self) -> String;

    /// A provided method is served too.
    fn rename(&mut self, name: String) -> bool {
        let _ = name;
        false
    }

    /// Not on the proxy: no receiver.
    fn kind() -> String
    where
        Self: Sized,
    {
        "feline".to_owned()
    }

    #[uactor(skip)]
    fn local(&self) -> &str {
        "local"
    }
}

pub mod big {
    #[uactor::interface]
    pub trait Roaring {
        fn roar(&self, times: u8) -> uactor::AsyncResult<String>;
    }
}

pub struct Cat {
    name: String,
}

#[uactor::actor]
impl Cat {
    pub fn new(name: String) -> Self {
        Cat { name }
    }

    pub fn greet(&self) -> String {
        format!("the cat's own greet, {}", self.name)
    }
}

#[uactor::actor]
impl Feline for Cat {
    fn greet(&self) -> String {
        format!("Meow, {}", self.name)
    }

    fn rename(&mut self, name: String) -> bool {
        self.name = name;
        true
    }
}

#[derive(Default)]
pub struct Tiger;

#[uactor::actor]
impl Tiger {}

#[uactor::actor]
impl Feline for Tiger {
    fn greet(&self) -> String {
        "Roar".to_owned()
    }
}

#[uactor::actor]
impl big::Roaring for Tiger {
    fn roar(&self, times: u8) -> uactor::AsyncResult<String> {
        uactor::spawn_blocking(move || "ROAR ".repeat(usize::from(times)))
    }
}

#[derive(Default)]
pub struct Keeper;

#[uactor::actor]
impl Keeper {
    /// An interface proxy is an argument like any other.
    pub fn visit(&self, felines: Vec<FelineProxy>) -> uactor::Result<Vec<String>> {
        felines.iter().map(FelineProxy::greet).collect()
    }
}

fn assert_proxy<
    P: uactor::Proxy + serde::Serialize + serde::de::DeserializeOwned + uactor::objects::Typed,
>() {
}

fn use_proxies(cat: CatProxy, tiger: TigerProxy) -> uactor::Result<()> {
    let felines: Vec<FelineProxy> = vec![cat.clone().into(), tiger.clone().into()];
    for feline in &felines {
        let _: String = feline.greet()?;
        let _: bool = feline.rename("Tom".to_owned())?;
        let _: uactor::Method<(String,), bool> = feline.rename_ref();
        let _: u32 = feline.pid();
        let _: uactor::future::CallFuture<String> = feline.to_async().greet();
        assert_eq!(uactor::typeid(feline), "actor");
    }
    let roaring: big::RoaringProxy = tiger.into();
    let _: uactor::AsyncResult<String> = roaring.roar(2)?;
    let _: String = cat.greet()?;
    felines[0].shutdown()
}

fn main() {
    uactor::init();
    assert_proxy::<FelineProxy>();
    assert_proxy::<big::RoaringProxy>();
    let _ = use_proxies;
    let _ = <Cat as Feline>::kind();
}
