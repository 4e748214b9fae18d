//! Access control, Apache's `mod_authz_core` and `mod_authz_host`: the core's providers
//! `Require all granted|denied`, `Require ip …`, `Require local`, `Require method …` and
//! `Require env …`, the providers loaded modules offer (`Require <name> args…`), `Require not …`,
//! and the `<RequireAll>`, `<RequireAny>` and `<RequireNone>` containers, at server level and in
//! `<Location>`/`<Directory>` sections.
//!
//! The tree logic here is pure: what a request is ([`Facts`]) is given by the caller, which
//! also calls the modules' providers (`pipeline/authorize.rs`).
//!
//! Lines are parsed once, as the configuration is read (`build.rs`), into a [`Requirement`]
//! per scope; a request only evaluates the tree of the most specific scope that has one
//! (Apache's default `AuthMerging Off`). A server without Require lines does no work per
//! request beyond finding that no scope has a requirement.

mod build;
pub mod ip;
pub mod limit;

pub use build::{check_line, Builder, ModuleProviders};
pub use limit::MethodLimit;

use crate::config::store::{Store, View};
use ip::Subnet;
use mapache_plugin_api::abi::{MapacheRequest, MapacheStr};
use std::net::IpAddr;

/// What a requirement says about a request: Apache's `authz_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Access is granted.
    Granted,
    /// Access is refused.
    Denied,
    /// Neither (a negated requirement that did not match): does not decide a container.
    Neutral,
    /// Refused for now: it takes an authenticated user and there is none yet (the authn phase
    /// runs, then the requirement is asked again).
    DeniedNoUser,
    /// A provider failed (it logged why): the request is answered with 500.
    Error,
}

/// What the providers look at in a request, given by the caller (the pipeline, or a test).
pub trait Facts {
    /// The client, when the socket could name it (address rules deny without one).
    fn client(&self) -> Option<Client>;
    /// The request method.
    fn method(&self) -> &str;
    /// Whether the environment variable `name` is set for the request.
    fn has_env(&self, name: &str) -> bool;
    /// Asks a module's provider.
    fn module(&mut self, provider: &ModuleProvider) -> Outcome;
    /// Evaluates `Require expr`'s expression for the request (an evaluation error is logged
    /// by the caller's side and is `Err`).
    fn expr(&mut self, expr: &crate::expr::Expr) -> Result<bool, String>;
    /// Whether the request has an authenticated user.
    fn has_user(&self) -> bool;
}

/// `Require expr`: an expression of Apache's language, with the text it was parsed from
/// (requirements compare by it).
#[derive(Debug)]
pub struct ExprRequirement {
    /// As written.
    pub text: String,
    /// Parsed.
    pub expr: crate::expr::Expr,
}

impl PartialEq for ExprRequirement {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for ExprRequirement {}

/// A module's `authorize` function (ABI 1.4 `MapacheAuthzProvider::authorize`).
pub type AuthorizeFn = extern "C" fn(*mut MapacheRequest, *const MapacheStr, usize) -> i32;

/// A `Require <name> args…` line whose provider a loaded module offers.
#[derive(Debug, Clone)]
pub struct ModuleProvider {
    /// The provider's name, as the module declares it.
    pub name: String,
    /// The module that offers it (its LoadModule symbol), for log lines.
    pub module: String,
    /// The module's function.
    pub authorize: AuthorizeFn,
    /// The line's arguments after the name.
    pub args: Box<[String]>,
}

// Two lines are the same requirement when they name the same provider with the same
// arguments (function addresses are not comparable reliably).
impl PartialEq for ModuleProvider {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.module == other.module && self.args == other.args
    }
}

impl Eq for ModuleProvider {}

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
    /// `Require method …`: the request's method is one of these (`GET` also grants `HEAD`).
    Method(Box<[String]>),
    /// `Require env …`: one of these environment variables is set.
    Env(Box<[String]>),
    /// `Require expr …`: the expression holds.
    Expr(std::sync::Arc<ExprRequirement>),
    /// A provider a module offers.
    Module(ModuleProvider),
}

impl Provider {
    fn check(&self, facts: &mut dyn Facts) -> Outcome {
        let granted = match self {
            Provider::All(granted) => *granted,
            Provider::Ip(nets) => facts
                .client()
                .is_some_and(|c| nets.iter().any(|n| n.contains(c.ip))),
            Provider::Local => facts
                .client()
                .is_some_and(|c| c.ip.is_loopback() || c.local == Some(c.ip)),
            Provider::Method(methods) => {
                let method = facts.method();
                let method = if method == "HEAD" { "GET" } else { method };
                methods.iter().any(|m| m == method)
            }
            Provider::Env(names) => names.iter().any(|n| facts.has_env(n)),
            Provider::Expr(e) => match facts.expr(&e.expr) {
                Ok(true) => true,
                // As Apache's: an expression about REMOTE_USER asks for a user first.
                Ok(false) if !facts.has_user() && e.text.contains("REMOTE_USER") => {
                    return Outcome::DeniedNoUser
                }
                Ok(false) => false,
                Err(_) => return Outcome::Error,
            },
            Provider::Module(p) => return facts.module(p),
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
    /// A line or container inside `<Limit>`/`<LimitExcept>`: for other methods it is as if it
    /// were not there (Apache: granted under "all", neutral under "any").
    Limited {
        /// The methods it is for.
        limit: MethodLimit,
        /// The line or container.
        node: Box<Node>,
    },
}

impl Node {
    /// Whether the node can only deny or stay neutral (a negation).
    fn is_negative(&self) -> bool {
        match self {
            Node::Require { negate, .. } => *negate,
            Node::Container { combine, .. } => *combine == Combine::None,
            Node::Limited { node, .. } => node.is_negative(),
        }
    }

    /// Whether the node is for `method` (every node outside a `<Limit>` is).
    fn applies(&self, method: &str) -> bool {
        match self {
            Node::Limited { limit, node } => limit.applies(method) && node.applies(method),
            _ => true,
        }
    }

    fn evaluate(&self, facts: &mut dyn Facts) -> Outcome {
        let (result, negate) = match self {
            Node::Limited { node, .. } => return node.evaluate(facts),
            Node::Require { negate, provider } => (provider.check(facts), *negate),
            Node::Container { combine, children } => (
                combine_children(*combine, children, facts),
                *combine == Combine::None,
            ),
        };
        // A negation turns a grant into a denial, but a denial only into "no opinion": not
        // being in a network grants nothing by itself. Without a user it stays "no user yet":
        // whether the user is not the one named can only be known once there is one.
        match (negate, result) {
            (false, r) => r,
            (true, Outcome::Granted) => Outcome::Denied,
            (true, Outcome::Denied) => Outcome::Neutral,
            (true, r) => r,
        }
    }
}

/// Apache's rule: under "all", the first denial decides, else "no user yet", else any grant;
/// under "any", the first grant decides, else "no user yet", else any denial; neutral children
/// are skipped, and a provider's failure ends the evaluation.
fn combine_children(combine: Combine, children: &[Node], facts: &mut dyn Facts) -> Outcome {
    let mut result = Outcome::Neutral;
    for child in children {
        let r = if !child.applies(facts.method()) {
            if combine.is_or() {
                Outcome::Neutral
            } else {
                Outcome::Granted
            }
        } else {
            child.evaluate(facts)
        };
        match (combine.is_or(), r) {
            (_, Outcome::Error) => return Outcome::Error,
            (_, Outcome::Neutral) => {}
            (false, Outcome::Denied) => return Outcome::Denied,
            (true, Outcome::Granted) => return Outcome::Granted,
            _ if result == Outcome::Neutral => result = r,
            // Asking for a user beats a denial under "any" (a user may still be granted) and
            // beats a grant under "all" (the user's part is still to be met).
            (_, Outcome::DeniedNoUser) => result = r,
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
    /// What the lines say about the request `facts` describes: only [`Outcome::Granted`] lets
    /// it through (a neutral result, as in Apache, is a refusal).
    pub fn evaluate(&self, facts: &mut dyn Facts) -> Outcome {
        // No line for this method (all inside `<Limit>`s for others): nothing is required, as
        // Apache's `authz_some_auth_required` finds.
        if !self.any.iter().any(|n| n.applies(facts.method())) {
            return Outcome::Granted;
        }
        combine_children(Combine::Any, &self.any, facts)
    }
}

/// The requirement in effect for a request's scope: the most specific section with Require
/// lines replaces the others (`AuthMerging Off`), then the server level; `None` when no scope
/// has any (access granted).
pub fn in_effect<'a>(store: &'a Store, view: &View) -> Option<&'a Requirement> {
    view.sections
        .iter()
        .rev()
        .find_map(|&i| store.section(i).require.as_ref())
        .or(store.server_require.as_ref())
}

#[cfg(test)]
mod tests;
