//! `authz_groupfile_module`: `AuthGroupFile` per scope and the `Require group …` provider
//! (Apache's mod_authz_groupfile); its `file-group` needs mod_authz_owner and is refused.

use crate::file_cache::FileCache;
use crate::group_file::GroupFile;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::path::PathBuf;

/// One scope's `AuthGroupFile`, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupConfig {
    /// `AuthGroupFile`.
    pub group_file: Option<PathBuf>,
}

impl ModuleConfig for GroupConfig {
    fn set(&mut self, _scope: Scope, _name: &str, args: &[&str]) -> Result<(), String> {
        self.group_file = Some(PathBuf::from(args.first().copied().unwrap_or("")));
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        GroupConfig {
            group_file: child
                .group_file
                .clone()
                .or_else(|| parent.group_file.clone()),
        }
    }
}

/// The group files read so far in this process.
static GROUPS: FileCache<GroupFile> = FileCache::new(GroupFile::parse);

/// `Require group name…`.
pub struct Group;

impl AuthzProvider for Group {
    fn check(&self, args: &[&str]) -> Result<(), String> {
        crate::authz_user::check_names("group", args)
    }

    fn authorize(&self, req: &mut Request<'_>, args: &[&str]) -> Authz {
        let user = req.user();
        if user.is_empty() {
            return Authz::NeedsUser;
        }
        let uri = crate::log_escape::escape(req.path());
        let name = crate::log_escape::escape(user.as_bytes());
        let Some(file) = req
            .module_config::<GroupConfig>()
            .and_then(|c| c.group_file.clone())
        else {
            req.log(
                Level::Error,
                "No group file was specified in the configuration",
            );
            return Authz::Denied;
        };
        let path = crate::server_root::resolve(&file);
        let groups = match GROUPS.get(&path) {
            Ok(g) => g,
            Err(e) => {
                req.log(
                    Level::Error,
                    &format!("Could not open group file: {} ({e})", path.display()),
                );
                return Authz::Denied;
            }
        };
        // Apache's levels: info and debug, as authz_core's error line follows.
        if !groups.knows(user.as_bytes()) {
            req.log(
                Level::Info,
                &format!(
                    "Authorization of user {name} to access {uri} failed, reason: user doesn't appear in group file ({}).",
                    path.display()
                ),
            );
            return Authz::Denied;
        }
        if args
            .iter()
            .any(|g| groups.contains(g.as_bytes(), user.as_bytes()))
        {
            return Authz::Granted;
        }
        req.log(
            Level::Debug,
            &format!("Authorization of user {name} to access {uri} failed, reason: user is not part of the 'require'ed group(s)."),
        );
        Authz::Denied
    }
}

/// `Require file-group`: the file's owning group, which needs mod_authz_owner.
pub struct FileGroup;

impl AuthzProvider for FileGroup {
    fn check(&self, _args: &[&str]) -> Result<(), String> {
        Err("Require file-group is not supported by mapache (it has no mod_authz_owner); use Require group".to_owned())
    }

    fn authorize(&self, _req: &mut Request<'_>, _args: &[&str]) -> Authz {
        Authz::Denied
    }
}

/// The module's value.
pub struct AuthzGroupfile;

impl HandlerModule for AuthzGroupfile {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        crate::server_root::record(config.value("ServerRoot").unwrap_or(""));
        Ok(AuthzGroupfile)
    }
}

mapache_module! {
    symbol: authz_groupfile_module,
    name: "authz_groupfile",
    handler: AuthzGroupfile,
    directives: [
        ("AuthGroupFile", TAKE1, SECTION | AUTHCFG, "text file containing group names and member user IDs"),
    ],
    config: GroupConfig,
    hooks: [],
    authz: [("group", Group), ("file-group", FileGroup)],
    apache_names: ["authz_groupfile_module"],
}
