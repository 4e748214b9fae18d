//! Access control by client address, the subset of Apache's `mod_authz_core` and
//! `mod_authz_host` that needs no user: `Require all granted|denied`, `Require ip …`,
//! `Require local`, `Require not …`, and the `<RequireAll>`, `<RequireAny>` and `<RequireNone>`
//! containers, at server level and in `<Location>`/`<Directory>` sections.
//!
//! Lines are parsed once, as the configuration is read (`build.rs`), into a [`Requirement`]
//! per scope; a request only evaluates the tree of the most specific scope that has one
//! (Apache's default `AuthMerging Off`). A server without Require lines does no work per
//! request beyond finding that no scope has a requirement.

mod build;
pub mod ip;

pub use build::{check_line, Builder};

use crate::config::store::{Store, View};
use ip::Subnet;
use std::net::IpAddr;

/// What a requirement says about a request: Apache's `authz_status` without the user cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Access is granted.
    Granted,
    /// Access is refused.
    Denied,
    /// Neither (a negated requirement that did not match): does not decide a container.
    Neutral,
}

/// An address as the rules compare it, IPv4-mapped IPv6 (`::ffff:a.b.c.d`, how a dual-stack
/// socket shows IPv4 clients) taken as the IPv4 address it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    /// IPv4.
    V4(u32),
    /// IPv6, never IPv4-mapped.
    V6(u128),
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(a) => Addr::V4(a.into()),
            IpAddr::V6(a) => Addr::V6(a.into()),
        }
    }
}

impl Addr {
    /// 127.0.0.0/8 or ::1 (Apache's `localhost_v4` and `localhost_v6`).
    fn is_loopback(self) -> bool {
        match self {
            Addr::V4(a) => a >> 24 == 127,
            Addr::V6(a) => a == 1,
        }
    }
}

/// The client side of the check, built once per connection so a request only compares
/// integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The peer's address.
    pub ip: Addr,
    /// Our address on the connection (`Require local` grants a client connecting from it).
    pub local: Option<Addr>,
}

impl Client {
    /// A connection's client `peer` as seen on our address `local`.
    pub fn new(peer: IpAddr, local: Option<IpAddr>) -> Self {
        Client {
            ip: peer.into(),
            local: local.map(Addr::from),
        }
    }
}

/// One `Require` provider with its parsed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// `Require all granted` (true) or `Require all denied` (false).
    All(bool),
    /// `Require ip …`: any of the networks.
    Ip(Box<[Subnet]>),
    /// `Require local`: loopback, or the client's address is the server's own.
    Local,
}

impl Provider {
    fn check(&self, client: &Client) -> Outcome {
        let granted = match self {
            Provider::All(granted) => *granted,
            Provider::Ip(nets) => nets.iter().any(|n| n.contains(client.ip)),
            Provider::Local => client.ip.is_loopback() || client.local == Some(client.ip),
        };
        if granted {
            Outcome::Granted
        } else {
            Outcome::Denied
        }
    }
}

/// How a container combines its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `<RequireAll>`: none denies and at least one grants.
    All,
    /// `<RequireAny>` (and a scope's own Require lines): one grants.
    Any,
    /// `<RequireNone>`: none grants (negated `<RequireAny>`; never grants by itself).
    None,
}

impl Combine {
    /// The section tag, as Apache's messages name it.
    pub fn tag(self) -> &'static str {
        match self {
            Combine::All => "<RequireAll>",
            Combine::Any => "<RequireAny>",
            Combine::None => "<RequireNone>",
        }
    }

    /// Whether children are or-ed (where a negative child can never decide).
    fn is_or(self) -> bool {
        self != Combine::All
    }
}

/// A node of a requirement tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A `Require [not] provider args…` line.
    Require {
        /// `Require not …`.
        negate: bool,
        /// What it tests.
        provider: Provider,
    },
    /// A `<RequireAll|Any|None>` container.
    Container {
        /// How the children combine.
        combine: Combine,
        /// Its lines and containers, in order.
        children: Vec<Node>,
    },
}

impl Node {
    /// Whether the node can only deny or stay neutral (a negation).
    fn is_negative(&self) -> bool {
        match self {
            Node::Require { negate, .. } => *negate,
            Node::Container { combine, .. } => *combine == Combine::None,
        }
    }

    fn evaluate(&self, client: &Client) -> Outcome {
        let (result, negate) = match self {
            Node::Require { negate, provider } => (provider.check(client), *negate),
            Node::Container { combine, children } => (
                combine_children(*combine, children, client),
                *combine == Combine::None,
            ),
        };
        // A negation turns a grant into a denial, but a denial only into "no opinion": not
        // being in a network grants nothing by itself.
        match (negate, result) {
            (false, r) => r,
            (true, Outcome::Granted) => Outcome::Denied,
            (true, _) => Outcome::Neutral,
        }
    }
}

/// Apache's rule: under "all", the first denial decides, else any grant; under "any", the first
/// grant decides, else any denial; neutral children are skipped.
fn combine_children(combine: Combine, children: &[Node], client: &Client) -> Outcome {
    let mut result = Outcome::Neutral;
    for child in children {
        match (combine.is_or(), child.evaluate(client)) {
            (_, Outcome::Neutral) => {}
            (false, Outcome::Denied) => return Outcome::Denied,
            (true, Outcome::Granted) => return Outcome::Granted,
            (_, r) if result == Outcome::Neutral => result = r,
            _ => {}
        }
    }
    result
}

/// The Require lines of one scope (server level or a section), an implicit `<RequireAny>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    /// Lines and containers in file order.
    pub any: Vec<Node>,
}

impl Requirement {
    /// Whether `client` may proceed: only a grant lets it through (a neutral result, as in
    /// Apache, is a refusal).
    pub fn allows(&self, client: &Client) -> bool {
        combine_children(Combine::Any, &self.any, client) == Outcome::Granted
    }
}

/// The requirement in effect for a request's scope: the most specific section with Require
/// lines replaces the others (`AuthMerging Off`), then the server level; `None` when no scope
/// has any (access granted).
pub fn in_effect<'a>(store: &'a Store, view: &View) -> Option<&'a Requirement> {
    view.sections
        .iter()
        .rev()
        .find_map(|&i| store.sections[i].require.as_ref())
        .or(store.server_require.as_ref())
}

#[cfg(test)]
mod tests;
