//! `Require`: the requirement in effect for the request's scope, evaluated after the access
//! hooks with the core's providers and those modules offer; when it needs a user, the authn
//! hooks run and it is evaluated again (Apache's `authorize_userless` then
//! `check_user_id` and `auth_checker`).

use super::Outcome;
use crate::access::{self, Client, Facts, ModuleProvider};
use crate::config::store::View;
use crate::logs::error_log;
use crate::serve::request::RequestCtx;
use mapache_plugin_api::abi::{self, MapacheStr};

/// The request as the providers see it.
struct Asked<'r, 'c> {
    req: &'r mut RequestCtx<'c>,
}

impl Facts for Asked<'_, '_> {
    fn expr(&mut self, expr: &crate::expr::Expr) -> Result<bool, String> {
        let result = expr.eval(&super::conditions::RequestVars { req: self.req });
        if let Err(e) = &result {
            self.req.log(
                "authz_core",
                error_log::ERROR,
                &format!("AH01278: Error evaluating expression: {e}"),
            );
        }
        result
    }

    fn has_user(&self) -> bool {
        self.req.user.is_some()
    }

    fn client(&self) -> Option<Client> {
        self.req.client()
    }

    fn method(&self) -> &str {
        self.req.head.method
    }

    fn has_env(&self, name: &str) -> bool {
        self.req
            .env
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn module(&mut self, provider: &ModuleProvider) -> access::Outcome {
        let args: Vec<MapacheStr> = provider
            .args
            .iter()
            .map(|a| MapacheStr {
                ptr: a.as_ptr(),
                len: a.len(),
            })
            .collect();
        let raw = self.req.as_raw();
        let answer = (provider.authorize)(raw, args.as_ptr(), args.len());
        match answer {
            abi::MAPACHE_AUTHZ_GRANTED => access::Outcome::Granted,
            abi::MAPACHE_AUTHZ_DENIED => access::Outcome::Denied,
            abi::MAPACHE_AUTHZ_NEUTRAL => access::Outcome::Neutral,
            abi::MAPACHE_AUTHZ_DENIED_NO_USER => access::Outcome::DeniedNoUser,
            other => {
                let why = if other == abi::MAPACHE_ERROR {
                    "failed (MAPACHE_ERROR)".to_owned()
                } else {
                    format!("returned {other}, which is none of the MAPACHE_AUTHZ_* answers")
                };
                self.req.log(
                    "authz_core",
                    error_log::ERROR,
                    &format!(
                        "Require {} of {} {why}; answering 500",
                        provider.name, provider.module
                    ),
                );
                access::Outcome::Error
            }
        }
    }
}

fn evaluate(req: &mut RequestCtx<'_>, requirement: &access::Requirement) -> access::Outcome {
    requirement.evaluate(&mut Asked { req })
}

/// Whether the Require lines in effect let the request through, running the authn hooks when
/// they need a user. A refusal is logged as Apache's mod_authz_core logs it (under its name, so
/// `LogLevel authz_core:…` applies), naming the file asked for, or the URI when there is none.
pub fn check(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    let srv = req.conn.srv;
    let Some(requirement) = access::in_effect(&srv.store, &req.view) else {
        return Ok(());
    };
    let name = req.mapped.first().map(|m| m.requested.clone());
    match evaluate(req, requirement) {
        access::Outcome::Granted => return Ok(()),
        access::Outcome::DeniedNoUser => {}
        access::Outcome::Error => return Err(Some(500)),
        access::Outcome::Denied | access::Outcome::Neutral => {
            log_denied(req, name.as_deref());
            return Err(Some(403));
        }
    }
    let path = String::from_utf8_lossy(&req.head.path).into_owned();
    if !super::run_first(req, abi::MAPACHE_PHASE_AUTHN, "authn")? {
        req.log(
            "authz_core",
            error_log::ERROR,
            &format!("AH00027: No authentication done but request not allowed without authentication for {path}. Authentication not configured?"),
        );
        return Err(Some(500));
    }
    if let Some(user) = req.user.clone() {
        req.table_put_env("REMOTE_USER", &user);
    }
    match evaluate(req, requirement) {
        access::Outcome::Granted => Ok(()),
        access::Outcome::Error => Err(Some(500)),
        _ => {
            let msg = match &req.user {
                Some(user) => {
                    format!("AH01631: user {user}: authorization failure for \"{path}\": ")
                }
                None => {
                    format!("AH01629: authorization failure (no authenticated user): {path}")
                }
            };
            req.log("authz_core", error_log::ERROR, &msg);
            Err(Some(401))
        }
    }
}

/// Whether the Require lines in effect for `view` let a file looked up on the request's behalf
/// (`name`) through, with the request's user as it stands (no authn runs for a lookup); a
/// refusal is logged.
pub fn allows(req: &mut RequestCtx<'_>, view: &View, name: Option<&[u8]>) -> bool {
    let srv = req.conn.srv;
    let Some(requirement) = access::in_effect(&srv.store, view) else {
        return true;
    };
    if evaluate(req, requirement) == access::Outcome::Granted {
        return true;
    }
    log_denied(req, name);
    false
}

fn log_denied(req: &RequestCtx<'_>, name: Option<&[u8]>) {
    let what = match name {
        Some(name) => String::from_utf8_lossy(name).into_owned(),
        None => format!("uri {}", String::from_utf8_lossy(&req.head.path)),
    };
    req.log(
        "authz_core",
        error_log::ERROR,
        &format!("client denied by server configuration: {what}"),
    );
}
