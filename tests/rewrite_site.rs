//! The site and rule sets tests/rewrite.rs runs on each MPM and tests/apache_compat.rs runs on
//! apache2 and mapache side by side: real sites' blocks as they ship them (WordPress in a
//! subdirectory, Laravel's public/.htaccess, Symfony's apache-pack .htaccess, Drupal's clean
//! URLs in a `<Directory>`, a maintenance switch on a file's existence), the canonical-host
//! and http→https redirects at the server level, and one line per flag.

use std::path::Path;

/// WordPress's block as it writes it for an install in `/wp/`.
pub const WORDPRESS: &str = "# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
RewriteBase /wp/
RewriteRule ^index\\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /wp/index.php [L]
</IfModule>
# END WordPress
";

/// Laravel's public/.htaccess.
pub const LARAVEL: &str = "<IfModule mod_rewrite.c>
    <IfModule mod_negotiation.c>
        Options -MultiViews -Indexes
    </IfModule>

    RewriteEngine On

    # Handle Authorization Header
    RewriteCond %{HTTP:Authorization} .
    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]

    # Handle X-XSRF-Token Header
    RewriteCond %{HTTP:x-xsrf-token} .
    RewriteRule .* - [E=HTTP_X_XSRF_TOKEN:%{HTTP:X-XSRF-Token}]

    # Redirect Trailing Slashes If Not A Folder...
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_URI} (.+)/$
    RewriteRule ^ %1 [L,R=301]

    # Send Requests To Front Controller...
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ index.php [L]
</IfModule>
";

/// symfony/apache-pack's public/.htaccess (comments left out).
pub const SYMFONY: &str = "DirectoryIndex index.php
<IfModule mod_negotiation.c>
    Options -MultiViews
</IfModule>
<IfModule mod_rewrite.c>
    RewriteEngine On
    RewriteCond %{REQUEST_URI}::$0 ^(/.+)/(.*)::\\2$
    RewriteRule .* - [E=BASE:%1]
    RewriteCond %{HTTP:Authorization} .+
    RewriteRule ^ - [E=HTTP_AUTHORIZATION:%0]
    RewriteCond %{ENV:REDIRECT_STATUS} =\"\"
    RewriteRule ^index\\.php(?:/(.*)|$) %{ENV:BASE}/$1 [R=301,L]
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ %{ENV:BASE}/index.php [L]
</IfModule>
<IfModule !mod_rewrite.c>
    <IfModule mod_alias.c>
        RedirectMatch 307 ^/$ /index.php/
    </IfModule>
</IfModule>
";

/// Writes the site's files under `root` and returns the configuration lines (after the
/// LoadModule lines and DocumentRoot `root/htdocs`).
pub fn site(root: &Path) -> String {
    let files: &[(&str, &str)] = &[
        ("htdocs/index.html", "root"),
        ("htdocs/wp/index.php", "wordpress"),
        ("htdocs/wp/wp-content/uploads/a.png", "png"),
        ("htdocs/wp/.htaccess", WORDPRESS),
        ("htdocs/laravel/public/index.php", "laravel"),
        ("htdocs/laravel/public/css/app.css", "css"),
        ("htdocs/laravel/public/.htaccess", LARAVEL),
        ("htdocs/symfony/index.php", "symfony"),
        ("htdocs/symfony/app.css", "symcss"),
        ("htdocs/symfony/.htaccess", SYMFONY),
        ("htdocs/drupal/index.php", "drupal"),
        ("htdocs/drupal/misc/drupal.js", "js"),
        ("htdocs/shop/index.html", "shop"),
        ("htdocs/shop/maintenance.html", "down for maintenance"),
        ("htdocs/loop/a", "loop-a"),
        ("htdocs/loop/b", "loop-b"),
        (
            "htdocs/loop/.htaccess",
            "RewriteEngine On\nRewriteRule ^a$ b [L]\nRewriteRule ^b$ a [L]\n",
        ),
        ("htdocs/end/a", "end-a"),
        ("htdocs/end/b", "end-b"),
        (
            "htdocs/end/.htaccess",
            "RewriteEngine On\nRewriteRule ^a$ b [END]\nRewriteRule ^b$ a [L]\n",
        ),
        ("htdocs/slash/page", "page"),
        (
            "htdocs/slash/.htaccess",
            "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule ^(.*)/$ /slash/$1 [R=301,L]\n",
        ),
        ("al/f.txt", "aliased"),
        ("map.txt", "# a map\nk1 v1\nk2 v2\n"),
        ("htdocs/looked", "looked"),
        (
            "map.sh",
            "#!/bin/sh\nwhile read k; do case $k in p1) echo w1;; *) echo NULL;; esac; done\n",
        ),
    ];
    for (rel, data) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let prog = root.join("map.sh");
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = root.display();
    format!(
        "<Directory \"{r}/htdocs\">\nAllowOverride FileInfo\n</Directory>\n\
         <Directory \"{r}/htdocs/laravel/public\">\nAllowOverride All\n</Directory>\n\
         <Directory \"{r}/htdocs/symfony\">\nAllowOverride All\n</Directory>\n\
         <Directory \"{r}/htdocs/drupal\">\n\
         RewriteEngine on\nRewriteBase /drupal\n\
         RewriteCond %{{REQUEST_FILENAME}} !-f\nRewriteCond %{{REQUEST_FILENAME}} !-d\n\
         RewriteCond %{{REQUEST_URI}} !=/favicon.ico\n\
         RewriteRule ^(.*)$ index.php?q=$1 [L,QSA]\n</Directory>\n\
         <Directory \"{r}/htdocs/shop\">\n\
         RewriteEngine On\n\
         RewriteCond %{{DOCUMENT_ROOT}}/shop/maintenance.on -f\n\
         RewriteCond %{{REQUEST_URI}} !=/shop/maintenance.html\n\
         RewriteRule ^ - [R=503,L]\n\
         ErrorDocument 503 /shop/maintenance.html\n</Directory>\n\
         Alias /aliased {r}/al\n\
         <Location /envtest>\nRequire env rewrite_ok\n</Location>\n\
         RewriteEngine On\n\
         RewriteMap lower int:tolower\n\
         RewriteMap txtmap txt:{r}/map.txt\n\
         RewriteMap prgmap prg:{r}/map.sh\n\
         RewriteCond %{{HTTP_HOST}} ^www\\.(.+)$ [NC]\n\
         RewriteRule ^(.*)$ http://%1$1 [R=301,L]\n\
         RewriteCond %{{HTTPS}} off\n\
         RewriteCond %{{HTTP_HOST}} =secure.example\n\
         RewriteRule ^(.*)$ https://%{{HTTP_HOST}}$1 [R=301,L]\n\
         RewriteRule ^/old/(.*)$ /new/$1 [R=permanent,L]\n\
         RewriteRule ^/forbidden - [F]\n\
         RewriteRule ^/gone - [G]\n\
         RewriteRule ^/int/ /index.html [L]\n\
         RewriteRule ^/see$ http://example.com/a\\%20b [R=303,NE,L]\n\
         RewriteRule ^/esc/(.*)$ http://example.com/x/$1 [R,L]\n\
         RewriteRule ^/b/(.*)$ http://example.com/s?q=$1 [B,NE,R,L]\n\
         RewriteRule ^/map/(.*)$ http://example.com/${{txtmap:$1|unknown}}/${{lower:ABC}} [R,L]\n\
         RewriteRule ^/prg/(.*)$ http://example.com/${{prgmap:$1|none}} [R,L]\n\
         RewriteRule ^/looked$ /nothing-here [NS,L]\n\
         RewriteCond /looked -U\n\
         RewriteRule ^/u$ /index.html [L]\n\
         RewriteRule ^/qsa$ http://example.com/q?a=1 [QSA,R,L]\n\
         RewriteRule ^/qsd$ http://example.com/q [QSD,R,L]\n\
         RewriteRule ^/pt/(.*)$ /aliased/$1 [PT]\n\
         RewriteRule ^/n/(.*)-(.*)$ /n/$1_$2 [N]\n\
         RewriteRule ^/n/(.*)$ http://example.com/$1 [R,L]\n\
         RewriteRule ^/s/ - [S=1]\n\
         RewriteRule ^/s/ /never [L]\n\
         RewriteRule ^/s/(.*)$ http://example.com/s/$1 [R=307,L]\n\
         RewriteRule ^/c/(.*)$ /c2/$1 [C]\n\
         RewriteRule ^/c2/(.*)$ http://example.com/chained/$1 [R=308,L]\n\
         RewriteRule ^/envtest$ /index.html [E=rewrite_ok:1,L]\n\
         RewriteRule ^/cookie$ /index.html [CO=flavor:choc:example.com:0:/,L]\n\
         RewriteRule ^/typed$ /index.html [T=text/x-typed,L]\n\
         RewriteCond expr \"%{{QUERY_STRING}} =~ /go/\"\n\
         RewriteRule ^/expr$ http://example.com/expr [R,L]\n\
         RewriteRule ^/nocase$ http://example.com/nc [NC,R,L]\n\
         RewriteCond %{{HTTP:X-Num}} -ge10\n\
         RewriteRule ^/num$ http://example.com/big [R,L]\n"
    )
}

/// One request and what it must get: (Host, path, status, Location or body).
pub type Case = (&'static str, &'static str, u16, &'static str);

/// The requests both servers answer alike.
pub const CASES: &[Case] = &[
    // WordPress: pretty permalinks to the front controller, files and the controller itself
    // served as they are.
    ("t", "/wp/2026/12/hello-world/", 200, "wordpress"),
    ("t", "/wp/missing.png", 200, "wordpress"),
    ("t", "/wp/wp-content/uploads/a.png", 200, "png"),
    ("t", "/wp/index.php", 200, "wordpress"),
    ("t", "/wp/wp-content/", 403, ""),
    // Laravel: trailing slashes redirected, everything else to index.php.
    ("t", "/laravel/public/users/5", 200, "laravel"),
    (
        "t",
        "/laravel/public/users/5/",
        301,
        "http://t/laravel/public/users/5",
    ),
    ("t", "/laravel/public/css/app.css", 200, "css"),
    // Symfony: BASE from the `\2` back-reference, index.php/… redirected once.
    ("t", "/symfony/blog/post", 200, "symfony"),
    (
        "t",
        "/symfony/index.php/blog/post",
        301,
        "http://t/symfony/blog/post",
    ),
    ("t", "/symfony/index.php", 301, "http://t/symfony/"),
    ("t", "/symfony", 301, "http://t/symfony/"),
    ("t", "/symfony/", 200, "symfony"),
    ("t", "/symfony/app.css", 200, "symcss"),
    // A "remove the trailing slash" block sees the slash Apache's file name keeps.
    ("t", "/slash/page/", 301, "http://t/slash/page"),
    ("t", "/slash/page", 200, "page"),
    // Drupal in a <Directory> with RewriteBase and QSA.
    ("t", "/drupal/node/1?x=y", 200, "drupal"),
    ("t", "/drupal/misc/drupal.js", 200, "js"),
    // The shop is open (no maintenance.on).
    ("t", "/shop/index.html", 200, "shop"),
    // Per-directory loops: [L] loops until the redirect limit, [END] stops.
    ("t", "/loop/a", 500, ""),
    ("t", "/end/a", 200, "end-b"),
    // Canonical host and https at the server level.
    ("www.example.com", "/p?x=1", 301, "http://example.com/p?x=1"),
    ("secure.example", "/p", 301, "https://secure.example/p"),
    // One line per flag.
    ("t", "/old/a", 301, "http://t/new/a"),
    ("t", "/forbidden", 403, ""),
    ("t", "/gone", 410, ""),
    ("t", "/int/x", 200, "root"),
    ("t", "/see", 303, "http://example.com/a%20b"),
    ("t", "/esc/a%20b", 302, "http://example.com/x/a%20b"),
    ("t", "/b/a%26b%20c", 302, "http://example.com/s?q=a%26b+c"),
    ("t", "/map/k1", 302, "http://example.com/v1/abc"),
    ("t", "/map/zz", 302, "http://example.com/unknown/abc"),
    ("t", "/prg/p1", 302, "http://example.com/w1"),
    ("t", "/prg/p2", 302, "http://example.com/none"),
    // [NS]: the rule applies to the request, not to -U's lookup of the same URL.
    ("t", "/looked", 404, ""),
    ("t", "/u", 200, "root"),
    ("t", "/qsa?o=2", 302, "http://example.com/q?a=1&o=2"),
    ("t", "/qsd?o=2", 302, "http://example.com/q"),
    ("t", "/pt/f.txt", 200, "aliased"),
    ("t", "/n/a-b-c", 302, "http://example.com/a_b_c"),
    ("t", "/s/x", 307, "http://example.com/s/x"),
    ("t", "/c/x", 308, "http://example.com/chained/x"),
    ("t", "/envtest", 200, "root"),
    ("t", "/cookie", 200, "root"),
    ("t", "/typed", 200, "root"),
    ("t", "/expr?go", 302, "http://example.com/expr?go"),
    ("t", "/expr", 404, ""),
    ("t", "/NoCase", 302, "http://example.com/nc"),
    ("t", "/index.html", 200, "root"),
];
