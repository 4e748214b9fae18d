//! The directives the core itself declares, in the same shape as a module's table, with a check
//! of each value so a bad one is reported with its file and line while the file is read.

use mapache_plugin_api::abi::{
    MAPACHE_CTX_ANY as ANY, MAPACHE_CTX_GLOBAL_ONLY, MAPACHE_CTX_SECTION as SECTION,
    MAPACHE_CTX_SERVER as SERVER, MAPACHE_FLAG as FLAG, MAPACHE_ITERATE as ITERATE,
    MAPACHE_OVERRIDE_AUTHCFG as AUTHCFG, MAPACHE_OVERRIDE_FILEINFO as FILEINFO,
    MAPACHE_OVERRIDE_INDEXES as INDEXES, MAPACHE_OVERRIDE_OPTIONS as OPTIONS,
    MAPACHE_TAKE1 as TAKE1, MAPACHE_TAKE12 as TAKE12, MAPACHE_TAKE123 as TAKE123,
    MAPACHE_TAKE2 as TAKE2,
};

/// The main server only, never inside `<VirtualHost>` (Apache's GLOBAL_ONLY).
const GLOBAL: u32 = SERVER | MAPACHE_CTX_GLOBAL_ONLY;

/// One core directive.
pub struct CoreDirective {
    /// Name as documented.
    pub name: &'static str,
    /// Argument kind.
    pub args: u32,
    /// Allowed contexts.
    pub contexts: u32,
    /// Help text (Apache's where there is one).
    pub help: &'static str,
    /// Value check, run as the directive is read.
    pub check: fn(&[String]) -> Result<(), String>,
    /// The argument is a path relative to ServerRoot: it is stored made absolute, so modules
    /// reading it (mod-static reads DocumentRoot) see the path the core means.
    pub server_relative: bool,
}

fn any(_: &[String]) -> Result<(), String> {
    Ok(())
}

/// A filter list and at least one content type or extension (Apache's arity message).
fn two_or_more(args: &[String]) -> Result<(), String> {
    if args.len() < 2 {
        return Err("requires at least two arguments, a filter name followed by one or more content-types or extensions".to_owned());
    }
    Ok(())
}

/// AddHandler's arity (Apache's message).
fn handler_and_extensions(args: &[String]) -> Result<(), String> {
    if args.len() < 2 {
        return Err("AddHandler requires at least two arguments, a handler name followed by one or more file extensions".to_owned());
    }
    Ok(())
}

fn number(name: &str, args: &[String]) -> Result<(), String> {
    match args.first().map(|a| a.parse::<u64>()) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "{name} must be a non-negative whole number, not '{}'",
            args.first().map(String::as_str).unwrap_or("")
        )),
    }
}

macro_rules! numeric {
    ($f:ident, $name:literal) => {
        fn $f(args: &[String]) -> Result<(), String> {
            number($name, args)
        }
    };
}
numeric!(check_backlog, "ListenBacklog");
numeric!(check_timeout, "Timeout");
numeric!(check_ka_timeout, "KeepAliveTimeout");
numeric!(check_max_ka, "MaxKeepAliveRequests");
numeric!(check_line, "LimitRequestLine");
numeric!(check_fields, "LimitRequestFields");
numeric!(check_field_size, "LimitRequestFieldSize");
numeric!(check_body, "LimitRequestBody");

fn check_read_timeout(args: &[String]) -> Result<(), String> {
    crate::serve::read_timeout::RequestReadTimeout::default().apply(args)
}

fn check_listen(args: &[String]) -> Result<(), String> {
    crate::listen::parse_listen(&args[0])?;
    // The protocol argument: the core speaks plain HTTP; any other protocol needs a module to
    // speak it, and none offers one yet (TLS would be mod_ssl's job). Refused rather than served
    // as plain HTTP on the port clients will talk TLS to.
    match args.get(1) {
        Some(protocol) if !protocol.eq_ignore_ascii_case("http") => {
            let hint = if protocol.eq_ignore_ascii_case("https") {
                " (TLS is mod_ssl's job and mapache has no TLS module yet: terminate TLS in a proxy in front)"
            } else {
                ""
            };
            Err(format!(
                "Listen {} {protocol}: no loaded module provides {protocol}{hint}",
                args[0]
            ))
        }
        _ => Ok(()),
    }
}

fn check_error_log(args: &[String]) -> Result<(), String> {
    crate::logs::LogTarget::parse_error_log(&args[0]).map(|_| ())
}

fn check_log_level(args: &[String]) -> Result<(), String> {
    crate::logs::error_log::LogLevels::parse(args).map(|_| ())
}

fn check_user(args: &[String]) -> Result<(), String> {
    crate::control::privileges::user(&args[0]).map(|_| ())
}

fn check_group(args: &[String]) -> Result<(), String> {
    crate::control::privileges::group(&args[0]).map(|_| ())
}

fn check_options(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    mapache_plugin_api::sdk::options::parse(&words).map(|_| ())
}

fn check_canonical_name(args: &[String]) -> Result<(), String> {
    match args[0].to_ascii_lowercase().as_str() {
        "on" | "off" => Ok(()),
        "dns" => Err("UseCanonicalName DNS is not supported (mapache does no reverse lookups): use On or Off".to_owned()),
        _ => Err("UseCanonicalName must be On, Off or DNS".to_owned()),
    }
}

fn check_tokens(args: &[String]) -> Result<(), String> {
    crate::config::settings::ServerTokens::parse(&args[0]).map(|_| ())
}

/// `Keyword` among `choices` (lower case), else Apache's message.
fn one_of(args: &[String], choices: &[&str], message: &str) -> Result<(), String> {
    match choices.contains(&args[0].to_ascii_lowercase().as_str()) {
        true => Ok(()),
        false => Err(message.to_owned()),
    }
}

fn check_trace_enable(args: &[String]) -> Result<(), String> {
    crate::config::settings::TraceEnable::parse(&args[0]).map(|_| ())
}

fn check_signature(args: &[String]) -> Result<(), String> {
    crate::config::settings::ServerSignature::parse(&args[0]).map(|_| ())
}

fn check_lookups(args: &[String]) -> Result<(), String> {
    crate::config::settings::HostnameLookups::parse(&args[0]).map(|_| ())
}

fn check_on_off(args: &[String]) -> Result<(), String> {
    one_of(args, &["on", "off"], "parameter must be 'on' or 'off'")
}

fn check_mutex(args: &[String]) -> Result<(), String> {
    crate::config::mutex::check(args).map(|_| ())
}

fn check_protocols(args: &[String]) -> Result<(), String> {
    crate::config::settings::check_protocols(args)
}

fn check_error_log_format(args: &[String]) -> Result<(), String> {
    crate::logs::error_format::check_directive(args)
}

/// Every core directive. `LoadModule` is listed for `-L` and arity checks; the dispatcher acts on it.
pub static CORE_DIRECTIVES: &[CoreDirective] = &[
    CoreDirective {
        name: "ServerRoot",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Common directory of server-related files (logs, confs, etc.)",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "LoadModule",
        args: TAKE2,
        contexts: GLOBAL,
        help: "a module name and the name of a shared object file to load it from",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ServerName",
        args: TAKE1,
        contexts: SERVER,
        help: "The hostname and port of the server",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ServerAlias",
        args: ITERATE,
        contexts: SERVER,
        help: "A name or names alternately used to access the server",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ServerAdmin",
        args: TAKE1,
        contexts: SERVER,
        help: "The email address of the server administrator",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "UseCanonicalName",
        args: TAKE1,
        contexts: SERVER,
        help: "How to work out the ServerName : Port when constructing URLs",
        check: check_canonical_name,
        server_relative: false,
    },
    CoreDirective {
        name: "ServerTokens",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Tokens to include in the Server header: Prod, Major, Minor, Min, OS or Full",
        check: check_tokens,
        server_relative: false,
    },
    CoreDirective {
        name: "Listen",
        args: TAKE12,
        contexts: GLOBAL,
        help: "A port number or a numeric IP address and a port number, and an optional protocol",
        check: check_listen,
        server_relative: false,
    },
    CoreDirective {
        name: "ListenBacklog",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Maximum length of the queue of pending connections, as used by listen(2)",
        check: check_backlog,
        server_relative: false,
    },
    CoreDirective {
        name: "PidFile",
        args: TAKE1,
        contexts: GLOBAL,
        help: "A file for logging the server process ID",
        check: any,
        server_relative: true,
    },
    CoreDirective {
        name: "User",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Effective user id for this server (a name or #uid); applied in children when started as root",
        check: check_user,
        server_relative: false,
    },
    CoreDirective {
        name: "Group",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Effective group id for this server (a name or #gid); applied in children when started as root",
        check: check_group,
        server_relative: false,
    },
    CoreDirective {
        name: "ErrorLog",
        args: TAKE1,
        contexts: SERVER,
        help: "The filename of the error log, |program, or syslog[:facility[:tag]]",
        check: check_error_log,
        server_relative: true,
    },
    CoreDirective {
        name: "LogLevel",
        args: ITERATE,
        contexts: SERVER,
        help: "Level of verbosity in error logging",
        check: check_log_level,
        server_relative: false,
    },
    CoreDirective {
        name: "DocumentRoot",
        args: TAKE1,
        contexts: SERVER,
        help: "Root directory of the document tree",
        check: any,
        server_relative: true,
    },
    CoreDirective {
        name: "Options",
        args: ITERATE,
        contexts: ANY | OPTIONS,
        help: "Set a number of attributes for a given directory",
        check: check_options,
        server_relative: false,
    },
    CoreDirective {
        name: "DirectoryIndex",
        args: ITERATE,
        contexts: ANY | INDEXES,
        help: "a list of file names to try when a directory is requested",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "SetHandler",
        args: TAKE1,
        contexts: ANY | FILEINFO,
        help: "a handler name that overrides any other configured handler",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "Timeout",
        args: TAKE1,
        contexts: SERVER,
        help: "Timeout duration (sec)",
        check: check_timeout,
        server_relative: false,
    },
    CoreDirective {
        name: "KeepAlive",
        args: FLAG,
        contexts: SERVER,
        help: "Whether persistent connections should be On or Off",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "KeepAliveTimeout",
        args: TAKE1,
        contexts: SERVER,
        help: "Keep-Alive timeout duration (sec)",
        check: check_ka_timeout,
        server_relative: false,
    },
    CoreDirective {
        name: "MaxKeepAliveRequests",
        args: TAKE1,
        contexts: SERVER,
        help: "Maximum number of Keep-Alive requests per connection, or 0 for infinite",
        check: check_max_ka,
        server_relative: false,
    },
    CoreDirective {
        name: "LimitRequestLine",
        args: TAKE1,
        contexts: SERVER,
        help: "Limit on maximum size of an HTTP request line",
        check: check_line,
        server_relative: false,
    },
    CoreDirective {
        name: "LimitRequestFields",
        args: TAKE1,
        contexts: SERVER,
        help: "Limit (0 = unlimited) on max number of header fields in a request message",
        check: check_fields,
        server_relative: false,
    },
    CoreDirective {
        name: "LimitRequestFieldSize",
        args: TAKE1,
        contexts: SERVER,
        help: "Limit on maximum size of an HTTP request header field",
        check: check_field_size,
        server_relative: false,
    },
    CoreDirective {
        name: "LimitRequestBody",
        args: TAKE1,
        contexts: ANY,
        help: "Limit (in bytes) on maximum size of request message body (0 = unlimited; default 1073741824)",
        check: check_body,
        server_relative: false,
    },
    CoreDirective {
        name: "RequestReadTimeout",
        args: ITERATE,
        contexts: SERVER,
        help: "Set various timeout parameters for reading request headers and body: header=20-40,MinRate=500 body=20,MinRate=500",
        check: check_read_timeout,
        server_relative: false,
    },
    CoreDirective {
        name: "Require",
        args: ITERATE,
        contexts: ANY | AUTHCFG,
        help: "specifies authorization directives which one must pass (or not) for a request to succeed",
        check: crate::access::check_line,
        server_relative: false,
    },
    CoreDirective {
        name: "LogFormat",
        args: TAKE12,
        contexts: SERVER,
        help: "a log format string (see docs) and an optional format name",
        check: crate::logs::access_log::check_log_format,
        server_relative: false,
    },
    CoreDirective {
        name: "CustomLog",
        args: TAKE123,
        contexts: SERVER,
        help: "a file name or |program, and a custom log format string or format name",
        check: crate::logs::access_log::check_custom_log,
        server_relative: true,
    },
    CoreDirective {
        name: "TransferLog",
        args: TAKE1,
        contexts: SERVER,
        help: "the filename of the access log (in the last LogFormat without a nickname)",
        check: any,
        server_relative: true,
    },
    CoreDirective {
        name: "SetOutputFilter",
        args: TAKE1,
        contexts: ANY | FILEINFO,
        help: "filter (or ; delimited list of filters) to be run on the request content",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "SetInputFilter",
        args: TAKE1,
        contexts: ANY | FILEINFO,
        help: "filter (or ; delimited list of filters) to be run on the request body",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "AddOutputFilterByType",
        args: ITERATE,
        contexts: ANY | FILEINFO,
        help: "output filter name followed by one or more content-types",
        check: two_or_more,
        server_relative: false,
    },
    CoreDirective {
        name: "AddOutputFilter",
        args: ITERATE,
        contexts: ANY | FILEINFO,
        help: "output filter (or ; delimited list of filters) followed by one or more file extensions",
        check: two_or_more,
        server_relative: false,
    },
    CoreDirective {
        name: "RemoveOutputFilter",
        args: ITERATE,
        contexts: ANY | FILEINFO,
        help: "one or more file extensions",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ErrorDocument",
        args: TAKE2,
        contexts: ANY | FILEINFO,
        help: "Change responses for HTTP errors",
        check: crate::pipeline::error_document::check,
        server_relative: false,
    },
    CoreDirective {
        name: "AddHandler",
        args: ITERATE,
        contexts: ANY | FILEINFO,
        help: "a handler name followed by one or more file extensions",
        check: handler_and_extensions,
        server_relative: false,
    },
    CoreDirective {
        name: "RemoveHandler",
        args: ITERATE,
        contexts: ANY | FILEINFO,
        help: "one or more file extensions",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "AllowOverride",
        args: ITERATE,
        contexts: SECTION,
        help: "Controls what groups of directives can be configured by per-directory config files",
        check: crate::htaccess::overrides::check,
        server_relative: false,
    },
    CoreDirective {
        name: "AllowOverrideList",
        args: ITERATE,
        contexts: SECTION,
        help: "Controls what individual directives can be configured by per-directory config files",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "AccessFileName",
        args: ITERATE,
        contexts: SERVER,
        help: "Name(s) of per-directory config files (default: .htaccess)",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ServerSignature",
        args: TAKE1,
        contexts: SERVER,
        help: "En-/disable server signature (on|off|email)",
        check: check_signature,
        server_relative: false,
    },
    CoreDirective {
        name: "TraceEnable",
        args: TAKE1,
        contexts: SERVER,
        help: "'on' (default), 'off' or 'extended' to trace request body content",
        check: check_trace_enable,
        server_relative: false,
    },
    CoreDirective {
        name: "HostnameLookups",
        args: TAKE1,
        contexts: GLOBAL,
        help: "\"on\" to enable, \"off\" to disable reverse DNS lookups, or \"double\" to enable double-reverse DNS lookups",
        check: check_lookups,
        server_relative: false,
    },
    CoreDirective {
        name: "EnableSendfile",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Controls whether sendfile may be used to transmit files",
        check: check_on_off,
        server_relative: false,
    },
    CoreDirective {
        name: "EnableMMAP",
        args: TAKE1,
        contexts: GLOBAL,
        help: "Controls whether memory-mapping may be used to read files (mapache never maps files)",
        check: check_on_off,
        server_relative: false,
    },
    CoreDirective {
        name: "Mutex",
        args: ITERATE,
        contexts: GLOBAL,
        help: "mutex (or \"default\") and mechanism",
        check: check_mutex,
        server_relative: false,
    },
    CoreDirective {
        name: "DefaultRuntimeDir",
        args: TAKE1,
        contexts: GLOBAL,
        help: "The location of the directory Apache places runtime files in",
        check: any,
        server_relative: true,
    },
    CoreDirective {
        name: "Protocols",
        args: ITERATE,
        contexts: GLOBAL,
        help: "Controls which protocols are allowed",
        check: check_protocols,
        server_relative: false,
    },
    CoreDirective {
        name: "BufferedLogs",
        args: FLAG,
        contexts: GLOBAL,
        help: "Enable Buffered Logging (experimental)",
        check: any,
        server_relative: false,
    },
    CoreDirective {
        name: "ErrorLogFormat",
        args: TAKE12,
        contexts: GLOBAL,
        help: "Format string for the ErrorLog",
        check: check_error_log_format,
        server_relative: false,
    },
];

/// LimitRequestBody's default: 1 GiB, as Apache since 2.4.54.
pub const DEFAULT_LIMIT_REQUEST_BODY: u64 = 1 << 30;

/// Finds a core directive by name, case-insensitively.
pub fn find(name: &str) -> Option<&'static CoreDirective> {
    CORE_DIRECTIVES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Apache 2.2's access control (mod_access_compat), refused with what to write instead: its
/// rules (Order's two evaluation orders, host names checked by double reverse lookup, Satisfy
/// combining with authentication) are not what the Require code does, and a near copy would
/// grant or deny differently from what the lines say. `None`: not one of them.
pub fn retired(name: &str) -> Option<&'static str> {
    const ACCESS_COMPAT: &[(&str, &str)] = &[
        (
            "Order",
            "Order/Allow/Deny are Apache 2.2's mod_access_compat, which mapache does not have: use \
             Require (Order allow,deny + Allow from all → Require all granted; Deny from all → \
             Require all denied)",
        ),
        (
            "Allow",
            "Allow is Apache 2.2's mod_access_compat, which mapache does not have: use Require \
             (Allow from all → Require all granted; Allow from 10.0.0.0/8 → Require ip 10.0.0.0/8; \
             Allow from env=X → Require env X)",
        ),
        (
            "Deny",
            "Deny is Apache 2.2's mod_access_compat, which mapache does not have: use Require \
             (Deny from all → Require all denied; Deny from 10.1.2.3 → <RequireAll> Require all \
             granted + Require not ip 10.1.2.3 </RequireAll>)",
        ),
        (
            "Satisfy",
            "Satisfy is Apache 2.2's mod_access_compat, which mapache does not have: use Require \
             inside <RequireAny> (Satisfy Any) or <RequireAll> (Satisfy All)",
        ),
    ];
    ACCESS_COMPAT
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, message)| message)
}
