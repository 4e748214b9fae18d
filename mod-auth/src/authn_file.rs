//! `authn_file_module`: `AuthUserFile` per scope and the `file` provider the Basic hook asks
//! (Apache's mod_authn_file `check_password`).

use crate::file_cache::FileCache;
use crate::user_file::UserFile;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::path::PathBuf;

/// One scope's `AuthUserFile`, as written (resolved against ServerRoot when used).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileConfig {
    /// `AuthUserFile`.
    pub user_file: Option<PathBuf>,
}

impl ModuleConfig for FileConfig {
    fn set(&mut self, _scope: Scope, _name: &str, args: &[&str]) -> Result<(), String> {
        self.user_file = Some(PathBuf::from(args.first().copied().unwrap_or("")));
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        FileConfig {
            user_file: child.user_file.clone().or_else(|| parent.user_file.clone()),
        }
    }
}

/// What a provider says about a user and password (Apache's `authn_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthnStatus {
    /// The password is the user's.
    Granted,
    /// The user is known and the password is wrong.
    Denied,
    /// The provider does not know the user.
    UserNotFound,
    /// The provider could not decide (it logged why).
    GeneralError,
}

/// The password files read so far in this process.
static USERS: FileCache<UserFile> = FileCache::new(UserFile::parse);

/// The `file` provider: `password` checked against `user`'s line in the scope's
/// `AuthUserFile`, the file re-read when it changed.
pub fn check_password(req: &mut Request<'_>, user: &[u8], password: &[u8]) -> AuthnStatus {
    // SAFETY: FileConfig is this module's `config:` type.
    let config = unsafe { crate::sibling::config_of::<FileConfig>(req, &authn_file_module) };
    let Some(config) = config else {
        req.log(
            Level::Error,
            "AuthBasicProvider file needs authn_file_module: add its LoadModule line",
        );
        return AuthnStatus::GeneralError;
    };
    let Some(file) = &config.user_file else {
        req.log(
            Level::Error,
            "AuthUserFile not specified in the configuration",
        );
        return AuthnStatus::GeneralError;
    };
    let path = crate::server_root::resolve(file);
    let users = match USERS.get(&path) {
        Ok(users) => users,
        Err(e) => {
            req.log(
                Level::Error,
                &format!("Could not open password file: {} ({e})", path.display()),
            );
            return AuthnStatus::GeneralError;
        }
    };
    match users.hash(user) {
        None => AuthnStatus::UserNotFound,
        Some(stored) if crate::hash::validate(password, stored) => AuthnStatus::Granted,
        Some(_) => AuthnStatus::Denied,
    }
}

/// The module's value.
pub struct AuthnFile;

impl HandlerModule for AuthnFile {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        crate::server_root::record(config.value("ServerRoot").unwrap_or(""));
        Ok(AuthnFile)
    }
}

mapache_module! {
    symbol: authn_file_module,
    name: "authn_file",
    handler: AuthnFile,
    directives: [
        ("AuthUserFile", TAKE1, SECTION | AUTHCFG, "text file containing user IDs and passwords"),
    ],
    config: FileConfig,
    hooks: [],
    apache_names: ["authn_file_module"],
}
