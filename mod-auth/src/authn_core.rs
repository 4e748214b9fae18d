//! `authn_core_module`: `AuthType` and `AuthName` per scope, and Apache's last authn hook,
//! which answers 500 when an `AuthType` is set that no loaded module handles.

use mapache_plugin_api::{mapache_module, sdk::*};

/// The authentication types mapache knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    /// `AuthType Basic`.
    Basic,
    /// `AuthType None`: no authentication here (turns off an outer scope's).
    None,
}

/// One scope's `AuthType` and `AuthName`; `None` where it sets neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreConfig {
    /// `AuthType`.
    pub auth_type: Option<AuthType>,
    /// `AuthName`: the realm.
    pub auth_name: Option<String>,
}

impl CoreConfig {
    /// The type in effect: Basic, or none.
    pub fn is_basic(&self) -> bool {
        self.auth_type == Some(AuthType::Basic)
    }
}

/// `AuthType`'s value check, in one line.
fn parse_type(arg: &str) -> Result<AuthType, String> {
    if arg.eq_ignore_ascii_case("basic") {
        Ok(AuthType::Basic)
    } else if arg.eq_ignore_ascii_case("none") {
        Ok(AuthType::None)
    } else if ["digest", "form"]
        .iter()
        .any(|t| arg.eq_ignore_ascii_case(t))
    {
        Err(format!(
            "AuthType {arg}: not supported by mapache (it has Basic and None); use AuthType Basic"
        ))
    } else {
        Err(format!(
            "AuthType {arg}: unknown authentication type (mapache has Basic and None)"
        ))
    }
}

impl ModuleConfig for CoreConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let arg = args.first().copied().unwrap_or("");
        if name.eq_ignore_ascii_case("AuthType") {
            self.auth_type = Some(parse_type(arg)?);
        } else if name.eq_ignore_ascii_case("AuthName") {
            if arg.contains("%{") {
                return Err(format!(
                    "AuthName {arg}: expressions are not supported by mapache; write the realm as text"
                ));
            }
            self.auth_name = Some(arg.to_owned());
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        CoreConfig {
            auth_type: child.auth_type.or(parent.auth_type),
            auth_name: child.auth_name.clone().or_else(|| parent.auth_name.clone()),
        }
    }
}

/// The module's value.
pub struct AuthnCore;

impl HandlerModule for AuthnCore {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        crate::server_root::record(config.value("ServerRoot").unwrap_or(""));
        Ok(AuthnCore)
    }
}

impl Authn for AuthnCore {
    const ORDER: HookOrder = HookOrder::new(order::LAST);

    fn authn(&self, req: &mut Request<'_>) -> Verdict {
        // Reached when no module took the request: with a type set, it has no module
        // (Apache's authenticate_no_user); without one, the core says what is missing.
        match req.module_config::<CoreConfig>().and_then(|c| c.auth_type) {
            Some(AuthType::Basic) => {
                req.log(
                    Level::Error,
                    "AuthType Basic configured without corresponding module",
                );
                Verdict::Status(500)
            }
            _ => Verdict::Declined,
        }
    }
}

mapache_module! {
    symbol: authn_core_module,
    name: "authn_core",
    handler: AuthnCore,
    directives: [
        ("AuthType", TAKE1, SECTION | AUTHCFG, "an HTTP authorization type (e.g., \"Basic\")"),
        ("AuthName", TAKE1, SECTION | AUTHCFG, "the authentication realm (e.g. \"Members Only\")"),
    ],
    config: CoreConfig,
    hooks: [Authn],
    apache_names: ["authn_core_module"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_apache_names_them_and_the_others_refused() {
        assert_eq!(parse_type("Basic"), Ok(AuthType::Basic));
        assert_eq!(parse_type("basic"), Ok(AuthType::Basic));
        assert_eq!(parse_type("None"), Ok(AuthType::None));
        assert!(parse_type("Digest").unwrap_err().contains("not supported"));
        assert!(parse_type("Bogus").unwrap_err().contains("unknown"));
    }

    #[test]
    fn the_nearer_scope_wins_and_unset_fields_inherit() {
        let mut outer = CoreConfig::default();
        outer.set(Scope::Section, "AuthType", &["Basic"]).unwrap();
        outer.set(Scope::Section, "AuthName", &["Outer"]).unwrap();
        let mut inner = CoreConfig::default();
        inner.set(Scope::Section, "AuthName", &["Inner"]).unwrap();
        let m = CoreConfig::merge(&outer, &inner);
        assert!(m.is_basic());
        assert_eq!(m.auth_name.as_deref(), Some("Inner"));
        let mut off = CoreConfig::default();
        off.set(Scope::Section, "AuthType", &["None"]).unwrap();
        assert!(!CoreConfig::merge(&m, &off).is_basic());
    }
}
