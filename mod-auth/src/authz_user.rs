//! `authz_user_module`: the `Require user …` and `Require valid-user` providers (Apache's
//! mod_authz_user).

use mapache_plugin_api::{mapache_module, sdk::*};

/// The words of a `Require user`/`group` line as mapache reads them: names, no expressions.
pub fn check_names(provider: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        return Err(format!("Require {provider} takes one or more names"));
    }
    if let Some(a) = args.iter().find(|a| a.contains("%{")) {
        return Err(format!(
            "Require {provider} {a}: expressions are not supported by mapache; write the names"
        ));
    }
    Ok(())
}

/// `Require user name…`.
pub struct User;

impl AuthzProvider for User {
    fn check(&self, args: &[&str]) -> Result<(), String> {
        check_names("user", args)
    }

    fn authorize(&self, req: &mut Request<'_>, args: &[&str]) -> Authz {
        let user = req.user();
        if user.is_empty() {
            return Authz::NeedsUser;
        }
        if args.contains(&user) {
            return Authz::Granted;
        }
        let uri = crate::log_escape::escape(req.path());
        let user = crate::log_escape::escape(user.as_bytes());
        // Apache logs this at debug: authz_core's error line follows.
        req.log(
            Level::Debug,
            &format!("access to {uri} failed, reason: user '{user}' does not meet 'require'ments for user to be allowed access"),
        );
        Authz::Denied
    }
}

/// `Require valid-user`.
pub struct ValidUser;

impl AuthzProvider for ValidUser {
    fn authorize(&self, req: &mut Request<'_>, _args: &[&str]) -> Authz {
        if req.user().is_empty() {
            Authz::NeedsUser
        } else {
            Authz::Granted
        }
    }
}

/// The module's value.
pub struct AuthzUser;

impl HandlerModule for AuthzUser {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(AuthzUser)
    }
}

mapache_module! {
    symbol: authz_user_module,
    name: "authz_user",
    handler: AuthzUser,
    directives: [],
    hooks: [],
    authz: [("user", User), ("valid-user", ValidUser)],
    apache_names: ["authz_user_module"],
}
