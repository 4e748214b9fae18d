//! The reader: files and strings in, [`Sink`] events out, in file order.
//!
//! It acts on the lines that decide what else is read (`Define`, `UnDefine`, `Include`,
//! `IncludeOptional`, `ServerRoot`, the `<If…>` conditions) and hands everything else to the
//! sink as it comes, so a module loaded by the sink is visible to the next `<IfModule>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::include::{self, io_reason};
use super::lexer::{self, Statement, Tag};
use super::variables::Variables;
use super::{ConfigError, Directive, Sink};

/// How deep `Include`s (and included directories) may nest below the main file. Apache's limit;
/// reaching it almost always means a file includes itself.
pub const MAX_INCLUDE_DEPTH: u32 = 128;

/// Reads configuration files and strings into a [`Sink`].
///
/// It keeps what outlives one file: the current ServerRoot (for relative `Include` paths) and the
/// defined variables. Reading several sources with one reader (`-C` strings, the main file, `-c`
/// strings) shares both, as Apache does.
#[derive(Debug)]
pub struct Reader {
    server_root: PathBuf,
    variables: Variables,
}

/// A place in the configuration, to turn a message into an error there.
#[derive(Clone, Copy)]
struct At<'a> {
    file: &'a str,
    line: u32,
}

impl<'a> At<'a> {
    fn of(d: &'a Directive) -> Self {
        At {
            file: &d.file,
            line: d.line,
        }
    }

    fn error(self, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.file, self.line, message)
    }
}

/// A section opened in the file being read and not yet closed.
struct OpenSection {
    /// As written, for the error messages.
    name: String,
    line: u32,
    /// Whether the sink saw the opening and so must see the close. `<IfModule>`, `<IfDefine>` and
    /// anything inside a skipped block are the reader's own.
    to_sink: bool,
}

/// The directives the reader acts on itself.
#[derive(Clone, Copy)]
enum Own {
    Define,
    UnDefine,
    Include,
    IncludeOptional,
    ServerRoot,
}

/// Canonical names (for messages) and Apache's help texts (for arity errors).
const OWN: [(&str, Own, &str); 5] = [
    (
        "Define",
        Own::Define,
        "Define a variable, optionally to a value.  Same as passing -D to the command line.",
    ),
    (
        "UnDefine",
        Own::UnDefine,
        "Undefine the existence of a variable. Undo a Define.",
    ),
    (
        "Include",
        Own::Include,
        "Name(s) of the config file(s) to be included; fails if the wildcard does not match at \
         least one file",
    ),
    (
        "IncludeOptional",
        Own::IncludeOptional,
        "Name or pattern of the config file(s) to be included; ignored if the file does not exist \
         or the pattern does not match any files",
    ),
    (
        "ServerRoot",
        Own::ServerRoot,
        "Common directory of server-related files (logs, confs, etc.)",
    ),
];

/// The conditional sections, evaluated here and never shown to the sink.
#[derive(Clone, Copy)]
enum Condition {
    Module,
    Define,
    Version,
    File,
    Directive,
    Section,
}

const CONDITIONS: [(&str, Condition); 6] = [
    ("IfModule", Condition::Module),
    ("IfDefine", Condition::Define),
    ("IfVersion", Condition::Version),
    ("IfFile", Condition::File),
    ("IfDirective", Condition::Directive),
    ("IfSection", Condition::Section),
];

impl Reader {
    /// A reader with `server_root` as the ServerRoot and each `-D` name in `cli_defines` defined
    /// with an empty value.
    pub fn new(server_root: PathBuf, cli_defines: &[String]) -> Self {
        Reader {
            server_root,
            variables: Variables::new(cli_defines),
        }
    }

    /// The current ServerRoot: the one given to [`Reader::new`], or the last `ServerRoot` read.
    pub fn server_root(&self) -> &Path {
        &self.server_root
    }

    /// Whether `name` is defined now, by `-D` or `Define` (and not `UnDefine`d since).
    pub fn is_defined(&self, name: &str) -> bool {
        self.variables.is_defined(name)
    }

    /// Reads the configuration file at `path` (relative: against the ServerRoot). Like an
    /// `Include`, `path` may be a directory or a wildcard. Errors that belong to no line (the file
    /// cannot be opened) have line 0.
    pub fn read_file(&mut self, path: &Path, sink: &mut dyn Sink) -> Result<(), ConfigError> {
        let path = self.absolute(path);
        let shown = path.display().to_string();
        let at = At {
            file: &shown,
            line: 0,
        };
        self.read_pattern(&path, false, 0, at, sink)
    }

    /// Reads configuration text, e.g. a `-C "directive"` string; `origin` names it in directives
    /// and errors.
    pub fn read_str(
        &mut self,
        text: &str,
        origin: &str,
        sink: &mut dyn Sink,
    ) -> Result<(), ConfigError> {
        self.read_text(text, Arc::from(origin), 0, sink)
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.server_root.join(path)
        }
    }

    /// Reads everything `path` names (see [`include::resolve`]); errors about the name itself are
    /// reported `at` the line that named it.
    fn read_pattern(
        &mut self,
        path: &Path,
        optional: bool,
        depth: u32,
        at: At<'_>,
        sink: &mut dyn Sink,
    ) -> Result<(), ConfigError> {
        for found in include::resolve(path, optional).map_err(|m| at.error(m))? {
            self.read_path(&found, optional, depth, at, sink)?;
        }
        Ok(())
    }

    /// Reads one file, or every entry of a directory, at include `depth`.
    fn read_path(
        &mut self,
        path: &Path,
        optional: bool,
        depth: u32,
        at: At<'_>,
        sink: &mut dyn Sink,
    ) -> Result<(), ConfigError> {
        if depth > MAX_INCLUDE_DEPTH {
            return Err(at.error(format!(
                "Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There appears to be a \
                 recursion."
            )));
        }
        let cannot_open = |e: std::io::Error| {
            at.error(format!(
                "Could not open configuration file {}: {}",
                path.display(),
                io_reason(&e)
            ))
        };
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(cannot_open(e)),
        };
        if metadata.is_dir() {
            // Each directory level counts as an include level, so a symlink loop ends too.
            for entry in include::directory_entries(path).map_err(|m| at.error(m))? {
                self.read_path(&entry, optional, depth + 1, at, sink)?;
            }
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(cannot_open)?;
        let file: Arc<str> = Arc::from(path.display().to_string());
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            ConfigError::at(
                &file,
                u32::try_from(line).unwrap_or(u32::MAX),
                "Invalid UTF-8 in configuration file",
            )
        })?;
        // Some editors start UTF-8 files with a byte-order mark; it is not part of the first name.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        self.read_text(text, file, depth, sink)
    }

    /// Reads the lines of one file. Sections must close in the file that opened them, so the
    /// stack of open sections lives here.
    fn read_text(
        &mut self,
        text: &str,
        file: Arc<str>,
        depth: u32,
        sink: &mut dyn Sink,
    ) -> Result<(), ConfigError> {
        let mut open: Vec<OpenSection> = Vec::new();
        // While `Some(n)`, the false condition at `open[n]` is being skipped: only nesting is
        // followed, nothing is expanded or evaluated.
        let mut skip_from: Option<usize> = None;
        for line in lexer::lines(text) {
            let at = At {
                file: &file,
                line: line.number,
            };
            if let Some(level) = skip_from {
                match lexer::tag(&line.text) {
                    Tag::Open { name, .. } => open.push(OpenSection {
                        name: name.to_string(),
                        line: line.number,
                        to_sink: false,
                    }),
                    Tag::Close { name, .. } => {
                        close(&mut open, name, at)?;
                        if open.len() == level {
                            skip_from = None;
                        }
                    }
                    Tag::Plain => {}
                }
                continue;
            }
            let expanded = self.variables.expand(&line.text, &mut |m| sink.warn(m));
            let expanded = lexer::trim_blanks(&expanded);
            if expanded.is_empty() {
                continue;
            }
            let directive = |name: String, args: Vec<String>| Directive {
                name,
                args,
                file: Arc::clone(&file),
                line: line.number,
            };
            match lexer::parse(expanded).map_err(|m| at.error(m))? {
                Statement::Directive { name, args } => {
                    self.directive(&directive(name, args), depth, sink)?;
                }
                Statement::Open { name, args } => {
                    let d = directive(name, args);
                    let condition = CONDITIONS
                        .iter()
                        .find(|(canonical, _)| d.name.eq_ignore_ascii_case(canonical));
                    let to_sink = match condition {
                        Some(&(canonical, condition)) => {
                            let holds = self
                                .holds(condition, canonical, &d, sink)
                                .map_err(|m| at.error(m))?;
                            if !holds {
                                skip_from = Some(open.len());
                            }
                            false
                        }
                        None => {
                            sink.section_start(&d).map_err(|m| at.error(m))?;
                            true
                        }
                    };
                    open.push(OpenSection {
                        name: d.name,
                        line: d.line,
                        to_sink,
                    });
                }
                Statement::Close { name } => {
                    if close(&mut open, &name, at)? {
                        sink.section_end(&directive(name, Vec::new()))
                            .map_err(|m| at.error(m))?;
                    }
                }
            }
        }
        match open.last() {
            Some(unclosed) => Err(ConfigError::at(
                &file,
                unclosed.line,
                format!("<{}> was not closed.", unclosed.name),
            )),
            None => Ok(()),
        }
    }

    /// Acts on a plain directive: the reader's own, or the sink's.
    fn directive(
        &mut self,
        d: &Directive,
        depth: u32,
        sink: &mut dyn Sink,
    ) -> Result<(), ConfigError> {
        let at = At::of(d);
        let Some(&(canonical, own, help)) = OWN
            .iter()
            .find(|(canonical, _, _)| d.name.eq_ignore_ascii_case(canonical))
        else {
            return sink.directive(d).map_err(|m| at.error(m));
        };
        let one_arg = || match d.args.as_slice() {
            [arg] => Ok(arg.as_str()),
            _ => Err(at.error(format!("{canonical} takes one argument, {help}"))),
        };
        match own {
            Own::Define => {
                let (name, value) = match d.args.as_slice() {
                    [name] => (name, ""),
                    [name, value] => (name, value.as_str()),
                    _ => return Err(at.error(format!("{canonical} takes 1-2 arguments, {help}"))),
                };
                // A ':' would make `${NAME}` ambiguous with Apache's `${NAME:default}` forms.
                if name.contains(':') {
                    return Err(at.error("Variable name must not contain ':'"));
                }
                self.variables.define(name, value);
                Ok(())
            }
            Own::UnDefine => {
                self.variables.undefine(one_arg()?);
                Ok(())
            }
            Own::Include | Own::IncludeOptional => {
                let path = self.absolute(Path::new(one_arg()?));
                let optional = matches!(own, Own::IncludeOptional);
                self.read_pattern(&path, optional, depth + 1, at, sink)
            }
            Own::ServerRoot => {
                self.server_root = self.absolute(Path::new(one_arg()?));
                // The sink gets the resolved root, so reader and sink cannot disagree on it.
                let resolved = Directive {
                    args: vec![self.server_root.display().to_string()],
                    ..d.clone()
                };
                sink.directive(&resolved).map_err(|m| at.error(m))
            }
        }
    }

    /// Evaluates `<IfModule [!]name>`, `<IfDefine [!]NAME>`, `<IfVersion [[!]op] version>`,
    /// `<IfFile [!]path>`, `<IfDirective [!]Name>` and `<IfSection [!]Name>`.
    fn holds(
        &self,
        condition: Condition,
        canonical: &str,
        d: &Directive,
        sink: &dyn Sink,
    ) -> Result<bool, String> {
        // `[!]name`: one argument, its negation, and the name.
        let negated_name = || {
            let arity = || format!("<{canonical}> requires exactly one argument");
            let [arg] = d.args.as_slice() else {
                return Err(arity());
            };
            let (negated, name) = match arg.strip_prefix('!') {
                Some(name) => (true, name),
                None => (false, arg.as_str()),
            };
            if name.is_empty() {
                return Err(arity());
            }
            Ok((negated, name))
        };
        let (present, negated) = match condition {
            Condition::Version => return super::if_version::holds(&d.args),
            Condition::Module => {
                let (negated, name) = negated_name()?;
                (sink.is_module_loaded(name), negated)
            }
            Condition::Define => {
                let (negated, name) = negated_name()?;
                (self.variables.is_defined(name), negated)
            }
            Condition::File => {
                // Relative to ServerRoot; anything that exists counts, as Apache's stat.
                let (negated, name) = negated_name()?;
                let exists = std::fs::metadata(self.absolute(Path::new(name))).is_ok();
                (exists, negated)
            }
            Condition::Directive => {
                let (negated, name) = negated_name()?;
                let known = OWN.iter().any(|(own, _, _)| own.eq_ignore_ascii_case(name))
                    || sink.is_directive_known(name);
                (known, negated)
            }
            Condition::Section => {
                let (negated, name) = negated_name()?;
                let known = CONDITIONS.iter().any(|(c, _)| c.eq_ignore_ascii_case(name))
                    || sink.is_section_known(name);
                (known, negated)
            }
        };
        Ok(present != negated)
    }
}

/// Closes the innermost open section with `name` (case-insensitively). Returns whether the sink
/// saw it open.
fn close(open: &mut Vec<OpenSection>, name: &str, at: At<'_>) -> Result<bool, ConfigError> {
    let Some(innermost) = open.pop() else {
        return Err(at.error(format!("</{name}> without matching <{name}> section")));
    };
    if !innermost.name.eq_ignore_ascii_case(name) {
        return Err(at.error(format!("Expected </{}> but saw </{name}>", innermost.name)));
    }
    Ok(innermost.to_sink)
}

#[cfg(test)]
mod tests {
    use super::super::temp_tree::TempTree;
    use super::*;

    /// Records every event as one line of text, and loads modules on `LoadModule` like the real
    /// sink will.
    #[derive(Default)]
    struct Recorder {
        events: Vec<String>,
        modules: Vec<String>,
        /// A directive name the sink refuses.
        refuse: Option<&'static str>,
    }

    fn show(d: &Directive) -> String {
        let mut text = format!("{}:{}", d.line, d.name);
        for arg in &d.args {
            text.push_str(&format!(" [{arg}]"));
        }
        text
    }

    impl Sink for Recorder {
        fn directive(&mut self, d: &Directive) -> Result<(), String> {
            if self.refuse.is_some_and(|r| r.eq_ignore_ascii_case(&d.name)) {
                return Err(format!("{} refused", d.name));
            }
            if d.name.eq_ignore_ascii_case("LoadModule") {
                self.modules.push(d.args[0].clone());
            }
            self.events.push(show(d));
            Ok(())
        }
        fn section_start(&mut self, d: &Directive) -> Result<(), String> {
            self.events.push(format!("<{}>", show(d)));
            Ok(())
        }
        fn section_end(&mut self, d: &Directive) -> Result<(), String> {
            self.events.push(format!("</{}>", show(d)));
            Ok(())
        }
        fn is_module_loaded(&self, name: &str) -> bool {
            self.modules.iter().any(|m| m == name)
        }
        fn is_directive_known(&self, name: &str) -> bool {
            name.eq_ignore_ascii_case("Known")
        }
        fn is_section_known(&self, name: &str) -> bool {
            name.eq_ignore_ascii_case("Known")
        }
        fn warn(&mut self, message: &str) {
            self.events.push(format!("warn: {message}"));
        }
    }

    fn reader() -> Reader {
        Reader::new(PathBuf::from("/srv/root"), &["CLI".to_string()])
    }

    fn read(text: &str) -> Vec<String> {
        let mut sink = Recorder::default();
        reader()
            .read_str(text, "test.conf", &mut sink)
            .unwrap_or_else(|e| panic!("{e}"));
        sink.events
    }

    fn fail(text: &str) -> (u32, String) {
        let mut sink = Recorder::default();
        let e = reader()
            .read_str(text, "test.conf", &mut sink)
            .expect_err("should fail");
        assert_eq!(e.file, "test.conf");
        (e.line, e.message)
    }

    fn err(line: u32, message: &str) -> (u32, String) {
        (line, message.to_string())
    }

    // --- lines, quoting, names ---

    #[test]
    fn directives_in_order_with_lines() {
        assert_eq!(
            read("# c\nListen 80\n\n  ServerName  a.example  \nTimeout 5 # trailing\n"),
            vec![
                "2:Listen [80]",
                "4:ServerName [a.example]",
                "5:Timeout [5] [#] [trailing]"
            ]
        );
    }

    #[test]
    fn continuation_keeps_first_line_number() {
        assert_eq!(
            read("A\nRequire ip \\\n  10.0.0.0/8 \\\n  127.0.0.1\nB\n# x \\\nC\nD"),
            vec![
                "1:A",
                "2:Require [ip] [10.0.0.0/8] [127.0.0.1]",
                "5:B",
                "8:D"
            ]
        );
    }

    #[test]
    fn quoted_arguments() {
        assert_eq!(
            read(r#"LogFormat "%h \"%r\" %>s" 'it\'s' "a\\b""#),
            vec![r#"1:LogFormat [%h "%r" %>s] [it's] [a\b]"#]
        );
    }

    #[test]
    fn unterminated_quote_error_has_line() {
        assert_eq!(
            fail("Listen 80\nDocumentRoot \"/var/www"),
            err(2, "Unterminated quoted string: missing closing \"")
        );
    }

    #[test]
    fn own_directives_are_case_insensitive() {
        assert_eq!(
            read("define X 1\nUNDEFINE CLI\n<ifdefine X>\nA ${X}\n</IFDEFINE>\n<IfDefine CLI>\nB\n</IfDefine>\nserverroot /a"),
            vec!["4:A [1]", "9:serverroot [/a]"]
        );
    }

    // --- Define and ${VAR} ---

    #[test]
    fn define_and_expand_everywhere_on_the_line() {
        assert_eq!(
            read("Define P /status\nDefine EMPTY\n<Location ${P}>\nSetHandler x${EMPTY}y\n</Location>\nDefine Q \"a b\"\nN \"${Q}\" ${Q}"),
            vec![
                "<3:Location [/status]>",
                "4:SetHandler [xy]",
                "</5:Location>",
                "7:N [a b] [a] [b]"
            ]
        );
    }

    #[test]
    fn expansion_falls_back_to_environment() {
        let expected = format!("2:Name [{}]", env!("CARGO_PKG_NAME"));
        assert_eq!(
            read("# ${NOT_EXPANDED_IN_COMMENT}\nName ${CARGO_PKG_NAME}"),
            vec![expected]
        );
    }

    #[test]
    fn undefined_variable_warns_and_stays() {
        assert_eq!(
            read("A ${MAPACHE_UNDEFINED_X}/b"),
            vec![
                "warn: Config variable ${MAPACHE_UNDEFINED_X} is not defined",
                "1:A [${MAPACHE_UNDEFINED_X}/b]"
            ]
        );
    }

    #[test]
    fn undefine_removes() {
        assert_eq!(
            read("Define X 1\nUnDefine X\nA ${X}"),
            vec!["warn: Config variable ${X} is not defined", "3:A [${X}]"]
        );
    }

    #[test]
    fn define_arity_and_name_errors() {
        assert_eq!(
            fail("\nDefine"),
            err(
                2,
                "Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as \
                 passing -D to the command line."
            )
        );
        assert_eq!(
            fail("Define a b c").1,
            "Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as \
             passing -D to the command line."
        );
        assert_eq!(
            fail("UnDefine"),
            err(
                1,
                "UnDefine takes one argument, Undefine the existence of a variable. Undo a Define."
            )
        );
        assert_eq!(
            fail("Define a:b"),
            err(1, "Variable name must not contain ':'")
        );
    }

    #[test]
    fn is_defined_reflects_cli_and_define() {
        let mut r = reader();
        let mut sink = Recorder::default();
        assert!(r.is_defined("CLI"));
        r.read_str("Define NEW\nUnDefine CLI", "-C", &mut sink)
            .unwrap();
        assert!(r.is_defined("NEW"));
        assert!(!r.is_defined("CLI"));
    }

    // --- IfDefine / IfModule ---

    #[test]
    fn ifdefine_true_false_negated() {
        assert_eq!(
            read("<IfDefine CLI>\nA\n</IfDefine>\n<IfDefine !CLI>\nB\n</IfDefine>\n<IfDefine NOPE>\nC\n</IfDefine>\n<IfDefine !NOPE>\nD\n</IfDefine>"),
            vec!["2:A", "11:D"]
        );
    }

    #[test]
    fn ifmodule_sees_modules_loaded_earlier_in_the_stream() {
        let text = "<IfModule status_module>\nA\n</IfModule>\n\
                    LoadModule status_module modules/mod_status.so\n\
                    <IfModule status_module>\nB\n</IfModule>\n\
                    <IfModule !status_module>\nC\n</IfModule>\n\
                    <IfModule !mod_other.c>\nD\n</IfModule>";
        assert_eq!(
            read(text),
            vec![
                "4:LoadModule [status_module] [modules/mod_status.so]",
                "6:B",
                "12:D"
            ]
        );
    }

    #[test]
    fn nested_conditions_and_sections() {
        let text = "<IfDefine CLI>\n<Location /a>\n<IfDefine !CLI>\nX\n</IfDefine>\nA\n</Location>\n</IfDefine>";
        assert_eq!(
            read(text),
            vec!["<2:Location [/a]>", "6:A", "</7:Location>"]
        );
    }

    #[test]
    fn skipped_block_counts_nested_containers_and_expands_nothing() {
        let text = "<IfDefine NOPE>\n\
                    <IfDefine CLI>\nA ${UNDEFINED_SKIPPED}\n</IfDefine>\n\
                    <Location \"/unterminated>\nInclude /does/not/exist\nDefine SKIPPED\n</Location>\n\
                    <ifmodule x>\n</IfModule>\n\
                    </IfDefine>\nB";
        let mut sink = Recorder::default();
        let mut r = reader();
        r.read_str(text, "t", &mut sink).unwrap();
        assert_eq!(sink.events, vec!["12:B"]);
        assert!(!r.is_defined("SKIPPED"));
    }

    #[test]
    fn condition_argument_errors() {
        assert_eq!(
            fail("A\n<IfModule>\n</IfModule>"),
            err(2, "<IfModule> requires exactly one argument")
        );
        assert_eq!(
            fail("<IfModule a b>\n</IfModule>"),
            err(1, "<IfModule> requires exactly one argument")
        );
        assert_eq!(
            fail("<ifdefine !>\n</ifdefine>"),
            err(1, "<IfDefine> requires exactly one argument")
        );
    }

    #[test]
    fn if_version_file_directive_and_section() {
        let tree = TempTree::new("ifcond");
        tree.write("present.conf", "");
        let text = "<IfVersion >= 2.4>\nA\n</IfVersion>\n<IfVersion < 2.4>\nX\n</IfVersion>\n\
                    <IfFile present.conf>\nB\n</IfFile>\n<IfFile !present.conf>\nX\n</IfFile>\n\
                    <IfFile missing.conf>\nX\n</IfFile>\n\
                    <IfDirective Include>\nC\n</IfDirective>\n<IfDirective !Include>\nX\n</IfDirective>\n\
                    <IfDirective Known>\nD\n</IfDirective>\n<IfDirective Unknown>\nX\n</IfDirective>\n\
                    <IfSection IfModule>\nE\n</IfSection>\n<IfSection !Known>\nX\n</IfSection>\n\
                    <IfSection known>\nF\n</IfSection>";
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str(text, "t", &mut sink)
            .unwrap();
        let names: Vec<&str> = sink
            .events
            .iter()
            .map(|e| e.split(':').nth(1).unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
        assert_eq!(
            fail("<IfVersion => 2.4>\n</IfVersion>"),
            err(1, "unrecognized operator '=>'")
        );
        assert_eq!(
            fail("<IfFile>\n</IfFile>"),
            err(1, "<IfFile> requires exactly one argument")
        );
    }

    #[test]
    fn unclosed_skipped_block_is_reported_at_its_opening() {
        assert_eq!(
            fail("<IfDefine NOPE>\n<Location /a>\n</Location>"),
            err(1, "<IfDefine> was not closed.")
        );
        assert_eq!(
            fail("<IfDefine NOPE>\n<Location /a>\n</Directory>\n</IfDefine>"),
            err(3, "Expected </Location> but saw </Directory>")
        );
    }

    // --- sections ---

    #[test]
    fn sections_pass_through_nested_with_lines() {
        let text = "<VirtualHost *:80>\n  <Directory \"/var/www\">\n    Options None\n  </directory>\n</VirtualHost>";
        assert_eq!(
            read(text),
            vec![
                "<1:VirtualHost [*:80]>",
                "<2:Directory [/var/www]>",
                "3:Options [None]",
                "</4:directory>",
                "</5:VirtualHost>"
            ]
        );
    }

    #[test]
    fn section_errors() {
        assert_eq!(
            fail("A\n<Location /x>\nB"),
            err(2, "<Location> was not closed.")
        );
        assert_eq!(
            fail("<Location /x>\nB\n</Directory>"),
            err(3, "Expected </Location> but saw </Directory>")
        );
        assert_eq!(
            fail("A\n</Location>"),
            err(2, "</Location> without matching <Location> section")
        );
        assert_eq!(
            fail("<Location /x\n</Location>"),
            err(1, "<Location> directive missing closing '>'")
        );
        assert_eq!(
            fail("<Location /x>\n</Location"),
            err(2, "</Location> directive missing closing '>'")
        );
    }

    #[test]
    fn sink_errors_are_located() {
        let mut sink = Recorder {
            refuse: Some("Timeout"),
            ..Recorder::default()
        };
        let e = reader()
            .read_str("Listen 80\n\nTimeout x", "/etc/x.conf", &mut sink)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Syntax error on line 3 of /etc/x.conf: Timeout refused"
        );
    }

    // --- files and Include ---

    #[test]
    fn read_file_relative_to_server_root() {
        let tree = TempTree::new("main");
        let conf = tree.write("conf/httpd.conf", "Listen 80\n");
        let mut r = Reader::new(tree.root().to_path_buf(), &[]);
        let mut sink = Recorder::default();
        r.read_file(Path::new("conf/httpd.conf"), &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:Listen [80]"]);
        // The directive carries its file.
        let mut files = FileRecorder::default();
        r.read_file(&conf, &mut files).unwrap();
        assert_eq!(files.0, vec![format!("{}:1", conf.display())]);
    }

    #[test]
    fn missing_main_file_has_no_line() {
        let tree = TempTree::new("nomain");
        let path = tree.path("httpd.conf");
        let e = Reader::new(tree.root().to_path_buf(), &[])
            .read_file(Path::new("httpd.conf"), &mut Recorder::default())
            .unwrap_err();
        assert_eq!(e.line, 0);
        assert_eq!(
            e.to_string(),
            format!(
                "Could not open configuration file {}: No such file or directory",
                path.display()
            )
        );
    }

    /// Records the file and line of every directive.
    #[derive(Default)]
    struct FileRecorder(Vec<String>);

    impl Sink for FileRecorder {
        fn directive(&mut self, d: &Directive) -> Result<(), String> {
            self.0.push(format!("{}:{}", d.file, d.line));
            Ok(())
        }
        fn section_start(&mut self, d: &Directive) -> Result<(), String> {
            self.directive(d)
        }
        fn section_end(&mut self, d: &Directive) -> Result<(), String> {
            self.directive(d)
        }
        fn is_module_loaded(&self, _: &str) -> bool {
            false
        }
        fn warn(&mut self, _: &str) {}
    }

    #[test]
    fn include_file_carries_its_own_file_and_lines() {
        let tree = TempTree::new("incfile");
        let main = tree.write("httpd.conf", "A\nInclude conf/extra.conf\nB\n");
        let extra = tree.write("conf/extra.conf", "\nX\n");
        let mut files = FileRecorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_file(&main, &mut files)
            .unwrap();
        assert_eq!(
            files.0,
            vec![
                format!("{}:1", main.display()),
                format!("{}:2", extra.display()),
                format!("{}:3", main.display())
            ]
        );
    }

    #[test]
    fn include_directory_reads_every_file_sorted() {
        let tree = TempTree::new("incdir");
        tree.write("conf.d/b.conf", "B\n");
        tree.write("conf.d/a.conf", "A\n");
        tree.write("conf.d/sub/c.conf", "C\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str("Include conf.d", "t", &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:A", "1:B", "1:C"]);
    }

    #[test]
    fn include_glob_sorted() {
        let tree = TempTree::new("incglob");
        tree.write("mods/20-b.load", "B\n");
        tree.write("mods/10-a.load", "A\n");
        tree.write("mods/x.conf", "X\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str("Include mods/*.load\nInclude \"mods/[x]*\"", "t", &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:A", "1:B", "1:X"]);
    }

    #[test]
    fn include_missing_and_unmatched_are_errors() {
        let tree = TempTree::new("incmiss");
        tree.mkdir("empty");
        let mut r = Reader::new(tree.root().to_path_buf(), &[]);
        let e = r
            .read_str("A\nInclude missing.conf", "t", &mut Recorder::default())
            .unwrap_err();
        assert_eq!(
            (e.line, e.message),
            (
                2,
                format!(
                    "Could not open configuration file {}: No such file or directory",
                    tree.path("missing.conf").display()
                )
            )
        );
        let e = r
            .read_str("Include empty/*.conf", "t", &mut Recorder::default())
            .unwrap_err();
        assert_eq!(
            (e.line, e.message),
            (
                1,
                format!(
                    "No matches for the wildcard '*.conf' in '{}', failing",
                    tree.path("empty").display()
                )
            )
        );
    }

    #[test]
    fn include_optional_is_silent() {
        let tree = TempTree::new("incopt");
        tree.mkdir("empty");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str(
                "IncludeOptional missing.conf\nincludeoptional empty/*.conf\nIncludeOptional nodir/*.conf\nA",
                "t",
                &mut sink,
            )
            .unwrap();
        assert_eq!(sink.events, vec!["4:A"]);
    }

    #[test]
    fn include_arity() {
        assert_eq!(
            fail("Include"),
            err(
                1,
                "Include takes one argument, Name(s) of the config file(s) to be included; fails \
                 if the wildcard does not match at least one file"
            )
        );
        assert_eq!(
            fail("IncludeOptional a b").1,
            "IncludeOptional takes one argument, Name or pattern of the config file(s) to be \
             included; ignored if the file does not exist or the pattern does not match any files"
        );
    }

    #[test]
    fn include_recursion_is_capped() {
        let tree = TempTree::new("increc");
        let main = tree.write("self.conf", "A\nInclude self.conf\n");
        let mut sink = Recorder::default();
        let e = Reader::new(tree.root().to_path_buf(), &[])
            .read_file(&main, &mut sink)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Syntax error on line 2 of {}: Exceeded maximum include depth of 128, There \
                 appears to be a recursion.",
                main.display()
            )
        );
        // The main file plus 128 levels of includes were read.
        assert_eq!(sink.events.len(), 129);
    }

    #[test]
    fn include_depth_of_exactly_the_cap_is_allowed() {
        let tree = TempTree::new("incdeep");
        for level in 0..MAX_INCLUDE_DEPTH {
            tree.write(
                &format!("{level}.conf"),
                &format!("Include {}.conf\n", level + 1),
            );
        }
        tree.write(&format!("{MAX_INCLUDE_DEPTH}.conf"), "Deepest\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_file(Path::new("0.conf"), &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:Deepest"]);
    }

    #[test]
    fn include_inside_section_and_false_condition() {
        let tree = TempTree::new("incsec");
        tree.write("inner.conf", "Inner\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str(
                "<Location /a>\nInclude inner.conf\n</Location>\n<IfDefine NOPE>\nInclude missing.conf\n</IfDefine>",
                "t",
                &mut sink,
            )
            .unwrap();
        assert_eq!(
            sink.events,
            vec!["<1:Location [/a]>", "1:Inner", "</3:Location>"]
        );
    }

    #[test]
    fn sections_must_close_in_their_own_file() {
        let tree = TempTree::new("incclose");
        let opener = tree.write("open.conf", "X\n<Location /a>\n");
        tree.write("close.conf", "</Location>\n");
        let mut r = Reader::new(tree.root().to_path_buf(), &[]);
        let e = r
            .read_str(
                "Include open.conf\n</Location>",
                "t",
                &mut Recorder::default(),
            )
            .unwrap_err();
        assert_eq!(
            (e.file, e.line, e.message),
            (
                opener.display().to_string(),
                2,
                "<Location> was not closed.".to_string()
            )
        );
        let e = r
            .read_str(
                "<Location /a>\nInclude close.conf\n</Location>",
                "t",
                &mut Recorder::default(),
            )
            .unwrap_err();
        assert_eq!(
            (e.line, e.message),
            (
                1,
                "</Location> without matching <Location> section".to_string()
            )
        );
    }

    #[test]
    fn include_uses_variables_and_defines_persist_across_files() {
        let tree = TempTree::new("incvar");
        tree.write("vars.conf", "Define NAME site\n");
        tree.write("site.conf", "Site ${NAME}\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_str("Include vars.conf\nInclude ${NAME}.conf", "t", &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:Site [site]"]);
    }

    // --- ServerRoot ---

    #[test]
    fn server_root_changes_relative_includes_and_reaches_the_sink() {
        let tree = TempTree::new("root");
        tree.write("first/a.conf", "FromFirst\n");
        tree.write("first/second/a.conf", "FromSecond\n");
        tree.write("other/a.conf", "FromOther\n");
        let first = tree.path("first");
        let mut r = Reader::new(tree.root().to_path_buf(), &[]);
        let mut sink = Recorder::default();
        let text = format!(
            "ServerRoot {}\nInclude a.conf\nserverroot second\nInclude a.conf\nServerRoot \"{}\"\nInclude a.conf",
            first.display(),
            tree.path("other").display()
        );
        r.read_str(&text, "t", &mut sink).unwrap();
        assert_eq!(
            sink.events,
            vec![
                format!("1:ServerRoot [{}]", first.display()),
                "1:FromFirst".to_string(),
                format!("3:serverroot [{}]", first.join("second").display()),
                "1:FromSecond".to_string(),
                format!("5:ServerRoot [{}]", tree.path("other").display()),
                "1:FromOther".to_string(),
            ]
        );
        assert_eq!(r.server_root(), tree.path("other"));
    }

    #[test]
    fn server_root_arity() {
        assert_eq!(
            fail("ServerRoot"),
            err(
                1,
                "ServerRoot takes one argument, Common directory of server-related files (logs, \
                 confs, etc.)"
            )
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let tree = TempTree::new("bom");
        let path = tree.write("bom.conf", "\u{feff}Listen 80\n");
        let mut sink = Recorder::default();
        Reader::new(tree.root().to_path_buf(), &[])
            .read_file(&path, &mut sink)
            .unwrap();
        assert_eq!(sink.events, vec!["1:Listen [80]"]);
    }

    #[test]
    fn invalid_utf8_is_reported_at_its_line() {
        let tree = TempTree::new("utf8");
        let path = tree.path("bad.conf");
        std::fs::write(&path, b"A\nB \xff\n").unwrap();
        let e = Reader::new(tree.root().to_path_buf(), &[])
            .read_file(&path, &mut Recorder::default())
            .unwrap_err();
        assert_eq!(
            (e.line, e.message),
            (2, "Invalid UTF-8 in configuration file".to_string())
        );
    }
}
