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
    in_effect(store, &view).is_none_or(|r| r.allows(&client(ip)))
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
        e.contains("Unknown Authz provider: valid-user (mapache has all, ip and local)"),
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
    let client = client("10.1.2.3");
    let not_ip = Node::Require {
        negate: true,
        provider: Provider::Ip(Box::new([Subnet::parse("10.9").unwrap()])),
    };
    assert_eq!(not_ip.evaluate(&client), Outcome::Neutral);
    let all = |children| Node::Container {
        combine: Combine::All,
        children,
    };
    assert_eq!(
        all(vec![not_ip.clone()]).evaluate(&client),
        Outcome::Neutral
    );
    let denied = Node::Require {
        negate: false,
        provider: Provider::All(false),
    };
    assert_eq!(all(vec![not_ip, denied]).evaluate(&client), Outcome::Denied);
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
        !in_effect(s, &outside).unwrap().allows(&client("10.1.0.1")),
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
    assert!(!in_effect(&s, &view).unwrap().allows(&client("192.0.2.1")));
}
