//! The command line, with Apache's flags and messages. Parsed with lexopt: Apache's getopt-style
//! flags (`-DNAME`, `-f file`, `-t`) need exact control of the output, which lexopt leaves to us.

use std::path::PathBuf;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the server.
    Run,
    /// `-t`: check the configuration, print `Syntax OK`.
    Test,
    /// `-l`: modules compiled into the binary.
    ListCompiled,
    /// `-M`: loaded modules.
    ListLoaded,
    /// `-L`: directives.
    ListDirectives,
    /// `-V`: version and build settings, MPM.
    Settings,
    /// `-v`: version.
    Version,
    /// `-h`: usage.
    Help,
}

/// Parsed arguments.
#[derive(Debug, Clone)]
pub struct Args {
    /// `-f`: the configuration file (default `conf/httpd.conf` under ServerRoot).
    pub config_file: Option<PathBuf>,
    /// `-d`: ServerRoot (default: the current directory).
    pub server_root: Option<PathBuf>,
    /// `-D`: names for `<IfDefine>`.
    pub defines: Vec<String>,
    /// `-C`: directives read before the configuration file.
    pub pre_directives: Vec<String>,
    /// `-c`: directives read after it.
    pub post_directives: Vec<String>,
    /// `-X`: one process, foreground.
    pub one_process: bool,
    /// What to do.
    pub action: Action,
    /// `-k`: signal the running master (or start one), with Apache's meaning.
    pub signal: Option<KCommand>,
}

/// `-k start|stop|restart|graceful|graceful-stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KCommand {
    /// Start unless a master is already running, detached (the command returns once it serves).
    Start,
    /// SIGTERM to the master.
    Stop,
    /// SIGHUP to the master, or start one (detached).
    Restart,
    /// SIGUSR1 to the master, or start one (detached).
    Graceful,
    /// SIGWINCH to the master.
    GracefulStop,
}

impl KCommand {
    /// Parses `-k`'s argument.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "start" => KCommand::Start,
            "stop" => KCommand::Stop,
            "restart" => KCommand::Restart,
            "graceful" => KCommand::Graceful,
            "graceful-stop" => KCommand::GracefulStop,
            _ => return None,
        })
    }

    /// The argument as written.
    pub fn name(self) -> &'static str {
        match self {
            KCommand::Start => "start",
            KCommand::Stop => "stop",
            KCommand::Restart => "restart",
            KCommand::Graceful => "graceful",
            KCommand::GracefulStop => "graceful-stop",
        }
    }
}

/// Usage text for `-h` and after a bad flag.
pub fn usage(program: &str) -> String {
    format!(
        "Usage: {program} [-D name] [-d directory] [-f file]\n\
         {pad} [-C \"directive\"] [-c \"directive\"]\n\
         {pad} [-k start|restart|graceful|graceful-stop|stop]\n\
         {pad} [-v] [-V] [-h] [-l] [-L] [-t] [-S] [-M] [-X]\n\
         Options:\n\
         \x20 -D name            : define a name for use in <IfDefine name> directives\n\
         \x20 -d directory       : specify an alternate initial ServerRoot\n\
         \x20 -f file            : specify an alternate ServerConfigFile\n\
         \x20 -C \"directive\"     : process directive before reading config files\n\
         \x20 -c \"directive\"     : process directive after reading config files\n\
         \x20 -k action          : signal the master named by PidFile: start (detached, returns once \
         serving), stop, restart, graceful, graceful-stop\n\
         \x20 -v                 : show version number\n\
         \x20 -V                 : show compile settings\n\
         \x20 -h                 : list available command line options (this page)\n\
         \x20 -l                 : list compiled in modules\n\
         \x20 -L                 : list available configuration directives\n\
         \x20 -t                 : run syntax check for config files\n\
         \x20 -S                 : a synonym for -t -D DUMP_VHOSTS -D DUMP_RUN_CFG\n\
         \x20 -M                 : list loaded modules\n\
         \x20 -X                 : debug mode (one process, no children, no detaching)\n",
        pad = " ".repeat(program.len())
    )
}

/// Parses the command line (without the program name).
pub fn parse(argv: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        config_file: None,
        server_root: None,
        defines: Vec::new(),
        pre_directives: Vec::new(),
        post_directives: Vec::new(),
        one_process: false,
        action: Action::Run,
        signal: None,
    };
    let mut p = lexopt::Parser::from_args(argv);
    let text = |v: std::ffi::OsString, flag: char| {
        v.into_string()
            .map_err(|_| format!("-{flag}: argument is not valid UTF-8"))
    };
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Short('f') => {
                args.config_file = Some(PathBuf::from(p.value().map_err(|e| e.to_string())?))
            }
            Short('d') => {
                args.server_root = Some(PathBuf::from(p.value().map_err(|e| e.to_string())?))
            }
            Short('D') => args
                .defines
                .push(text(p.value().map_err(|e| e.to_string())?, 'D')?),
            Short('C') => args
                .pre_directives
                .push(text(p.value().map_err(|e| e.to_string())?, 'C')?),
            Short('c') => args
                .post_directives
                .push(text(p.value().map_err(|e| e.to_string())?, 'c')?),
            Short('k') => {
                let v = text(p.value().map_err(|e| e.to_string())?, 'k')?;
                args.signal = Some(KCommand::parse(&v).ok_or_else(|| {
                    format!(
                        "-k: unknown action '{v}': use start, restart, graceful, graceful-stop or stop"
                    )
                })?);
            }
            Short('X') => args.one_process = true,
            Short('t') => args.action = Action::Test,
            // Apache's -S is `-t -D DUMP_VHOSTS -D DUMP_RUN_CFG`.
            Short('S') => {
                args.action = Action::Test;
                args.defines.push("DUMP_VHOSTS".to_owned());
                args.defines.push("DUMP_RUN_CFG".to_owned());
            }
            Short('l') => args.action = Action::ListCompiled,
            Short('M') => args.action = Action::ListLoaded,
            Short('L') => args.action = Action::ListDirectives,
            Short('V') => args.action = Action::Settings,
            Short('v') => args.action = Action::Version,
            Short('h') | Short('?') => args.action = Action::Help,
            Short(c) => return Err(format!("illegal option -- {c}")),
            Long(l) => return Err(format!("illegal option -- -{l}")),
            Value(v) => return Err(format!("unexpected argument '{}'", v.to_string_lossy())),
        }
    }
    // -DFOREGROUND is an ordinary define that also keeps `-k start` in the foreground
    // (control::detach), as Apache's.
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Result<Args, String> {
        parse(s.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn dash_s_is_t_with_the_two_dumps() {
        let a = p(&["-S"]).unwrap();
        assert_eq!(a.action, Action::Test);
        assert_eq!(a.defines, vec!["DUMP_VHOSTS", "DUMP_RUN_CFG"]);
    }

    #[test]
    fn apache_style_flags() {
        let a = p(&[
            "-DFOREGROUND",
            "-D",
            "X",
            "-f",
            "conf/x.conf",
            "-d",
            "/srv",
            "-t",
            "-C",
            "Listen 1",
        ])
        .unwrap();
        assert_eq!(a.defines, vec!["FOREGROUND", "X"]);
        assert_eq!(a.config_file.unwrap(), PathBuf::from("conf/x.conf"));
        assert_eq!(a.server_root.unwrap(), PathBuf::from("/srv"));
        assert_eq!(a.action, Action::Test);
        assert_eq!(a.pre_directives, vec!["Listen 1"]);
    }

    #[test]
    fn dash_k_actions() {
        assert_eq!(
            p(&["-k", "graceful-stop"]).unwrap().signal,
            Some(KCommand::GracefulStop)
        );
        assert_eq!(p(&["-kstop"]).unwrap().signal, Some(KCommand::Stop));
        assert_eq!(p(&[]).unwrap().signal, None);
        assert!(p(&["-k", "reload"])
            .unwrap_err()
            .contains("unknown action 'reload'"));
        assert!(p(&["-k"]).is_err());
    }

    #[test]
    fn unknown_flag_is_refused() {
        assert!(p(&["-Q"]).unwrap_err().contains("illegal option -- Q"));
    }
}
