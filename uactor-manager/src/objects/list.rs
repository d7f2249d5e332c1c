//! `list`: a `Shared<Vec<T>>` kept in the actor, and `ListProxy<T>`.

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
const SET: u16 = 2;
const PUSH: u16 = 3;
const POP: u16 = 4;
const EXTEND: u16 = 5;
const CLEAR: u16 = 6;
const TO_VEC: u16 = 7;
const ITER: u16 = 8;

/// A proxy to a `Vec<T>` kept in an actor (typeid `list`).
pub struct ListProxy<T> {
    object: ObjectRef,
    _types: PhantomData<fn() -> T>,
}

object_proxy!(ListProxy<T>, uactor_core::typeid::LIST);

impl<T: Serialize + DeserializeOwned> ListProxy<T> {
    /// How many items the list holds.
    pub fn len(&self) -> Result<usize> {
        self.object.call(LEN, &())
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|len| len == 0)
    }

    /// The item at `index`, if there is one.
    pub fn get(&self, index: usize) -> Result<Option<T>> {
        self.object.call(GET, &(index,))
    }

    /// Replaces the item at `index`; an index past the end is an error.
    pub fn set(&self, index: usize, value: T) -> Result<()> {
        self.object.call(SET, &(index, value))
    }

    /// Appends `value`.
    pub fn push(&self, value: T) -> Result<()> {
        self.object.call(PUSH, &(value,))
    }

    /// Removes and returns the last item.
    pub fn pop(&self) -> Result<Option<T>> {
        self.object.call(POP, &())
    }

    /// Appends every item of `values`.
    pub fn extend(&self, values: Vec<T>) -> Result<()> {
        self.object.call(EXTEND, &(values,))
    }

    /// Removes every item.
    pub fn clear(&self) -> Result<()> {
        self.object.call(CLEAR, &())
    }

    /// A copy of the whole list.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        self.object.call(TO_VEC, &())
    }

    /// Walks a snapshot of the list, taken now in the actor, fetching a
    /// batch of items at a time (later changes to the list are not seen).
    pub fn iter(&self) -> Result<super::IteratorProxy<T>> {
        self.object.call(ITER, &())
    }
}

struct List<T>(Shared<Vec<T>>);

impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Served for List<T> {
    fn typeid(&self) -> &'static str {
        uactor_core::typeid::LIST
    }

    fn serve(&self, method: u16, call: &mut Call<'_>) -> Result<()> {
        let list = &self.0;
        match method {
            LEN => serve!(call, || list.lock().len()),
            GET => serve!(call, |index: usize| list.lock().get(index).cloned()),
            SET => {
                let (index, value): (usize, T) = call.args()?;
                let mut items = list.lock();
                let len = items.len();
                let slot = items.get_mut(index).ok_or_else(|| {
                    Error::proxy(format!("index {index} is out of range for a list of {len}"))
                })?;
                *slot = value;
                call.reply(&())
            }
            PUSH => serve!(call, |value: T| list.lock().push(value)),
            POP => serve!(call, || list.lock().pop()),
            EXTEND => serve!(call, |values: Vec<T>| list.lock().extend(values)),
            CLEAR => serve!(call, || list.lock().clear()),
            TO_VEC => serve!(call, || list.lock().clone()),
            ITER => {
                let snapshot = list.lock().clone();
                let iter = super::proxy_iter(snapshot)?;
                call.reply(&iter)
            }
            other => Err(Error::protocol(format!("a list has no method {other}"))),
        }
    }
}

impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Expose for Shared<Vec<T>> {
    type Proxy = ListProxy<T>;

    fn expose(&self) -> Result<ListProxy<T>> {
        let object = expose(Arc::new(List(self.clone())), self.identity())?;
        Ok(ListProxy {
            object,
            _types: PhantomData,
        })
    }
}
