//! Require lines as read from configuration text: parsing, Apache's refusals, evaluation, and
//! which scope's lines are in effect.

use super::*;
use crate::config::dispatch::Dispatcher;
use crate::config::store::FilePaths;
use crate::config::Reader;

fn read(text: &str) -> Result<Store, String> {
    let root = std::env::temp_dir();
    let mut d = Dispatcher::new(root.clone()).expect("a dispatcher without linked modules");
    Reader::new(root, &[])
        .read_str(text, "t.conf", &mut d)
        .map_err(|e| e.to_string())?;
    Ok(d.store)
}

fn err(text: &str) -> String {
    read(text).map(|_| ()).unwrap_err()
}

fn client(ip: &str) -> Client {
    Client::new(ip.parse().unwrap(), Some("192.0.2.10".parse().unwrap()))
}

/// A request as a test describes it; module providers answer by name from `answers` (with
/// "user" when a user is set, else "no-user").
struct Req {
    client: Option<Client>,
    method: &'static str,
    env: Vec<&'static str>,
    answers: Vec<(&'static str, Outcome)>,
    asked: Vec<String>,
}

impl Req {
    fn from(ip: &str) -> Req {
        Req {
            client: Some(client(ip)),
            method: "GET",
            env: Vec::new(),
            answers: Vec::new(),
            asked: Vec::new(),
        }
    }
}

impl Facts for Req {
    fn client(&self) -> Option<Client> {
        self.client
    }
    fn method(&self) -> &str {
        self.method
    }
    fn has_env(&self, name: &str) -> bool {
        self.env.iter().any(|e| e.eq_ignore_ascii_case(name))
    }
    fn module(&mut self, provider: &ModuleProvider) -> Outcome {
        self.asked
            .push(format!("{} {}", provider.name, provider.args.join(" ")));
        self.answers
            .iter()
            .find(|(n, _)| *n == provider.name)
            .map_or(Outcome::Denied, |(_, o)| *o)
    }
    fn expr(&mut self, expr: &crate::expr::Expr) -> Result<bool, String> {
        expr.eval(&ExprVars {
            method: self.method,
        })
    }
    fn has_user(&self) -> bool {
        false
    }
}

/// What `Require expr` sees in these tests: the method.
struct ExprVars {
    method: &'static str,
}

impl crate::expr::Vars for ExprVars {
    fn var(&self, name: &str) -> Option<String> {
        (name == "REQUEST_METHOD").then(|| self.method.to_owned())
    }
    fn request_header(&self, _: &str) -> Option<String> {
        None
    }
    fn response_header(&self, _: &str) -> Option<String> {
        None
    }
    fn request_env(&self, _: &str) -> Option<String> {
        None
    }
    fn note(&self, _: &str) -> Option<String> {
        None
    }
}

fn grants(r: &Requirement, ip: &str) -> bool {
    r.evaluate(&mut Req::from(ip)) == Outcome::Granted
}

/// Whether `ip` may fetch `url` (with `<Directory>` sections matched under /srv/htdocs).
fn allows(store: &Store, url: &str, ip: &str) -> bool {
    let file = format!("/srv/htdocs{url}");
    let paths = FilePaths {
        requested: file.as_bytes(),
        real: file.as_bytes(),
    };
    let view = View {
        sections: store.matching_sections(url.as_bytes(), Some(paths)),
    };
    in_effect(store, &view).is_none_or(|r| grants(r, ip))
}

#[test]
fn lines_parse_into_providers() {
    let s = read("Require all granted\nRequire all DENIED\nRequire ip 10.1 ::1\nRequire local\n")
        .unwrap();
    let any = &s.server_require.as_ref().unwrap().any;
    let provider = |i: usize| match &any[i] {
        Node::Require {
            negate: false,
            provider,
        } => provider.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(provider(0), Provider::All(true));
    assert_eq!(provider(1), Provider::All(false));
    assert_eq!(
        provider(2),
        Provider::Ip(Box::new([
            Subnet::parse("10.1.0.0/16").unwrap(),
            Subnet::parse("::1").unwrap()
        ]))
    );
    assert_eq!(provider(3), Provider::Local);
    assert!(s.sections.is_empty());
    assert!(read("").unwrap().server_require.is_none());
}

#[test]
fn bad_lines_are_refused_with_file_and_line() {
    assert_eq!(
        err("\n<Location /x>\nRequire ip 10.0.0.1 300.1.1.1\n</Location>\n"),
        "Syntax error on line 3 of t.conf: ip address '300.1.1.1' appears to be invalid: The specified IP address is invalid."
    );
    assert_eq!(
        err("Require ip\n"),
        "Syntax error on line 1 of t.conf: 'require ip' requires an argument"
    );
    assert_eq!(
        err("Require all yes\n"),
        "Syntax error on line 1 of t.conf: Argument for 'Require all' must be 'granted' or 'denied'"
    );
    assert!(err("Require all granted please\n").contains("must be 'granted' or 'denied'"));
    let e = err("Require valid-user\n");
    assert!(
        e.contains("Unknown Authz provider: valid-user (mapache has all, ip, local, method, env and expr; no loaded module offers one of that name: check the LoadModule lines)"),
        "{e}"
    );
    assert!(err("Require\n").contains("Require requires at least one argument"));
    assert!(err("Require not\n").contains("Require not takes a provider"));
}

#[test]
fn negations_only_where_they_can_matter() {
    assert_eq!(
        err("Require not ip 10.0.0.1\n"),
        "Syntax error on line 1 of t.conf: negative Require directive has no effect in <RequireAny> directive"
    );
    assert!(err("<RequireAny>\nRequire not ip 10.1\n</RequireAny>\n")
        .contains("negative Require directive has no effect in <RequireAny> directive"));
    assert!(err("<RequireNone>\nRequire ip 10.1\n</RequireNone>\n")
        .contains("<RequireNone> directive has no effect in <RequireAny> directive"));
    assert_eq!(
        err("<Location /x>\n<RequireAll>\nRequire not ip 10.1\n</RequireAll>\n</Location>\n"),
        "Syntax error on line 4 of t.conf: <RequireAll> directive contains only negative authorization directives"
    );
    assert!(err("<RequireAll>\n</RequireAll>\n")
        .contains("<RequireAll> directive contains no authorization directives"));
    assert!(
        err("<RequireAll all>\nRequire all granted\n</RequireAll>\n")
            .contains("<RequireAll> directive doesn't take additional arguments")
    );
    assert!(
        read("<RequireAll>\nRequire not ip 10.1\nRequire all granted\n</RequireAll>\n").is_ok()
    );
}

#[test]
fn containers_hold_only_require_lines() {
    assert!(
        err("<RequireAll>\nSetHandler x\n</RequireAll>\n").contains("SetHandler not allowed here")
    );
    assert!(
        err("<RequireAll>\n<Location /x>\n</Location>\n</RequireAll>\n")
            .contains("<Location> cannot occur within <RequireAll> section")
    );
    assert!(
        err("<RequireAll>\nRequire all granted\n</Location>\n").contains("Expected </RequireAll>")
    );
}

#[test]
fn ip_lines_match_v4_v6_and_v4_mapped() {
    let s = read("Require ip 127.0.0.1 10.1 192.168.0.0/255.255.0.0 2001:db8::/32\n").unwrap();
    for ip in [
        "127.0.0.1",
        "10.1.9.9",
        "192.168.3.4",
        "2001:db8::7",
        "::ffff:127.0.0.1",
        "::ffff:10.1.0.1",
    ] {
        assert!(allows(&s, "/", ip), "{ip}");
    }
    for ip in [
        "127.0.0.2",
        "10.2.0.1",
        "::1",
        "::ffff:127.0.0.2",
        "2001:db9::1",
    ] {
        assert!(!allows(&s, "/", ip), "{ip}");
    }
}

#[test]
fn local_is_loopback_or_the_servers_own_address() {
    let s = read("Require local\n").unwrap();
    for ip in [
        "127.0.0.1",
        "127.8.0.1",
        "::1",
        "::ffff:127.0.0.2",
        "192.0.2.10",
        "::ffff:192.0.2.10",
    ] {
        assert!(allows(&s, "/", ip), "{ip}");
    }
    assert!(!allows(&s, "/", "192.0.2.11"));
}

#[test]
fn containers_combine_as_apaches() {
    let s = read(
        "<RequireAll>\nRequire ip 10.0.0.0/8\nRequire not ip 10.9\n</RequireAll>\n\
         <RequireAll>\nRequire local\n<RequireNone>\nRequire ip 127.0.0.5\n</RequireNone>\n</RequireAll>\n",
    )
    .unwrap();
    assert!(allows(&s, "/", "10.1.2.3"));
    assert!(!allows(&s, "/", "10.9.0.1"), "excluded by the negation");
    assert!(!allows(&s, "/", "11.0.0.1"));
    assert!(allows(&s, "/", "127.0.0.1"));
    assert!(!allows(&s, "/", "127.0.0.5"), "<RequireNone> refuses");
    // A negation that does not match is neutral: alone it grants nothing.
    let mut client = Req::from("10.1.2.3");
    let not_ip = Node::Require {
        negate: true,
        provider: Provider::Ip(Box::new([Subnet::parse("10.9").unwrap()])),
    };
    assert_eq!(not_ip.evaluate(&mut client), Outcome::Neutral);
    let all = |children| Node::Container {
        combine: Combine::All,
        children,
    };
    assert_eq!(
        all(vec![not_ip.clone()]).evaluate(&mut client),
        Outcome::Neutral
    );
    let denied = Node::Require {
        negate: false,
        provider: Provider::All(false),
    };
    assert_eq!(
        all(vec![not_ip, denied]).evaluate(&mut client),
        Outcome::Denied
    );
}

#[test]
fn the_most_specific_scope_with_require_lines_wins() {
    let s = read(
        "Require all denied\n\
         <Directory /srv/htdocs>\nRequire all granted\n</Directory>\n\
         <Directory /srv/htdocs/private>\nRequire ip 10.1\n</Directory>\n\
         <Location /private/open>\nRequire all granted\n</Location>\n\
         <Location /private/limit>\nLimitRequestBody 10\n</Location>\n\
         <Location /public>\nSetHandler x\n</Location>\n\
         <Location /public/closed>\nRequire all denied\n</Location>\n\
         <Location /public/closed>\nRequire ip 10.2\n</Location>\n",
    )
    .unwrap();
    let s = &s;
    assert!(
        allows(s, "/index.html", "192.0.2.1"),
        "Directory over server level"
    );
    assert!(
        !allows(s, "/private/a", "192.0.2.1"),
        "the longer Directory"
    );
    assert!(allows(s, "/private/a", "10.1.0.1"));
    assert!(
        allows(s, "/private/open/a", "192.0.2.1"),
        "Location after Directory"
    );
    assert!(
        !allows(s, "/private/limit", "192.0.2.1"),
        "a section without Require lines changes nothing"
    );
    assert!(allows(s, "/public/x", "192.0.2.1"));
    assert!(
        !allows(s, "/public/closed", "10.1.0.1"),
        "the later of two Locations"
    );
    assert!(allows(s, "/public/closed", "10.2.0.1"));
    let outside = View {
        sections: s.matching_sections(
            b"/x",
            Some(FilePaths {
                requested: b"/elsewhere/x",
                real: b"/elsewhere/x",
            }),
        ),
    };
    assert!(
        !grants(in_effect(s, &outside).unwrap(), "10.1.0.1"),
        "server level"
    );
}

#[test]
fn apache_configurations_find_the_authz_modules_built_in() {
    let s = read(
        "<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n\
         <IfModule authz_host_module>\nRequire ip 10.1\n</IfModule>\n",
    )
    .unwrap();
    assert_eq!(s.server_require.unwrap().any.len(), 2);
}

#[test]
fn sections_match_whatever_the_spelling_of_their_path() {
    for section in [
        "<Location //admin>",
        "<Location /admin/./>",
        "<Directory /srv/htdocs//admin/>",
        "<Directory /srv/./htdocs/admin>",
        "<Directory /srv/htdocs/x/../admin>",
    ] {
        let tag = &section[1..section.find(' ').unwrap()];
        let s = read(&format!("{section}\nRequire all denied\n</{tag}>\n")).unwrap();
        assert!(!allows(&s, "/admin/x", "192.0.2.1"), "{section}");
        assert!(allows(&s, "/public/x", "192.0.2.1"), "{section}");
    }
}

#[test]
fn the_real_directory_of_a_file_overrides_the_name_it_was_asked_by() {
    let s = read(
        "Require all denied\n<Directory /srv/htdocs/public>\nRequire all granted\n</Directory>\n\
         <Directory /srv/htdocs/private>\nRequire all denied\n</Directory>\n",
    )
    .unwrap();
    // /public/link is a link to /private: the private directory decides.
    let view = View {
        sections: s.matching_sections(
            b"/public/link/f",
            Some(FilePaths {
                requested: b"/srv/htdocs/public/link/f",
                real: b"/srv/htdocs/private/f",
            }),
        ),
    };
    assert!(!grants(in_effect(&s, &view).unwrap(), "192.0.2.1"));
}

#[test]
fn method_and_env_lines() {
    let s = read("Require method GET POST\nRequire env LET_IN\n").unwrap();
    let r = s.server_require.as_ref().unwrap();
    let ask = |method: &'static str, env: Vec<&'static str>| {
        let mut req = Req::from("192.0.2.1");
        req.method = method;
        req.env = env;
        r.evaluate(&mut req)
    };
    assert_eq!(ask("GET", vec![]), Outcome::Granted);
    assert_eq!(ask("HEAD", vec![]), Outcome::Granted, "GET covers HEAD");
    assert_eq!(ask("POST", vec![]), Outcome::Granted);
    assert_eq!(ask("PUT", vec![]), Outcome::Denied);
    assert_eq!(ask("PUT", vec!["let_in"]), Outcome::Granted);
    assert!(err("Require method\n").contains("'require method' requires an argument"));
    assert!(err("Require method GE/T\n").contains("Invalid Method 'GE/T'"));
    assert!(err("Require env\n").contains("'require env' requires an argument"));
}

#[test]
fn expr_lines() {
    let s = read("Require expr \"%{REQUEST_METHOD} == 'GET'\"\n").unwrap();
    let r = s.server_require.as_ref().unwrap();
    let ask = |method: &'static str| {
        let mut req = Req::from("192.0.2.1");
        req.method = method;
        r.evaluate(&mut req)
    };
    assert_eq!(ask("GET"), Outcome::Granted);
    assert_eq!(ask("POST"), Outcome::Denied);
    let s = read("Require expr \"%{REMOTE_USER} == 'ann'\"\n").unwrap();
    let r = s.server_require.as_ref().unwrap();
    assert_eq!(
        r.evaluate(&mut Req::from("192.0.2.1")),
        Outcome::DeniedNoUser,
        "an expression about the user asks for one"
    );
    assert_eq!(
        err("Require expr %{NOPE} == 1\n"),
        "Syntax error on line 1 of t.conf: Cannot parse expression in require line: Variable 'NOPE' does not exist"
    );
}

/// A module's provider as the reader would have made it (the function is never called here:
/// the test's `Facts` answers for it).
fn module_line(negate: bool, name: &str) -> Node {
    extern "C" fn never(_: *mut MapacheRequest, _: *const MapacheStr, _: usize) -> i32 {
        unreachable!("the test's Facts answers for module providers")
    }
    Node::Require {
        negate,
        provider: Provider::Module(ModuleProvider {
            name: name.to_owned(),
            module: "test_module".to_owned(),
            authorize: never,
            args: Box::new(["a1".to_owned()]),
        }),
    }
}

#[test]
fn no_user_yet_combines_as_apaches() {
    let ip = |a: &str| Node::Require {
        negate: false,
        provider: Provider::Ip(Box::new([Subnet::parse(a).unwrap()])),
    };
    let eval = |nodes: Vec<Node>, answer: Outcome| {
        let mut req = Req::from("192.0.2.1");
        req.answers.push(("who", answer));
        let r = Requirement { any: nodes };
        (r.evaluate(&mut req), req.asked)
    };
    let no_user = Outcome::DeniedNoUser;
    // Alone: asks for a user; negated it still does (who the user is not needs a user).
    assert_eq!(eval(vec![module_line(false, "who")], no_user).0, no_user);
    let all = |children| Node::Container {
        combine: Combine::All,
        children,
    };
    assert_eq!(
        eval(
            vec![all(vec![ip("192.0.2.1"), module_line(true, "who")])],
            no_user
        )
        .0,
        no_user
    );
    // Under "any": a grant wins, else the user is asked for rather than a plain denial.
    assert_eq!(
        eval(vec![ip("10.0.0.1"), module_line(false, "who")], no_user).0,
        no_user
    );
    let (r, asked) = eval(vec![ip("192.0.2.1"), module_line(false, "who")], no_user);
    assert_eq!(r, Outcome::Granted);
    assert!(asked.is_empty(), "the grant decided first: {asked:?}");
    // Under "all": a denial wins over asking for a user, a user is asked for over a grant.
    assert_eq!(
        eval(
            vec![all(vec![module_line(false, "who"), ip("10.0.0.1")])],
            no_user
        )
        .0,
        Outcome::Denied
    );
    assert_eq!(
        eval(
            vec![all(vec![ip("192.0.2.1"), module_line(false, "who")])],
            no_user
        )
        .0,
        no_user
    );
    // Once there is a user the provider decides; a failure ends the evaluation.
    let (r, asked) = eval(
        vec![all(vec![ip("192.0.2.1"), module_line(false, "who")])],
        Outcome::Granted,
    );
    assert_eq!((r, asked), (Outcome::Granted, vec!["who a1".to_owned()]));
    assert_eq!(
        eval(
            vec![module_line(false, "who"), ip("192.0.2.1")],
            Outcome::Error
        )
        .0,
        Outcome::Error
    );
}

#[test]
fn address_rules_deny_a_client_the_socket_could_not_name() {
    let s = read("Require ip 127.0.0.1\nRequire local\n").unwrap();
    let mut req = Req::from("127.0.0.1");
    req.client = None;
    assert_eq!(
        s.server_require.as_ref().unwrap().evaluate(&mut req),
        Outcome::Denied
    );
}

/// Whether `method` from `ip` may fetch `url`, as `allows` does for GET.
fn allows_method(store: &Store, url: &str, method: &'static str, ip: &str) -> bool {
    let file = format!("/srv/htdocs{url}");
    let paths = FilePaths {
        requested: file.as_bytes(),
        real: file.as_bytes(),
    };
    let view = View {
        sections: store.matching_sections(url.as_bytes(), Some(paths)),
    };
    let mut req = Req::from(ip);
    req.method = method;
    in_effect(store, &view).is_none_or(|r| r.evaluate(&mut req) == Outcome::Granted)
}

#[test]
fn limit_restricts_require_lines_to_its_methods() {
    let s = read(
        "Require all denied\n\
         <Location /w>\n<Limit POST PUT>\nRequire ip 10.0.0.0/8\n</Limit>\nOptions None\n</Location>\n\
         <Location /r>\nRequire ip 10.0.0.0/8\n<LimitExcept GET>\n<RequireAll>\nRequire ip 10.0.0.0/8\nRequire not ip 10.9.0.0/16\n</RequireAll>\n</LimitExcept>\n</Location>\n",
    )
    .unwrap();
    // No line for GET or HEAD in /w: nothing is required (the server's denial is replaced).
    assert!(allows_method(&s, "/w/f", "GET", "192.0.2.1"));
    assert!(allows_method(&s, "/w/f", "HEAD", "192.0.2.1"));
    assert!(!allows_method(&s, "/w/f", "POST", "192.0.2.1"));
    assert!(allows_method(&s, "/w/f", "PUT", "10.1.1.1"));
    // The Options line inside the Location, after the Limit, belongs to the Location.
    let w = s.sections.iter().find(|x| x.path == "/w").unwrap();
    assert!(w.directives.iter().any(|o| o.is_named("options")));
    // /r: GET needs 10/8; other methods: also not 10.9/16 (the container, or-ed with the
    // unlimited line, which grants 10.9.x.x anyway: any grant wins).
    assert!(allows_method(&s, "/r/f", "GET", "10.9.1.1"));
    assert!(!allows_method(&s, "/r/f", "GET", "192.0.2.1"));
    assert!(allows_method(&s, "/r/f", "DELETE", "10.1.1.1"));
}

#[test]
fn limit_where_apache_refuses_it() {
    assert!(err("<Limit GET>\nRequire all denied\n</Limit>").contains("<Limit not allowed here"));
    assert!(
        err("<Location /a>\n<Limit GET>\n<Files x>\n</Files>\n</Limit>\n</Location>")
            .contains("<Files> cannot occur within <Limit> or <LimitExcept> section")
    );
    assert!(err("<Location /a>\n<Limit TRACE>\n</Limit>\n</Location>")
        .contains("TRACE cannot be controlled by <Limit>, see TraceEnable"));
    assert!(
        err("<Location /a>\n<Limit GET>\n<Limit POST>\n</Limit>\n</Limit>\n</Location>")
            .contains("<Limit> directive excludes all methods")
    );
    assert!(
        err("<Location /a>\n<RequireAll>\n<Limit GET>\n</Limit>\n</RequireAll>\n</Location>")
            .contains("<Limit> cannot occur within <RequireAll> section")
    );
}
