//! `Value`: one value kept in the actor, and `ValueProxy<T>`.

use std::marker::PhantomData;
use std::sync::{Arc, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use uactor_core::{Call, Error, Result};

use super::{Expose, Shared, object_proxy, serve};
use crate::call::ObjectRef;
use crate::host::{Served, expose};

const GET: u16 = 0;
const SET: u16 = 1;

/// One value shared between an actor and its proxies (Python uActor's
/// `Value`). Clones are the same value.
#[derive(Debug, Default)]
pub struct Value<T>(Shared<T>);

impl<T> Value<T> {
    /// Shares `value`.
    pub fn new(value: T) -> Self {
        Value(Shared::new(value))
    }

    /// Locks the value, for the actor's own code.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock()
    }

    /// Replaces the value.
    pub fn set(&self, value: T) {
        *self.0.lock() = value;
    }
}

impl<T: Clone> Value<T> {
    /// A copy of the value.
    pub fn get(&self) -> T {
        self.0.lock().clone()
    }
}

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value(self.0.clone())
    }
}

/// A proxy to a [`Value`] kept in an actor (typeid `Value`).
pub struct ValueProxy<T> {
    object: ObjectRef,
    _types: PhantomData<fn() -> T>,
}

object_proxy!(ValueProxy<T>, uactor_core::typeid::VALUE);

impl<T: Serialize + DeserializeOwned> ValueProxy<T> {
    /// A copy of the value.
    pub fn get(&self) -> Result<T> {
        self.object.call(GET, &())
    }

    /// Replaces the value.
    pub fn set(&self, value: T) -> Result<()> {
        self.object.call(SET, &(value,))
    }
}

struct Kept<T>(Value<T>);

impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Served for Kept<T> {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::VALUE
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        match method {
            GET => serve!(call, || self.0.get()),
            SET => serve!(call, |value: T| self.0.set(value)),
            other => Err(Error::protocol(format!("a Value has no method {other}"))),
        }
    }
}

impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Expose for Value<T> {
    type Proxy = ValueProxy<T>;

    fn expose(&self) -> Result<ValueProxy<T>> {
        let object = expose(Arc::new(Kept(self.clone())), self.0.identity())?;
        Ok(ValueProxy {
            object,
            _types: PhantomData,
        })
    }
}
