//! A server's (or virtual host's) RemoteIP lines, merged as Apache's
//! merge_remoteip_server_config: what a virtual host sets wins, field by field (its proxy list
//! replaces the main server's).

use crate::subnet::Subnet;
use crate::walk::Proxy;
use mapache_plugin_api::sdk::{ModuleConfig, Scope};
use std::net::ToSocketAddrs;

/// One server level's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteIpConfig {
    /// `RemoteIPHeader`: the field the client's address comes in.
    pub header: Option<String>,
    /// `RemoteIPProxiesHeader`: where the trusted proxies' addresses go.
    pub proxies_header: Option<String>,
    /// The trusted and internal proxies, in order (`None`: none configured).
    pub proxies: Option<Vec<Proxy>>,
}

/// Apache's looks_like_ip: a `:` (IPv6) or only digits and dots.
fn looks_like_ip(s: &str) -> bool {
    s.contains(':') || s.bytes().all(|b| b == b'.' || b.is_ascii_digit())
}

impl RemoteIpConfig {
    /// One `RemoteIPTrustedProxy` / `RemoteIPInternalProxy` argument (Apache's proxies_set).
    fn add_proxy(&mut self, directive: &str, arg: &str, internal: bool) -> Result<(), String> {
        let (ip, mask) = match arg.split_once('/') {
            Some((ip, m)) => (ip, Some(m)),
            None => (arg, None),
        };
        let list = self.proxies.get_or_insert_with(Vec::new);
        if looks_like_ip(ip) {
            let net = Subnet::parse(ip, mask).ok_or_else(|| {
                format!(
                    "RemoteIP: Error parsing IP {arg} (not an address or network) for {directive}"
                )
            })?;
            list.push(Proxy { net, internal });
            return Ok(());
        }
        if let Some(m) = mask {
            return Err(format!(
                "RemoteIP: Error parsing IP {arg} the subnet /{m} is invalid for {directive}"
            ));
        }
        // A host name: each of its addresses, as Apache resolves it while reading.
        let addrs = (ip, 0)
            .to_socket_addrs()
            .map_err(|e| format!("RemoteIP: Error parsing IP {arg} ({e} error) for {directive}"))?;
        for a in addrs {
            list.push(Proxy {
                net: Subnet::host(a.ip()),
                internal,
            });
        }
        Ok(())
    }

    /// `RemoteIPTrustedProxyList` / `RemoteIPInternalProxyList`: every word of the file,
    /// up to a `#` that starts one (Apache's proxylist_read).
    fn read_list(&mut self, directive: &str, file: &str, internal: bool) -> Result<(), String> {
        if !file.starts_with('/') {
            return Err(format!(
                "{directive}: {file}: give the file's absolute path (mapache does not resolve it against ServerRoot here)"
            ));
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{directive}: Could not open file {file}: {e}"))?;
        let proxy = if internal {
            "RemoteIPInternalProxy"
        } else {
            "RemoteIPTrustedProxy"
        };
        for (n, line) in text.lines().enumerate() {
            for word in line.split_whitespace() {
                if word.starts_with('#') {
                    break;
                }
                self.add_proxy(proxy, word, internal)
                    .map_err(|e| format!("{e} at line {} of {file}", n + 1))?;
            }
        }
        Ok(())
    }
}

impl ModuleConfig for RemoteIpConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let arg = args.first().copied().unwrap_or("");
        match name.to_ascii_lowercase().as_str() {
            "remoteipheader" => self.header = Some(arg.to_owned()),
            "remoteipproxiesheader" => self.proxies_header = Some(arg.to_owned()),
            "remoteiptrustedproxy" | "remoteipinternalproxy" => {
                let internal = name.eq_ignore_ascii_case("RemoteIPInternalProxy");
                for a in args {
                    self.add_proxy(name, a, internal)?;
                }
            }
            "remoteiptrustedproxylist" | "remoteipinternalproxylist" => {
                let internal = name.eq_ignore_ascii_case("RemoteIPInternalProxyList");
                self.read_list(name, arg, internal)?;
            }
            _ => {
                return Err(format!(
                    "{name}: the PROXY protocol is not supported by mapache yet (issue 19); remove the line"
                ))
            }
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        RemoteIpConfig {
            header: child.header.clone().or_else(|| parent.header.clone()),
            proxies_header: child
                .proxies_header
                .clone()
                .or_else(|| parent.proxies_header.clone()),
            proxies: child.proxies.clone().or_else(|| parent.proxies.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut RemoteIpConfig, line: &[&str]) -> Result<(), String> {
        c.set(Scope::Server, line[0], &line[1..])
    }

    #[test]
    fn proxies_lists_and_errors() {
        let mut c = RemoteIpConfig::default();
        set(&mut c, &["RemoteIPHeader", "X-Forwarded-For"]).unwrap();
        set(&mut c, &["RemoteIPTrustedProxy", "10.0.0.0/8", "192.0.2.1"]).unwrap();
        set(&mut c, &["RemoteIPInternalProxy", "localhost"]).unwrap();
        let list = c.proxies.as_ref().unwrap();
        assert!(list.len() >= 3);
        assert!(!list[0].internal && list[2].internal);
        assert_eq!(
            set(&mut c, &["RemoteIPTrustedProxy", "proxy.example/24"]).unwrap_err(),
            "RemoteIP: Error parsing IP proxy.example/24 the subnet /24 is invalid for RemoteIPTrustedProxy"
        );
        assert!(set(&mut c, &["RemoteIPTrustedProxy", "10.0.0.0/40"])
            .unwrap_err()
            .starts_with("RemoteIP: Error parsing IP 10.0.0.0/40"));
        assert!(set(&mut c, &["RemoteIPProxyProtocol", "On"])
            .unwrap_err()
            .contains("issue 19"));
    }

    #[test]
    fn list_files_with_comments() {
        let dir = std::env::temp_dir().join(format!("remoteip-list-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("proxies");
        std::fs::write(
            &file,
            "# balancers\n198.51.100.0/24 # the pool\n\n203.0.113.5 203.0.113.6\n",
        )
        .unwrap();
        let mut c = RemoteIpConfig::default();
        let path = file.to_str().unwrap();
        set(&mut c, &["RemoteIPInternalProxyList", path]).unwrap();
        assert_eq!(c.proxies.as_ref().unwrap().len(), 3);
        std::fs::write(&file, "198.51.100.0/24\nnot/an/ip\n").unwrap();
        assert_eq!(
            set(&mut c, &["RemoteIPTrustedProxyList", path]).unwrap_err(),
            format!("RemoteIP: Error parsing IP not/an/ip the subnet /an/ip is invalid for RemoteIPTrustedProxy at line 2 of {path}")
        );
        assert!(set(&mut c, &["RemoteIPTrustedProxyList", "/nonexistent/x"])
            .unwrap_err()
            .starts_with("RemoteIPTrustedProxyList: Could not open file /nonexistent/x: "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_virtual_host_overrides_field_by_field() {
        let mut main = RemoteIpConfig::default();
        set(&mut main, &["RemoteIPHeader", "X-Forwarded-For"]).unwrap();
        set(&mut main, &["RemoteIPTrustedProxy", "10.0.0.1"]).unwrap();
        let mut vhost = RemoteIpConfig::default();
        set(&mut vhost, &["RemoteIPTrustedProxy", "10.0.0.2"]).unwrap();
        let m = RemoteIpConfig::merge(&main, &vhost);
        assert_eq!(m.header.as_deref(), Some("X-Forwarded-For"));
        assert_eq!(m.proxies, vhost.proxies);
    }
}
