//! `#[uactor(skip)]` and private methods stay out of the proxy; a private
//! `fn shutdown(&mut self)` is the hook.

pub struct Store {
    items: Vec<i64>,
}

#[uactor::actor]
impl Store {
    pub fn new() -> Self {
        Store { items: Vec::new() }
    }

    pub fn push(&mut self, item: i64) -> usize {
        self.items.push(item);
        self.helper()
    }

    #[uactor(skip)]
    pub fn local_only(&self) -> &[i64] {
        &self.items
    }

    fn helper(&self) -> usize {
        self.items.len()
    }

    pub fn total(&self) -> i64 {
        self.items.iter().sum()
    }

    /// An associated function: kept, not exposed.
    pub fn describe() -> &'static str {
        "a store"
    }

    fn shutdown(&mut self) {
        self.items.clear();
    }
}

trait Local {
    fn local_only(&self) {}
}

impl Local for StoreProxy {}

fn main() {
    uactor::init();
    assert_eq!(<Store as uactor::Actor>::method_name(0), Some("push"));
    assert_eq!(<Store as uactor::Actor>::method_name(1), Some("total"));
    assert_eq!(<Store as uactor::Actor>::method_name(2), None);
    // The skipped method is still the user's, and the proxy does not have it
    // (this resolves to the trait's method, not an inherent one).
    let store = Store::new();
    assert!(store.local_only().is_empty());
    assert_eq!(Store::describe(), "a store");
    let _: fn(&StoreProxy) = <StoreProxy as Local>::local_only;
    // The hook is the built-in's business on the proxy: `shutdown` is the built-in.
    let _: fn(&StoreProxy) -> uactor::Result<()> = StoreProxy::shutdown;
    let mut store = store;
    store.shutdown();
}
