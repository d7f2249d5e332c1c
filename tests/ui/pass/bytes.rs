//! `Vec<u8>`, however it is spelled, and `Option` and `Result` of it are
//! carried as bytes by actors, remote types and interfaces alike; the
//! proxies keep the user's types.

#[derive(Default)]
pub struct Store {
    kept: Vec<u8>,
}

#[uactor::actor]
impl Store {
    pub fn put(&mut self, bytes: std::vec::Vec<u8>, old: Option<Vec<u8>>) -> Option<Vec<u8>> {
        self.kept = bytes;
        old
    }

    pub fn load(&self) -> Result<Vec<u8>, String> {
        Ok(self.kept.clone())
    }

    pub async fn later(&self, bytes: Vec<core::primitive::u8>) -> Vec<u8> {
        bytes
    }

    pub fn deferred(&self) -> uactor::AsyncResult<Vec<u8>> {
        let kept = self.kept.clone();
        uactor::spawn_blocking(move || kept)
    }
}

#[derive(Default)]
pub struct Blob;

#[uactor::remote]
impl Blob {
    pub fn read(&self, len: usize) -> Vec<u8> {
        vec![0; len]
    }
}

#[uactor::interface]
pub trait Source {
    fn fetch(&self, key: Vec<u8>) -> Option<Vec<u8>>;
}

#[uactor::actor]
impl Source for Store {
    fn fetch(&self, key: Vec<u8>) -> Option<Vec<u8>> {
        (key == self.kept).then(|| key)
    }
}

fn use_proxies(store: &StoreProxy, blob: &BlobProxy, source: &SourceProxy) -> uactor::Result<()> {
    let _: Option<Vec<u8>> = store.put(vec![1], None)?;
    let _: Result<Vec<u8>, String> = store.load()?;
    let _: uactor::AsyncResult<Vec<u8>> = store.later(vec![2])?;
    let _: uactor::AsyncResult<Vec<u8>> = store.deferred()?;
    let _: uactor::future::CallFuture<Vec<u8>> = store.to_async().later(vec![3]);
    let _: uactor::future::CallFuture<Result<Vec<u8>, String>> = store.to_async().load();
    let _: uactor::Method<(Vec<u8>, Option<Vec<u8>>), Option<Vec<u8>>> = store.put_ref();
    let _: Vec<u8> = blob.read(4)?;
    let _: Option<Vec<u8>> = source.fetch(vec![5])?;
    Ok(())
}

fn main() {
    uactor::init();
    let _ = use_proxies;
}
