//! How a proxy that travelled here reaches its actor: the connection is
//! taken when a call first needs it, never while the proxy is decoded (a
//! decode runs on a thread that other callers wait on), and only as the
//! token's [`Access`] allows.

use std::sync::{Mutex, PoisonError};

use uactor_core::frame::Kind;
use uactor_core::typeid::Vouch;
use uactor_core::{Address, CodecId, Error, Result, Token};

use super::connections::{self, Access};
use super::link::Link;

/// The way to the actor a token names, followed on first use.
pub(crate) struct Reach {
    /// Where, and how the actor is spoken to (its vouch dropped: the
    /// access says what it was worth).
    token: Token,
    access: Access,
    /// The type the actor must serve, when the proxy cares.
    served: Option<&'static str>,
    /// An object's reference, adopted on the connection first taken; an
    /// object's reference dies with its connection, so none is reopened.
    object: Option<u64>,
    link: Mutex<Taken>,
}

#[derive(Default)]
struct Taken {
    link: Option<Link>,
    /// A broken connection is replaced once; if that fails, calls report
    /// how the old one broke.
    reopen_failed: bool,
}

impl Reach {
    /// The way to what `token` (from another process, or made here) names.
    /// Takes the connection already open there, if there is one, since
    /// that needs no handshake (and checks there that the actor serves
    /// `served`).
    pub(crate) fn to(
        mut token: Token,
        served: Option<&'static str>,
        object: Option<u64>,
    ) -> Result<Self> {
        let access = Access::of(&token);
        token.vouch = None;
        let reach = Reach {
            token,
            access,
            served,
            object,
            link: Mutex::new(Taken::default()),
        };
        if let Some(link) = connections::open_at(&reach.token.address) {
            if let Some(served) = served
                && link.kind() != uactor_core::protocol::tag(served)
            {
                return Err(Error::proxy(format!(
                    "the actor at {} is not a {served}",
                    reach.token.address
                )));
            }
            reach.take(&mut reach.taken(), link);
        }
        Ok(reach)
    }

    /// The way to an actor over `link`, just opened with the key the user
    /// gave or the tree's.
    pub(crate) fn connected(link: Link, served: &'static str) -> Self {
        let access = Access::trusted(link.address());
        let token = Token {
            codec: link.codec(),
            max_frame: link.max_frame_size(),
            ..Token::actor(link.address().clone())
        };
        Reach {
            token,
            access,
            served: Some(served),
            object: None,
            link: Mutex::new(Taken {
                link: Some(link),
                reopen_failed: false,
            }),
        }
    }

    fn taken(&self) -> std::sync::MutexGuard<'_, Taken> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self, taken: &mut Taken, link: Link) {
        if taken.link.is_none()
            && let Some(object) = self.object
        {
            link.control(Kind::Adopt, object, 0);
        }
        taken.link = Some(link);
        taken.reopen_failed = false;
    }

    /// The connection calls go over: the one taken, or (the first time,
    /// or once after it broke, for an actor) a new one.
    pub(crate) fn link(&self) -> Result<Link> {
        {
            let taken = self.taken();
            if let Some(link) = &taken.link
                && (link.broken().is_none() || self.object.is_some() || taken.reopen_failed)
            {
                return Ok(link.clone());
            }
        }
        // Opened without the lock: other callers of this proxy are not held
        // up behind a handshake they could share.
        let opened = connections::link_to(&self.token, &self.access, self.served);
        let mut taken = self.taken();
        if let Some(link) = &taken.link
            && link.broken().is_none()
        {
            return Ok(link.clone());
        }
        match (opened, taken.link.clone()) {
            (Ok(link), _) => {
                self.take(&mut taken, link.clone());
                Ok(link)
            }
            (Err(_), Some(broken)) => {
                taken.reopen_failed = true;
                Ok(broken)
            }
            (Err(error), None) => Err(error),
        }
    }

    /// The connection taken, without opening one.
    pub(crate) fn current(&self) -> Option<Link> {
        self.taken().link.clone()
    }

    /// Where the actor listens.
    pub(crate) fn address(&self) -> &Address {
        &self.token.address
    }

    /// The codec the actor speaks.
    pub(crate) fn codec(&self) -> CodecId {
        self.token.codec
    }

    /// The largest frame the actor accepts.
    pub(crate) fn max_frame(&self) -> u32 {
        self.token.max_frame
    }

    /// This process's vouch for the address, under the key it reaches it
    /// with (none when it may not).
    pub(crate) fn vouch(&self) -> Option<Vouch> {
        let key = match &self.access {
            Access::Tree => crate::context::authkey().ok()?,
            Access::Key(key) => key.clone(),
            Access::Refused => self.current()?.key().clone(),
        };
        connections::vouch(&self.token.address, &key)
    }
}
