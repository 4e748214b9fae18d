//! `auth_basic_module`: Basic authentication (Apache's mod_auth_basic). Its authn hook reads
//! `Authorization: Basic <base64 user:password>`, asks the providers of `AuthBasicProvider`
//! (only `file`, from authn_file_module) and answers 401 with `WWW-Authenticate: Basic
//! realm="<AuthName>"` when there are no credentials, the wrong scheme, an unknown user or a
//! wrong password, logging Apache's lines. A user who passed but whom the `Require` lines
//! then refuse also gets the challenge (Apache's `note_auth_failure`): the hook puts the
//! header-only filter `BASIC_AUTH_CHALLENGE` in the chain, which adds it to a 401.

use crate::authn_core::{authn_core_module, CoreConfig};
use crate::authn_file::{self, AuthnStatus};
use crate::log_escape;
use mapache_plugin_api::{mapache_module, sdk::*};

/// One scope's Basic settings; `None` where it sets nothing. `AuthBasicProvider` is checked
/// and not kept: `file` is the only provider there is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasicConfig {
    /// `AuthBasicAuthoritative` (default On).
    pub authoritative: Option<bool>,
}

impl ModuleConfig for BasicConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        if name.eq_ignore_ascii_case("AuthBasicProvider") {
            if let Some(other) = args.iter().find(|p| **p != "file") {
                return Err(format!(
                    "Unknown Authn provider: {other} (mapache has file, from authn_file_module)"
                ));
            }
        } else if name.eq_ignore_ascii_case("AuthBasicAuthoritative") {
            self.authoritative = Some(args.first().is_some_and(|a| a.eq_ignore_ascii_case("on")));
        } else {
            return Err(format!(
                "{name} is not supported by mapache; remove the line"
            ));
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        BasicConfig {
            authoritative: child.authoritative.or(parent.authoritative),
        }
    }
}

/// The user and password an `Authorization` header carries, as Apache's `get_basic_auth`
/// reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials {
    /// No header.
    Missing,
    /// Another scheme than Basic.
    WrongScheme,
    /// The user (before the first colon) and the password (the rest), each cut at a NUL as
    /// Apache's C strings are.
    Basic(Vec<u8>, Vec<u8>),
}

impl Credentials {
    /// Reads an `Authorization` header's value: the scheme (any case) up to a blank, blanks,
    /// then base64 decoded leniently.
    pub fn parse(header: Option<&[u8]>) -> Credentials {
        let Some(value) = header else {
            return Credentials::Missing;
        };
        let (scheme, rest) = crate::cfg_lines::word(value, b' ');
        if !scheme.eq_ignore_ascii_case(b"basic") {
            return Credentials::WrongScheme;
        }
        let start = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let mut decoded = crate::base64::decode_lenient(&rest[start..]);
        if let Some(nul) = decoded.iter().position(|&b| b == 0) {
            decoded.truncate(nul);
        }
        let (user, password) = match decoded.iter().position(|&b| b == b':') {
            Some(colon) => (decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()),
            None => (decoded, Vec::new()),
        };
        Credentials::Basic(user, password)
    }
}

/// The challenge for the realm, in the error headers (kept on the 401 page).
fn challenge(req: &mut Request<'_>, realm: &str) {
    let value = format!("Basic realm=\"{realm}\"");
    if let Err(e) = req.table_set(Table::ErrHeadersOut, "WWW-Authenticate", &value) {
        req.log(Level::Error, &format!("WWW-Authenticate: {e}"));
    }
}

/// The realm in effect for the request, when Basic is.
fn realm(req: &mut Request<'_>) -> Option<Result<String, ()>> {
    // SAFETY: CoreConfig is authn_core_module's `config:` type.
    let core = unsafe { crate::sibling::config_of::<CoreConfig>(req, &authn_core_module) }?;
    if !core.is_basic() {
        return None;
    }
    Some(core.auth_name.clone().ok_or(()))
}

/// The module's value.
pub struct AuthBasic;

impl HandlerModule for AuthBasic {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(AuthBasic)
    }
}

impl Authn for AuthBasic {
    fn authn(&self, req: &mut Request<'_>) -> Verdict {
        let uri = log_escape::escape(req.path());
        let realm = match realm(req) {
            None => return Verdict::Declined,
            Some(Ok(realm)) => realm,
            Some(Err(())) => {
                req.log(Level::Error, &format!("need AuthName: {uri}"));
                return Verdict::Status(500);
            }
        };
        let (user, password) = match Credentials::parse(req.header_bytes("Authorization")) {
            Credentials::Missing => {
                challenge(req, &realm);
                return Verdict::Status(401);
            }
            Credentials::WrongScheme => {
                req.log(
                    Level::Error,
                    &format!("client used wrong authentication scheme: {uri}"),
                );
                challenge(req, &realm);
                return Verdict::Status(401);
            }
            Credentials::Basic(user, password) => (user, password),
        };
        // As Apache, the user is known (to %u) before it is checked.
        let _ = req.set_user(&String::from_utf8_lossy(&user));
        let name = log_escape::escape(&user);
        let status = authn_file::check_password(req, &user, &password);
        let config = req.module_config::<BasicConfig>();
        let authoritative = config.and_then(|c| c.authoritative).unwrap_or(true);
        match status {
            AuthnStatus::Granted => {
                // A refusal by the Require lines is a 401 that needs the challenge too.
                if req.add_filter(CHALLENGE_FILTER).is_err() {
                    req.log(Level::Error, &format!("{CHALLENGE_FILTER}: not added"));
                }
                return Verdict::Ok;
            }
            AuthnStatus::UserNotFound | AuthnStatus::GeneralError if !authoritative => {
                return Verdict::Declined
            }
            AuthnStatus::Denied => req.log(
                Level::Error,
                &format!("user {name}: authentication failure for \"{uri}\": Password Mismatch"),
            ),
            AuthnStatus::UserNotFound => {
                req.log(Level::Error, &format!("user {name} not found: {uri}"))
            }
            AuthnStatus::GeneralError => return Verdict::Status(500),
        }
        challenge(req, &realm);
        Verdict::Status(401)
    }
}

/// The filter's name.
const CHALLENGE_FILTER: &str = "BASIC_AUTH_CHALLENGE";

/// Adds the challenge to a 401 that has none (a user the `Require` lines refused).
struct ChallengeFilter;

impl OutputFilter for ChallengeFilter {
    type State = ();
    const CLASS: i32 = mapache_plugin_api::sdk::filter::class::PROTOCOL;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        if req.status() == 401
            && req
                .table_get(Table::ErrHeadersOut, "WWW-Authenticate")
                .is_none()
        {
            if let Some(Ok(realm)) = realm(req) {
                challenge(req, &realm);
            }
        }
        FilterVerdict::Leave
    }
}

mapache_module! {
    symbol: auth_basic_module,
    name: "auth_basic",
    handler: AuthBasic,
    directives: [
        ("AuthBasicProvider", ITERATE, SECTION | AUTHCFG, "specify the auth providers for a directory or location"),
        ("AuthBasicAuthoritative", FLAG, SECTION | AUTHCFG, "Set to 'Off' to allow access control to be passed along to lower modules if the UserID is not known to this module"),
        ("AuthBasicFake", RAW_ARGS, SECTION | AUTHCFG, "Fake basic authentication using the given expressions for username and password (not supported by mapache)"),
        ("AuthBasicUseDigestAlgorithm", TAKE1, SECTION | AUTHCFG, "Set to 'MD5' to use the auth provider's authentication check for digest auth (not supported by mapache)"),
    ],
    config: BasicConfig,
    hooks: [Authn],
    filters: [output("BASIC_AUTH_CHALLENGE", ChallengeFilter)],
    apache_names: ["auth_basic_module"],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pw: &str) -> Credentials {
        Credentials::Basic(user.as_bytes().to_vec(), pw.as_bytes().to_vec())
    }

    #[test]
    fn credentials_as_get_basic_auth_reads_them() {
        assert_eq!(Credentials::parse(None), Credentials::Missing);
        assert_eq!(
            Credentials::parse(Some(b"Basic YWxpY2U6czNjcmV0")),
            basic("alice", "s3cret")
        );
        assert_eq!(
            Credentials::parse(Some(b"bAsIc   YWxpY2U6czNjcmV0")),
            basic("alice", "s3cret")
        );
        // The password may hold colons; no colon is an empty password.
        assert_eq!(
            Credentials::parse(Some(b"Basic YTpiOmM=")),
            basic("a", "b:c")
        );
        assert_eq!(
            Credentials::parse(Some(b"Basic YWxpY2U=")),
            basic("alice", "")
        );
        assert_eq!(Credentials::parse(Some(b"Basic")), basic("", ""));
        assert_eq!(
            Credentials::parse(Some(b"Bearer abc")),
            Credentials::WrongScheme
        );
        assert_eq!(Credentials::parse(Some(b"")), Credentials::WrongScheme);
    }

    #[test]
    fn a_nul_ends_the_credentials() {
        // "a:b\0c" → the password is "b".
        assert_eq!(Credentials::parse(Some(b"Basic YTpiAGM=")), basic("a", "b"));
    }

    #[test]
    fn only_the_file_provider_is_taken() {
        let mut c = BasicConfig::default();
        assert!(c
            .set(Scope::Section, "AuthBasicProvider", &["file"])
            .is_ok());
        let e = c
            .set(Scope::Section, "AuthBasicProvider", &["file", "dbm"])
            .unwrap_err();
        assert!(e.starts_with("Unknown Authn provider: dbm"), "{e}");
        assert!(c.set(Scope::Section, "AuthBasicFake", &["x"]).is_err());
    }
}
