//! `dict`: a `Shared<HashMap<K, V>>` kept in the actor, and `DictProxy<K, V>`.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::{Call, Error, Result};

use super::{Expose, Shared, object_proxy, serve};
use crate::call::ObjectRef;
use crate::host::{Served, expose};

const LEN: u16 = 0;
const GET: u16 = 1;
const INSERT: u16 = 2;
const REMOVE: u16 = 3;
const CONTAINS_KEY: u16 = 4;
const KEYS: u16 = 5;
const VALUES: u16 = 6;
const TO_MAP: u16 = 7;
const CLEAR: u16 = 8;

/// A proxy to a `HashMap<K, V>` kept in an actor (typeid `dict`).
pub struct DictProxy<K, V> {
    object: ObjectRef,
    _types: PhantomData<fn() -> (K, V)>,
}

object_proxy!(DictProxy<K, V>, uactor_core::typeid::DICT);

impl<K, V> DictProxy<K, V>
where
    K: Serialize + DeserializeOwned + Eq + Hash,
    V: Serialize + DeserializeOwned,
{
    /// How many entries the map holds.
    pub fn len(&self) -> Result<usize> {
        self.object.call(LEN, &())
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|len| len == 0)
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &K) -> Result<Option<V>> {
        self.object.call(GET, &(key,))
    }

    /// Puts `value` under `key`; returns the value it replaces.
    pub fn insert(&self, key: K, value: V) -> Result<Option<V>> {
        self.object.call(INSERT, &(key, value))
    }

    /// Removes `key`; returns its value.
    pub fn remove(&self, key: &K) -> Result<Option<V>> {
        self.object.call(REMOVE, &(key,))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> Result<bool> {
        self.object.call(CONTAINS_KEY, &(key,))
    }

    /// Every key.
    pub fn keys(&self) -> Result<Vec<K>> {
        self.object.call(KEYS, &())
    }

    /// Every value.
    pub fn values(&self) -> Result<Vec<V>> {
        self.object.call(VALUES, &())
    }

    /// A copy of the whole map.
    pub fn to_map(&self) -> Result<HashMap<K, V>> {
        self.object.call(TO_MAP, &())
    }

    /// Removes every entry.
    pub fn clear(&self) -> Result<()> {
        self.object.call(CLEAR, &())
    }
}

struct Dict<K, V>(Shared<HashMap<K, V>>);

impl<K, V> Served for Dict<K, V>
where
    K: Serialize + DeserializeOwned + Eq + Hash + Clone + Send + 'static,
    V: Serialize + DeserializeOwned + Clone + Send + 'static,
{
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::DICT
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        let map = &self.0;
        match method {
            LEN => serve!(call, || map.lock().len()),
            GET => serve!(call, |key: K| map.lock().get(&key).cloned()),
            INSERT => serve!(call, |key: K, value: V| map.lock().insert(key, value)),
            REMOVE => serve!(call, |key: K| map.lock().remove(&key)),
            CONTAINS_KEY => serve!(call, |key: K| map.lock().contains_key(&key)),
            KEYS => serve!(call, || map.lock().keys().cloned().collect::<Vec<K>>()),
            VALUES => serve!(call, || map.lock().values().cloned().collect::<Vec<V>>()),
            TO_MAP => serve!(call, || map.lock().clone()),
            CLEAR => serve!(call, || map.lock().clear()),
            other => Err(Error::protocol(format!("a dict has no method {other}"))),
        }
    }
}

impl<K, V> Expose for Shared<HashMap<K, V>>
where
    K: Serialize + DeserializeOwned + Eq + Hash + Clone + Send + 'static,
    V: Serialize + DeserializeOwned + Clone + Send + 'static,
{
    type Proxy = DictProxy<K, V>;

    fn expose(&self) -> Result<DictProxy<K, V>> {
        let object = expose(Arc::new(Dict(self.clone())), self.identity())?;
        Ok(DictProxy {
            object,
            _types: PhantomData,
        })
    }
}
