//! Reading Require lines and `<RequireAll|Any|None>` containers into a scope's
//! [`Requirement`], with Apache's checks and sentences (`mod_authz_core`'s `add_authz_provider`,
//! `add_authz_section` and its check that a container is not only negations).

use super::ip::Subnet;
use super::{Combine, ModuleProvider, Node, Provider, Requirement};

/// The providers the core has, for the message about one nobody has.
const KNOWN: &str = "mapache has all, ip, local, method, env and expr";

/// The providers the loaded modules offer, as the configuration reader knows them.
pub trait ModuleProviders {
    /// The provider called `name` (case-insensitive) with `args` (the line's words after the
    /// name), its own check run on them; `None` when no loaded module offers one.
    fn provider(&self, name: &str, args: &[String]) -> Option<Result<ModuleProvider, String>>;
    /// The names offered, for the message about an unknown one.
    fn names(&self) -> Vec<String>;
}

/// Parses one `Require` line (its arguments) into a node, without regard to where it stands;
/// a name the core does not have is looked up in `modules`.
pub fn parse_line(args: &[String], modules: &dyn ModuleProviders) -> Result<Node, String> {
    let (negate, name, values) = split(args)?;
    let provider = match core_provider(name, values) {
        Some(p) => p?,
        None => match modules.provider(name, values) {
            Some(p) => Provider::Module(p?),
            None => return Err(unknown(name, modules)),
        },
    };
    Ok(Node::Require { negate, provider })
}

/// `[not] name values…`.
fn split(args: &[String]) -> Result<(bool, &str, &[String]), String> {
    let (negate, rest) = match args.split_first() {
        Some((first, rest)) if first.eq_ignore_ascii_case("not") => (true, rest),
        _ => (false, args),
    };
    match rest.split_first() {
        Some((name, values)) => Ok((negate, name, values)),
        None => Err(
            "Require not takes a provider and its arguments, e.g. Require not ip 192.0.2.1"
                .to_owned(),
        ),
    }
}

/// One of the core's providers, parsed; `None` when `name` is not one of them.
fn core_provider(name: &str, values: &[String]) -> Option<Result<Provider, String>> {
    let parsed = match name.to_ascii_lowercase().as_str() {
        "all" => match values {
            [v] if v.eq_ignore_ascii_case("granted") => Ok(Provider::All(true)),
            [v] if v.eq_ignore_ascii_case("denied") => Ok(Provider::All(false)),
            _ => Err("Argument for 'Require all' must be 'granted' or 'denied'".to_owned()),
        },
        "ip" if values.is_empty() => Err("'require ip' requires an argument".to_owned()),
        "ip" => values
            .iter()
            .map(|w| Subnet::parse(w))
            .collect::<Result<_, _>>()
            .map(Provider::Ip),
        // Apache ignores anything after `local`.
        "local" => Ok(Provider::Local),
        "method" => parse_methods(values).map(Provider::Method),
        "env" if values.is_empty() => Err("'require env' requires an argument".to_owned()),
        "env" => Ok(Provider::Env(values.into())),
        "expr" => {
            let text = values.join(" ");
            crate::expr::Expr::parse(&text)
                .map(|expr| {
                    Provider::Expr(std::sync::Arc::new(super::ExprRequirement { text, expr }))
                })
                .map_err(|e| format!("Cannot parse expression in require line: {e}"))
        }
        _ => return None,
    };
    Some(parsed)
}

fn unknown(name: &str, modules: &dyn ModuleProviders) -> String {
    let offered = modules.names();
    if offered.is_empty() {
        format!("Unknown Authz provider: {name} ({KNOWN}; no loaded module offers one of that name: check the LoadModule lines)")
    } else {
        format!(
            "Unknown Authz provider: {name} ({KNOWN}; the loaded modules offer {})",
            offered.join(", ")
        )
    }
}

/// `Require method`'s words: HTTP methods, case-sensitive as in the request line.
fn parse_methods(values: &[String]) -> Result<Box<[String]>, String> {
    if values.is_empty() {
        return Err(
            "'require method' requires an argument, e.g. Require method GET POST".to_owned(),
        );
    }
    for m in values {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if !m.bytes().all(token) {
            return Err(format!("Invalid Method '{m}'"));
        }
    }
    Ok(values.into())
}

/// The core directive table's value check for `Require`: what can be said of the line alone
/// (a name the core does not have is left to [`Builder::require`], which knows the modules).
pub fn check_line(args: &[String]) -> Result<(), String> {
    let (_, name, values) = split(args)?;
    match core_provider(name, values) {
        Some(p) => p.map(|_| ()),
        None => Ok(()),
    }
}

/// The containers open in the scope being read, innermost last, and the `<Limit>` sections
/// around them.
#[derive(Debug, Default)]
pub struct Builder {
    open: Vec<(Combine, Vec<Node>)>,
    /// The `<Limit>`/`<LimitExcept>` sections open.
    pub limits: super::limit::LimitStack,
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
            None => {
                // Containers never straddle a `<Limit>`: wrapping what reaches the scope is
                // enough.
                let node = self
                    .limits
                    .limits()
                    .rev()
                    .fold(node, |node, limit| Node::Limited {
                        limit: limit.clone(),
                        node: Box::new(node),
                    });
                scope
                    .get_or_insert_with(Requirement::default)
                    .any
                    .push(node)
            }
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

    /// A Require line at the current place of `scope`; `modules` offer the providers the core
    /// does not have.
    pub fn require(
        &mut self,
        args: &[String],
        modules: &dyn ModuleProviders,
        scope: &mut Option<Requirement>,
    ) -> Result<(), String> {
        let node = parse_line(args, modules)?;
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
