//! Reading Require lines and `<RequireAll|Any|None>` containers into a scope's
//! [`Requirement`], with Apache's checks and sentences (`mod_authz_core`'s `add_authz_provider`,
//! `add_authz_section` and its check that a container is not only negations).

use super::ip::Subnet;
use super::{Combine, Node, Provider, Requirement};

/// The providers mapache has, for the message about one it has not.
const KNOWN: &str = "mapache has all, ip and local";

/// Parses one `Require` line (its arguments) into a node, without regard to where it stands.
pub fn parse_line(args: &[String]) -> Result<Node, String> {
    let (negate, rest) = match args.split_first() {
        Some((first, rest)) if first.eq_ignore_ascii_case("not") => (true, rest),
        _ => (false, args),
    };
    let Some((name, values)) = rest.split_first() else {
        return Err(
            "Require not takes a provider and its arguments, e.g. Require not ip 192.0.2.1"
                .to_owned(),
        );
    };
    let provider = match name.to_ascii_lowercase().as_str() {
        "all" => match values {
            [v] if v.eq_ignore_ascii_case("granted") => Provider::All(true),
            [v] if v.eq_ignore_ascii_case("denied") => Provider::All(false),
            _ => return Err("Argument for 'Require all' must be 'granted' or 'denied'".to_owned()),
        },
        "ip" if values.is_empty() => return Err("'require ip' requires an argument".to_owned()),
        "ip" => Provider::Ip(
            values
                .iter()
                .map(|w| Subnet::parse(w))
                .collect::<Result<_, _>>()?,
        ),
        // Apache ignores anything after `local`.
        "local" => Provider::Local,
        _ => return Err(format!("Unknown Authz provider: {name} ({KNOWN})")),
    };
    Ok(Node::Require { negate, provider })
}

/// The core directive table's value check for `Require`: what can be said of the line alone.
pub fn check_line(args: &[String]) -> Result<(), String> {
    parse_line(args).map(|_| ())
}

/// The containers open in the scope being read, innermost last.
#[derive(Debug, Default)]
pub struct Builder {
    open: Vec<(Combine, Vec<Node>)>,
}

impl Builder {
    /// The innermost open container's tag, if any (nothing but Require lines and containers
    /// may stand inside one).
    pub fn open_tag(&self) -> Option<&'static str> {
        self.open.last().map(|(c, _)| c.tag())
    }

    /// How the lines at the current place combine: the innermost container's way, or the
    /// scope's implicit `<RequireAny>`.
    fn current(&self) -> Combine {
        self.open.last().map_or(Combine::Any, |(c, _)| *c)
    }

    fn add(&mut self, node: Node, scope: &mut Option<Requirement>) {
        match self.open.last_mut() {
            Some((_, children)) => children.push(node),
            None => scope
                .get_or_insert_with(Requirement::default)
                .any
                .push(node),
        }
    }

    /// Opens `<name>` when it is one of the Require containers; `Ok(false)` for any other
    /// section name.
    pub fn open(&mut self, name: &str, args: &[String]) -> Result<bool, String> {
        let combine = if name.eq_ignore_ascii_case("RequireAll") {
            Combine::All
        } else if name.eq_ignore_ascii_case("RequireAny") {
            Combine::Any
        } else if name.eq_ignore_ascii_case("RequireNone") {
            Combine::None
        } else {
            return Ok(false);
        };
        if !args.is_empty() {
            return Err(format!(
                "{} directive doesn't take additional arguments",
                combine.tag()
            ));
        }
        self.open.push((combine, Vec::new()));
        Ok(true)
    }

    /// A Require line at the current place of `scope`.
    pub fn require(
        &mut self,
        args: &[String],
        scope: &mut Option<Requirement>,
    ) -> Result<(), String> {
        let node = parse_line(args)?;
        let here = self.current();
        // Under "any", a negation can never grant, so it can never matter.
        if node.is_negative() && here.is_or() {
            return Err(format!(
                "negative Require directive has no effect in {} directive",
                here.tag()
            ));
        }
        self.add(node, scope);
        Ok(())
    }

    /// Closes the innermost open container (the caller knows one is open) into its parent.
    pub fn close(&mut self, scope: &mut Option<Requirement>) -> Result<(), String> {
        let Some((combine, children)) = self.open.pop() else {
            return Ok(());
        };
        let tag = combine.tag();
        if children.is_empty() {
            return Err(format!(
                "{tag} directive contains no authorization directives"
            ));
        }
        let here = self.current();
        if combine == Combine::None && here.is_or() {
            return Err(format!(
                "{tag} directive has no effect in {} directive",
                here.tag()
            ));
        }
        // Negations alone never grant: such a container could only deny everyone.
        if combine == Combine::All && children.iter().all(Node::is_negative) {
            return Err(format!(
                "{tag} directive contains only negative authorization directives"
            ));
        }
        self.add(Node::Container { combine, children }, scope);
        Ok(())
    }
}
