//! # mod-auth
//!
//! Apache's Basic authentication family for mapache, one file exporting five modules, each
//! under its Apache name so `LoadModule` lines and `<IfModule>` blocks work as in Apache:
//!
//! - `authn_core_module` ([`authn_core`]): `AuthType` (Basic, None) and `AuthName`;
//! - `auth_basic_module` ([`auth_basic`]): the authn hook that reads `Authorization: Basic`,
//!   asks the providers of `AuthBasicProvider` (file) and answers 401 with
//!   `WWW-Authenticate: Basic realm="…"`; `AuthBasicAuthoritative`;
//! - `authn_file_module` ([`authn_file`]): `AuthUserFile` and the `file` provider, which
//!   checks every hash Debian's htpasswd writes ([`hash`]);
//! - `authz_user_module` ([`authz_user`]): `Require user …` and `Require valid-user`;
//! - `authz_groupfile_module` ([`authz_groupfile`]): `AuthGroupFile` and `Require group …`.
//!
//! What it is not: Digest or form authentication, DBM/LDAP/SQL providers, `Require
//! file-owner`/`file-group`, expressions in `Require` or `AuthName`: refused at `-t`.
//! `Require` itself, its containers and `Require ip` are the core's.
//!
//! The modules share this crate's code but keep their own configuration, as Apache's do; the
//! Basic hook reads its siblings' through [`sibling`].

pub mod auth_basic;
pub mod authn_core;
pub mod authn_file;
pub mod authz_groupfile;
pub mod authz_user;
pub mod base64;
pub mod cfg_lines;
pub mod file_cache;
pub mod group_file;
pub mod hash;
pub mod log_escape;
pub mod server_root;
pub mod sibling;
pub mod user_file;
