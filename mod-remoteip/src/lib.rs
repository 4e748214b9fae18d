//! # mod-remoteip
//!
//! Apache's mod_remoteip: behind a load balancer or proxy, the client's address comes from a
//! request header (`RemoteIPHeader X-Forwarded-For`). The post_read_request hook (first) walks
//! the header from the right while the address that presented it is a trusted proxy
//! (`RemoteIPTrustedProxy`, `RemoteIPInternalProxy` and their `…List` files; every peer when
//! none is configured), takes each address as the client, and stops at one that is no address,
//! or a private one presented by a proxy that is not internal. The client then is the
//! request's useragent (ABI 1.6's `set_client_ip`): `Require ip`, `%a`, `%h`, `REMOTE_ADDR` and
//! the scoreboard see it, `%{c}a` keeps the connection's peer. The header keeps what was not
//! taken (or goes); the trusted proxies stepped over go to the note `remoteip-proxy-ip-list`
//! and `RemoteIPProxiesHeader`. `RemoteIPProxyProtocol` (issue 19) is refused.

pub mod config;
pub mod subnet;
pub mod walk;

use config::RemoteIpConfig;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::net::IpAddr;

/// The module's value (nothing beyond the typed configuration).
struct RemoteIp;

impl HandlerModule for RemoteIp {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(RemoteIp)
    }
}

impl PostReadRequest for RemoteIp {
    const ORDER: HookOrder = HookOrder::new(order::FIRST);

    fn post_read_request(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<RemoteIpConfig>() else {
            return Verdict::Declined;
        };
        let Some(name) = config.header.as_deref() else {
            return Verdict::Declined;
        };
        let Some(value) = req.header(name).map(str::to_owned) else {
            return Verdict::Declined;
        };
        let Ok(peer) = req.client_ip().parse::<IpAddr>() else {
            return Verdict::Declined;
        };
        let Some(found) = walk::walk(peer, &value, config.proxies.as_deref()) else {
            return Verdict::Declined;
        };
        let client = found.client.to_string();
        let mut changed = req
            .change_request_header(name, found.remaining.as_deref(), false)
            .and_then(|()| req.set_client_ip(&client));
        if let Some(ips) = &found.proxy_ips {
            changed = changed.and_then(|()| req.set_note("remoteip-proxy-ip-list", ips));
            if let Some(h) = config.proxies_header.as_deref() {
                changed = changed.and_then(|()| req.change_request_header(h, Some(ips), false));
            }
        }
        match changed {
            Ok(()) => req.log(
                Level::Debug,
                &match &found.proxy_ips {
                    Some(ips) => format!("Using {client} as client's IP by proxies {ips}"),
                    None => format!("Using {client} as client's IP by internal proxies"),
                },
            ),
            Err(e) => req.log(Level::Error, &format!("RemoteIP: {client}: {e}")),
        }
        Verdict::Declined
    }
}

mapache_module! {
    symbol: remoteip_module,
    name: "remoteip",
    handler: RemoteIp,
    directives: [
        ("RemoteIPHeader", TAKE1, SERVER, "Specifies a request header to trust as the client IP, e.g. X-Forwarded-For"),
        ("RemoteIPProxiesHeader", TAKE1, SERVER, "Specifies a request header to record proxy IP's, e.g. X-Forwarded-By; if not given then do not record"),
        ("RemoteIPTrustedProxy", ITERATE, SERVER, "Specifies one or more proxies which are trusted to present IP headers"),
        ("RemoteIPInternalProxy", ITERATE, SERVER, "Specifies one or more internal (transparent) proxies which are trusted to present IP headers"),
        ("RemoteIPTrustedProxyList", TAKE1, SERVER, "The filename to read the list of trusted proxies, see the RemoteIPTrustedProxy directive"),
        ("RemoteIPInternalProxyList", TAKE1, SERVER, "The filename to read the list of internal proxies, see the RemoteIPInternalProxy directive"),
        ("RemoteIPProxyProtocol", RAW_ARGS, SERVER, "Enable PROXY protocol handling ('on', 'off')"),
        ("RemoteIPProxyProtocolExceptions", RAW_ARGS, SERVER, "Disable PROXY protocol handling for this list of networks in CIDR format"),
    ],
    config: RemoteIpConfig,
    hooks: [PostReadRequest],
    apache_names: ["remoteip_module"],
}
