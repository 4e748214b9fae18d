//! ABI 1.4 `Require` providers: `Require <name> args…` asks the module's provider, inside
//! `<RequireAll>`, `<RequireAny>` and `<RequireNone>` like the core's own. List one in the
//! `authz: [...]` part of [`mapache_module!`](crate::mapache_module) as `("name", VALUE)`,
//! `VALUE` a constant of the provider's type.

use super::request::Request;
use crate::abi;

/// A provider's answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authz {
    /// The requirement is met.
    Granted,
    /// The requirement is not met.
    Denied,
    /// The requirement says nothing about this request.
    Neutral,
    /// The requirement needs a user and none is known yet: the core runs the authn phase and
    /// asks again.
    NeedsUser,
}

impl Authz {
    /// The ABI value.
    pub fn to_raw(self) -> i32 {
        match self {
            Authz::Granted => abi::MAPACHE_AUTHZ_GRANTED,
            Authz::Denied => abi::MAPACHE_AUTHZ_DENIED,
            Authz::Neutral => abi::MAPACHE_AUTHZ_NEUTRAL,
            Authz::NeedsUser => abi::MAPACHE_AUTHZ_DENIED_NO_USER,
        }
    }
}

/// A `Require` provider. `check` runs in the master while the configuration is read;
/// `authorize` in children, on request threads, concurrently (hence `Sync`). A panic in either
/// is caught: a configuration error, or a 500.
pub trait AuthzProvider: Sync + 'static {
    /// Checks one `Require` line's arguments so `-t` reports a bad one with file and line.
    fn check(&self, _args: &[&str]) -> Result<(), String> {
        Ok(())
    }

    /// Decides for one request; `args` are the line's arguments.
    fn authorize(&self, req: &mut Request<'_>, args: &[&str]) -> Authz;
}
